use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::AuthoritiesUpdated, state::*};

#[event_cpi]
#[derive(Accounts)]
pub struct SetAuthorities<'info> {
    pub admin: Signer<'info>,

    /// The new admin signs too, so that control can never be handed to a key nobody holds.
    pub new_admin: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = admin @ IgnisError::Unauthorized)]
    pub config: Account<'info, Config>,
}

impl SetAuthorities<'_> {
    pub fn set_authorities(
        ctx: Context<Self>,
        orchestrator: Pubkey,
        verifier: Pubkey,
    ) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.admin = ctx.accounts.new_admin.key();
        config.orchestrator = orchestrator;
        config.verifier = verifier;
        // A new orchestrator gets the full timeout before workers claim for themselves.
        config.orchestrator_seen_at = config.clock()?;
        emit_cpi!(AuthoritiesUpdated { admin: config.admin, orchestrator, verifier });
        Ok(())
    }
}
