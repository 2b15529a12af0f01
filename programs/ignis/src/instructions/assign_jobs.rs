use anchor_lang::prelude::*;

use crate::{
    constants::*,
    errors::IgnisError,
    events::{AssignedJob, JobsAssigned},
    state::*,
};

/// The orchestrator gives one worker a replica of each of several jobs, each under
/// `assign_job`'s rule (`Worker::check_assignment`): one instruction and one event for
/// up to `MAX_BATCH_JOBS` jobs, which is how the orchestrator assigns.
///
/// `remaining_accounts`: the jobs, writable. A job that can no longer be assigned
/// (cancelled, filled, expired or closed since it was matched, or already holding this
/// worker, as when another orchestrator got there first) is skipped, so a race lost on one job
/// does not undo the others; a job this worker may not take fails the whole
/// instruction with the rule's error.
#[event_cpi]
#[derive(Accounts)]
pub struct AssignJobs<'info> {
    #[account(address = config.orchestrator @ IgnisError::NotOrchestrator)]
    pub orchestrator: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [WORKER_SEED, worker.operator.as_ref()], bump = worker.bump)]
    pub worker: Box<Account<'info, Worker>>,

    /// The worker operator's stake, read for eligibility.
    #[account(
        seeds = [STAKE_SEED, worker.operator.as_ref()],
        bump = operator_stake.bump,
        constraint = operator_stake.owner == worker.operator @ IgnisError::StakeOperatorMismatch,
    )]
    pub operator_stake: Box<Account<'info, Stake>>,
}

impl<'info> AssignJobs<'info> {
    fn validate(&self, jobs: &[AccountInfo<'info>]) -> Result<()> {
        Job::check_batch_size(jobs.len())?;
        self.worker.check_eligible(&self.config, self.operator_stake.amount)
    }

    #[access_control(ctx.accounts.validate(ctx.remaining_accounts))]
    pub fn assign_jobs(ctx: Context<'info, Self>) -> Result<()> {
        let now = ctx.accounts.config.clock()?;
        let worker_key = ctx.accounts.worker.key();
        let worker = &mut ctx.accounts.worker;
        let mut jobs = Vec::with_capacity(ctx.remaining_accounts.len());
        for info in ctx.remaining_accounts {
            // Closed since it was matched (cancelled, then closed by the crank).
            if info.owner != &crate::ID {
                continue;
            }
            // The owner and the discriminator prove it a job: jobs exist only at their
            // PDA (`post_job`'s seeds), so no seeds check is needed.
            // Boxed, as every job account: a small SBF stack frame.
            let mut job = Box::new(Account::<Job>::try_from(info)?);
            if job.lost_to_race(&worker_key, now) {
                continue;
            }
            worker.check_can_take(&worker_key, &job)?;
            let deadline = job.assign_replica(worker, worker_key, now)?;
            job.exit(&crate::ID)?;
            jobs.push(AssignedJob { job_id: job.id, deadline });
        }
        emit_cpi!(JobsAssigned { worker: worker_key, jobs });
        Ok(())
    }
}
