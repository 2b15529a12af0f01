use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::WorkerClosed, state::*};

/// Closes a deregistered worker with nothing running and a clean record (no missed,
/// disputed or slashed job) and returns its rent to the operator. A worker with faults
/// on its record keeps its account: closing and registering afresh must not wipe it.
#[event_cpi]
#[derive(Accounts)]
pub struct CloseWorker<'info> {
    #[account(mut)]
    pub operator: Signer<'info>,

    #[account(
        mut,
        close = operator,
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump = worker.bump,
        has_one = operator @ IgnisError::Unauthorized,
    )]
    pub worker: Box<Account<'info, Worker>>,
}

impl CloseWorker<'_> {
    fn validate(&self) -> Result<()> {
        self.worker.check_close()
    }

    #[access_control(ctx.accounts.validate())]
    pub fn close_worker(ctx: Context<Self>) -> Result<()> {
        emit_cpi!(WorkerClosed {
            worker: ctx.accounts.worker.key(),
            operator: ctx.accounts.operator.key(),
        });
        Ok(())
    }
}
