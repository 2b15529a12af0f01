use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::PausedSet, state::*};

#[event_cpi]
#[derive(Accounts)]
pub struct SetPaused<'info> {
    pub admin: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = admin @ IgnisError::Unauthorized)]
    pub config: Account<'info, Config>,
}

impl SetPaused<'_> {
    pub fn set_paused(ctx: Context<Self>, paused: bool) -> Result<()> {
        ctx.accounts.config.set_paused(paused, Clock::get()?.unix_timestamp)?;
        emit_cpi!(PausedSet { paused });
        Ok(())
    }
}
