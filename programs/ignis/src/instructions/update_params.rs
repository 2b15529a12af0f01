use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::ParamsUpdated, state::*};

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateParams<'info> {
    pub admin: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump, has_one = admin @ IgnisError::Unauthorized)]
    pub config: Account<'info, Config>,
}

impl UpdateParams<'_> {
    #[access_control(params.validate())]
    pub fn update_params(ctx: Context<Self>, params: Params) -> Result<()> {
        ctx.accounts.config.params = params;
        emit_cpi!(ParamsUpdated { params });
        Ok(())
    }
}
