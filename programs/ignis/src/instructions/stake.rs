use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::Staked, math, state::*, vault};

#[event_cpi]
#[derive(Accounts)]
pub struct StakeTokens<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        init_if_needed,
        payer = owner,
        space = 8 + Stake::INIT_SPACE,
        seeds = [STAKE_SEED, owner.key().as_ref()],
        bump,
    )]
    pub stake: Box<Account<'info, Stake>>,

    #[account(mut, constraint = owner_token.mint == config.mint @ IgnisError::WrongMint)]
    pub owner_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.stake_vault)]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl StakeTokens<'_> {
    pub fn stake(mut ctx: Context<Self>, amount: u64) -> Result<()> {
        ctx.accounts.config.require_not_paused()?;
        require!(amount > 0, IgnisError::ZeroAmount);
        let accounts = &mut ctx.accounts;

        let now = Clock::get()?.unix_timestamp;
        let config = &mut accounts.config;
        config.accrue(now)?;
        let reward_per_share = config.rewards.reward_per_share;

        let stake = &mut accounts.stake;
        if stake.owner == Pubkey::default() {
            stake.owner = accounts.owner.key();
            stake.bump = ctx.bumps.stake;
            stake.created_at = now;
        }
        stake.settle(reward_per_share)?;
        stake.amount = math::add(stake.amount, amount)?;
        stake.reset_debt(reward_per_share)?;
        config.totals.staked = math::add(config.totals.staked, amount)?;

        vault::deposit(
            &accounts.token_program,
            &accounts.mint,
            &accounts.owner_token,
            &accounts.stake_vault,
            &accounts.owner,
            amount,
        )?;
        let event = Staked {
            owner: accounts.owner.key(),
            amount,
            total: accounts.stake.amount,
        };
        emit_cpi!(event);
        Ok(())
    }
}
