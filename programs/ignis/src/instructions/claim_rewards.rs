use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::RewardsClaimed, math, state::*, vault};

/// A staker takes its share of emission, fees and slashes, as booked to the
/// accumulator when the config was last written (it is only read here). Allowed while
/// paused.
#[event_cpi]
#[derive(Accounts)]
pub struct ClaimRewards<'info> {
    pub owner: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        mut,
        seeds = [STAKE_SEED, owner.key().as_ref()],
        bump = stake.bump,
        has_one = owner @ IgnisError::Unauthorized,
    )]
    pub stake: Box<Account<'info, Stake>>,

    #[account(mut, constraint = owner_token.mint == config.mint @ IgnisError::WrongMint)]
    pub owner_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl ClaimRewards<'_> {
    fn validate(&self) -> Result<()> {
        require!(self.stake.claimable_now(&self.config)? > 0, IgnisError::NothingToClaim);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn claim_rewards(mut ctx: Context<Self>) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let stake = &mut accounts.stake;
        stake.settle(accounts.config.rewards.reward_per_share)?;
        let amount = stake.pending_rewards;
        stake.pending_rewards = 0;
        stake.claimed_total = math::add(stake.claimed_total, amount)?;
        // Counted as the stake's `claimed_total`; the protocol-wide sum is the stakes'
        // sum (the config is not written here).
        vault::pay_out(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.reward_vault,
            &accounts.owner_token,
            amount,
        )?;
        let event = RewardsClaimed { owner: accounts.owner.key(), amount };
        emit_cpi!(event);
        Ok(())
    }
}
