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
    fn validate(&self, amount: u64) -> Result<()> {
        self.config.require_not_paused()?;
        require!(amount > 0, IgnisError::ZeroAmount);
        Ok(())
    }

    /// The deposit is bonded (earning, counting for eligibility) from the next slot on:
    /// by `activate_stake`, or by this owner's next stake, unstake or claim.
    #[access_control(ctx.accounts.validate(amount))]
    pub fn stake(mut ctx: Context<Self>, amount: u64) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let clock = Clock::get()?;
        let config = &mut accounts.config;
        config.accrue(clock.unix_timestamp)?;

        let stake = &mut accounts.stake;
        if stake.owner == Pubkey::default() {
            stake.owner = accounts.owner.key();
            stake.bump = ctx.bumps.stake;
            stake.created_at = config.clock()?;
        }
        config.activate_stake(stake, clock.slot)?;
        stake.activating_amount = math::add(stake.activating_amount, amount)?;
        stake.activating_slot = clock.slot;
        config.totals.activating = math::add(config.totals.activating, amount)?;

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
            activating: accounts.stake.activating_amount,
        };
        emit_cpi!(event);
        Ok(())
    }
}
