use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::StakeActivated, state::*};

/// Bonds a deposit made in an earlier slot, once every shard has been synced after it
/// (`Config::activation_due`). Anyone may send it (the orchestrator's crank does): it
/// only starts the owner's stake earning and counting for eligibility.
#[event_cpi]
#[derive(Accounts)]
pub struct ActivateStake<'info> {
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [STAKE_SEED, stake.owner.as_ref()], bump = stake.bump)]
    pub stake: Box<Account<'info, Stake>>,
}

impl ActivateStake<'_> {
    fn validate(&self) -> Result<()> {
        let slot = Clock::get()?.slot;
        require!(self.config.activation_due(&self.stake, slot), IgnisError::ActivationNotDue);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn activate_stake(ctx: Context<Self>) -> Result<()> {
        let clock = Clock::get()?;
        let config = &mut ctx.accounts.config;
        config.accrue(clock.unix_timestamp)?;
        let stake = &mut ctx.accounts.stake;
        let amount = config.activate_stake(stake, clock.slot)?;
        emit_cpi!(StakeActivated { owner: stake.owner, amount, total: stake.amount });
        Ok(())
    }
}
