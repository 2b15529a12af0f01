use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::JobClosed, state::*};

/// Anyone may close a job that settled (completed, cancelled or refunded) at least
/// `Params::job_retention_seconds` ago (the orchestrator's crank does); its rent goes
/// back to the poster. Its outcome stays in the events of the transactions that
/// settled it.
#[event_cpi]
#[derive(Accounts)]
pub struct CloseJob<'info> {
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        mut,
        close = poster,
        seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()],
        bump = job.bump,
        has_one = poster @ IgnisError::Unauthorized,
    )]
    pub job: Box<Account<'info, Job>>,

    /// CHECK: the job's poster (checked by `has_one`), who gets the rent back.
    #[account(mut)]
    pub poster: UncheckedAccount<'info>,
}

impl CloseJob<'_> {
    fn validate(&self) -> Result<()> {
        self.job.check_close(&self.config.params, self.config.clock()?)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn close_job(ctx: Context<Self>) -> Result<()> {
        emit_cpi!(JobClosed { job_id: ctx.accounts.job.id, poster: ctx.accounts.poster.key() });
        Ok(())
    }
}
