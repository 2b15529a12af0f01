use anchor_lang::prelude::*;

use crate::{
    constants::*,
    errors::IgnisError,
    events::{ClosedJob, JobsClosed},
    state::*,
};

/// Anyone may close several settled jobs at once, each under `close_job`'s rule
/// (`Job::check_close`), each job's rent going back to its poster: one instruction and
/// one event for up to `MAX_BATCH_JOBS` jobs, which is how the orchestrator's crank
/// closes.
///
/// `remaining_accounts`: a `[job, poster]` pair per job, both writable. A job account
/// that is no longer the program's (another closer got there first, or it appears twice
/// in the batch) is skipped, so cranks racing each other do not fail each other's
/// batches; any other job that may not be closed fails the whole instruction with its
/// rule's error.
#[event_cpi]
#[derive(Accounts)]
pub struct CloseJobs<'info> {
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
}

impl<'info> CloseJobs<'info> {
    fn validate(&self, remaining: &[AccountInfo<'info>]) -> Result<()> {
        require!(
            remaining.chunks_exact(2).remainder().is_empty(),
            IgnisError::BatchAccountsMismatch
        );
        Job::check_batch_size(remaining.len() / 2)
    }

    #[access_control(ctx.accounts.validate(ctx.remaining_accounts))]
    pub fn close_jobs(ctx: Context<'info, Self>) -> Result<()> {
        let params = &ctx.accounts.config.params;
        let now = ctx.accounts.config.clock()?;
        let mut jobs = Vec::with_capacity(ctx.remaining_accounts.len() / 2);
        for pair in ctx.remaining_accounts.chunks_exact(2) {
            let (job, poster) = (&pair[0], &pair[1]);
            if job.owner != &crate::ID {
                continue;
            }
            // The owner and the discriminator prove it a job: jobs exist only at their
            // PDA (`post_job`'s seeds), so no seeds check is needed.
            // Boxed, as every job account: a small SBF stack frame.
            let job = Box::new(Account::<Job>::try_from(job)?);
            require_keys_eq!(job.poster, poster.key(), IgnisError::Unauthorized);
            job.check_close(params, now)?;
            job.close(poster.clone())?;
            jobs.push(ClosedJob { job_id: job.id, poster: job.poster });
        }
        emit_cpi!(JobsClosed { jobs });
        Ok(())
    }
}
