use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::Withdrawn, math, state::*, vault};

/// Pays out the whole unbonding tranche once it has unlocked. Allowed while paused.
#[event_cpi]
#[derive(Accounts)]
pub struct Withdraw<'info> {
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

    #[account(mut, address = config.stake_vault)]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl Withdraw<'_> {
    pub fn withdraw(mut ctx: Context<Self>) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let amount = accounts.stake.unbonding_amount;
        require!(amount > 0, IgnisError::NothingUnbonding);
        require!(
            Clock::get()?.unix_timestamp >= accounts.stake.unlock_at,
            IgnisError::UnbondingNotElapsed
        );

        accounts.stake.unbonding_amount = 0;
        let totals = &mut accounts.config.totals;
        totals.unbonding = math::sub(totals.unbonding, amount)?;

        vault::pay_out(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.stake_vault,
            &accounts.owner_token,
            amount,
        )?;
        let event = Withdrawn {
            owner: accounts.owner.key(),
            amount,
        };
        emit_cpi!(event);
        Ok(())
    }
}
