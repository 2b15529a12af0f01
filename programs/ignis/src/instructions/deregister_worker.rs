use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::WorkerDeregistered, state::*};

/// Takes the worker out of matching for good. The account stays, with its record of
/// completed, missed and disputed jobs and slashes: registering again resumes it, so a
/// record cannot be wiped by deregistering. Allowed while paused.
#[event_cpi]
#[derive(Accounts)]
pub struct DeregisterWorker<'info> {
    #[account(mut)]
    pub operator: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, Config>,

    #[account(
        mut,
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump = worker.bump,
        has_one = operator @ IgnisError::Unauthorized,
    )]
    pub worker: Account<'info, Worker>,
}

impl DeregisterWorker<'_> {
    fn validate(&self) -> Result<()> {
        require!(self.worker.registered, IgnisError::WorkerNotRegistered);
        require!(self.worker.active_jobs == 0, IgnisError::WorkerHasActiveJobs);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn deregister_worker(ctx: Context<Self>) -> Result<()> {
        let worker = &mut ctx.accounts.worker;
        worker.registered = false;
        worker.settings.accepting_jobs = false;
        let totals = &mut ctx.accounts.config.totals;
        totals.workers_registered =
            totals.workers_registered.checked_sub(1).ok_or(IgnisError::MathOverflow)?;
        emit_cpi!(WorkerDeregistered {
            worker: ctx.accounts.worker.key(),
            operator: ctx.accounts.operator.key(),
        });
        Ok(())
    }
}
