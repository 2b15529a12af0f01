use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::WorkerUpdated, state::*};

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateWorker<'info> {
    pub operator: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, Config>,

    #[account(
        mut,
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump = worker.bump,
        has_one = operator @ IgnisError::Unauthorized,
    )]
    pub worker: Account<'info, Worker>,
}

impl UpdateWorker<'_> {
    fn validate(&self, settings: &WorkerSettings) -> Result<()> {
        self.config.require_not_paused()?;
        settings.validate()
    }

    /// Running jobs keep going even if the new settings would not have matched them.
    #[access_control(ctx.accounts.validate(&settings))]
    pub fn update_worker(ctx: Context<Self>, settings: WorkerSettings) -> Result<()> {
        ctx.accounts.worker.settings = settings.clone();
        emit_cpi!(WorkerUpdated { worker: ctx.accounts.worker.key(), settings });
        Ok(())
    }
}
