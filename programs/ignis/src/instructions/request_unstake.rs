use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::UnstakeRequested, math, state::*};

/// Starts unbonding. Allowed while paused: leaving is never blocked.
#[event_cpi]
#[derive(Accounts)]
pub struct RequestUnstake<'info> {
    pub owner: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, Config>,

    #[account(
        mut,
        seeds = [STAKE_SEED, owner.key().as_ref()],
        bump = stake.bump,
        has_one = owner @ IgnisError::Unauthorized,
    )]
    pub stake: Account<'info, Stake>,
}

impl RequestUnstake<'_> {
    /// Unbonding stake stays slashable, and `withdraw` waits for the operator's live
    /// jobs to settle, so starting to unbond never escapes a fault.
    fn validate(amount: u64) -> Result<()> {
        require!(amount > 0, IgnisError::ZeroAmount);
        Ok(())
    }

    // Whether `amount` is bonded is known only once earlier deposits are bonded, below.
    #[access_control(Self::validate(amount))]
    pub fn request_unstake(ctx: Context<Self>, amount: u64) -> Result<()> {
        let config = &mut ctx.accounts.config;
        let stake = &mut ctx.accounts.stake;
        let clock = Clock::get()?;
        config.accrue(clock.unix_timestamp)?;
        config.activate_stake(stake, clock.slot)?;
        require!(amount <= stake.amount, IgnisError::InsufficientStake);
        let now = config.clock()?;

        // Unbonding tokens stop earning: book what the whole stake earned so far.
        stake.settle(config.rewards.reward_per_share)?;
        stake.amount = math::sub(stake.amount, amount)?;
        stake.reset_debt(config.rewards.reward_per_share)?;
        stake.unbonding_amount = math::add(stake.unbonding_amount, amount)?;
        // A new request restarts the clock for the whole tranche: otherwise stake could
        // be moved out at once by topping up an old, already unlocked request.
        stake.unlock_at = math::add_i64(now, config.params.unbonding_seconds)?;
        config.totals.staked = math::sub(config.totals.staked, amount)?;
        config.totals.unbonding = math::add(config.totals.unbonding, amount)?;

        emit_cpi!(UnstakeRequested {
            owner: stake.owner,
            amount,
            unbonding: stake.unbonding_amount,
            unlock_at: stake.unlock_at,
        });
        Ok(())
    }
}
