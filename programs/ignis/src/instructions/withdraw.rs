use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::Withdrawn, math, state::*, vault};

/// Pays out the whole unbonding tranche once it has unlocked and the owner's worker has
/// no live job (stake backing live jobs stays slashable until they settle). Allowed
/// while paused, though the unbonding clock stands still during a pause.
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

    /// CHECK: the owner's worker PDA, which need not exist; read by `active_jobs_at`.
    #[account(seeds = [WORKER_SEED, owner.key().as_ref()], bump)]
    pub worker: UncheckedAccount<'info>,

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
    fn validate(&self) -> Result<()> {
        require!(self.stake.unbonding_amount > 0, IgnisError::NothingUnbonding);
        require!(self.config.clock()? >= self.stake.unlock_at, IgnisError::UnbondingNotElapsed);
        require!(active_jobs_at(&self.worker)? == 0, IgnisError::WorkerHasActiveJobs);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn withdraw(mut ctx: Context<Self>) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let amount = accounts.stake.unbonding_amount;

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
        let event = Withdrawn { owner: accounts.owner.key(), amount };
        emit_cpi!(event);
        Ok(())
    }
}
