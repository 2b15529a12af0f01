use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::RewardsClaimed, math, state::*, vault};

/// A staker takes its share of emission, fees and slashes. Allowed while paused.
#[event_cpi]
#[derive(Accounts)]
pub struct ClaimRewards<'info> {
    pub owner: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
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

    /// CHECK: the mint authority, checked by seeds; signs the emission mint.
    #[account(seeds = [EMISSION_SEED], bump = config.emission_bump)]
    pub emission: UncheckedAccount<'info>,

    #[account(mut, address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl ClaimRewards<'_> {
    pub fn claim_rewards(mut ctx: Context<Self>) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let clock = Clock::get()?;
        accounts.config.accrue(clock.unix_timestamp)?;
        let stake = &mut accounts.stake;
        accounts.config.activate_stake(stake, clock.slot)?;
        stake.settle(accounts.config.rewards.reward_per_share)?;
        let amount = stake.pending_rewards;
        // Checked here, not in a `validate`: only accrual tells what is owed, and a copy
        // of the config to accrue first would not fit an SBF stack frame.
        require!(amount > 0, IgnisError::NothingToClaim);
        stake.pending_rewards = 0;
        stake.claimed_total = math::add(stake.claimed_total, amount)?;
        let rewards = &mut accounts.config.rewards;
        rewards.claimed = math::add(rewards.claimed, amount)?;

        vault::mint_emission(
            &mut accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.reward_vault,
            &accounts.emission,
        )?;
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
