use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::WorkerDeregistered, state::*};

/// Closes the worker account, rent back to the operator. Allowed while paused.
#[event_cpi]
#[derive(Accounts)]
pub struct DeregisterWorker<'info> {
    #[account(mut)]
    pub operator: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, Config>,

    #[account(
        mut,
        close = operator,
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump = worker.bump,
        has_one = operator @ IgnisError::Unauthorized,
    )]
    pub worker: Account<'info, Worker>,
}

impl DeregisterWorker<'_> {
    fn validate(&self) -> Result<()> {
        require!(self.worker.active_jobs == 0, IgnisError::WorkerHasActiveJobs);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn deregister_worker(ctx: Context<Self>) -> Result<()> {
        let totals = &mut ctx.accounts.config.totals;
        totals.workers_registered = totals
            .workers_registered
            .checked_sub(1)
            .ok_or(IgnisError::MathOverflow)?;
        emit_cpi!(WorkerDeregistered {
            worker: ctx.accounts.worker.key(),
            operator: ctx.accounts.operator.key(),
        });
        Ok(())
    }
}
