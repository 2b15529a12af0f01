use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::EmissionMinted, math, state::*, vault};

/// Anyone, once the minted emission no longer covers the schedule (about once an
/// epoch; the orchestrator's crank sends it): mints the schedule's release up to one
/// epoch ahead into the reward vault. The only instruction that writes the mint, so
/// payouts never do; accrual books emission only as far as it was minted.
#[event_cpi]
#[derive(Accounts)]
pub struct MintEmission<'info> {
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// CHECK: the mint authority, checked by seeds; signs the mint.
    #[account(seeds = [EMISSION_SEED], bump = config.emission_bump)]
    pub emission: UncheckedAccount<'info>,

    #[account(mut, address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl MintEmission<'_> {
    fn validate(&self) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        require!(self.config.emission_to_mint(now) > 0, IgnisError::EmissionNotDue);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn mint_emission(mut ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let accounts = &mut ctx.accounts;
        let amount = accounts.config.emission_to_mint(now);
        let rewards = &mut accounts.config.rewards;
        rewards.minted = math::add(rewards.minted, amount)?;
        vault::mint_emission(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.reward_vault,
            &accounts.emission,
            amount,
        )?;
        // Not accrued here: the next config write (`sync_shard`, staking) books it,
        // after the shards have reported the epoch's work.
        let event = EmissionMinted { amount, minted: accounts.config.rewards.minted };
        emit_cpi!(event);
        Ok(())
    }
}
