use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, state::*};

/// The orchestrator says it is alive (it sends one every few seconds): while it does,
/// workers leave the assigning to it.
#[derive(Accounts)]
pub struct Heartbeat<'info> {
    #[account(address = config.orchestrator @ IgnisError::NotOrchestrator)]
    pub orchestrator: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
}

impl Heartbeat<'_> {
    pub fn heartbeat(ctx: Context<Self>) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.orchestrator_seen_at = config.clock()?;
        Ok(())
    }
}
