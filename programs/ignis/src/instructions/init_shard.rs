use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::ShardInitialized, state::*};

/// Anyone creates one of the `SHARDS` shards and its vault (the deploy does all of them
/// after `initialize`); the payer funds their rent. Jobs of a shard not yet created
/// cannot be posted.
#[event_cpi]
#[derive(Accounts)]
#[instruction(index: u8)]
pub struct InitShard<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        init,
        payer = payer,
        space = 8 + Shard::INIT_SPACE,
        seeds = [SHARD_SEED, index.to_le_bytes().as_ref()],
        bump,
    )]
    pub shard: Box<Account<'info, Shard>>,

    #[account(
        init,
        payer = payer,
        seeds = [SHARD_VAULT_SEED, index.to_le_bytes().as_ref()],
        bump,
        token::mint = mint,
        token::authority = config,
        token::token_program = token_program,
    )]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl InitShard<'_> {
    fn validate(&self, index: u8) -> Result<()> {
        require!(index < SHARDS, IgnisError::InvalidShardIndex);
        Ok(())
    }

    #[access_control(ctx.accounts.validate(index))]
    pub fn init_shard(mut ctx: Context<Self>, index: u8) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let vault = accounts.shard_vault.key();
        accounts.shard.set_inner(Shard {
            index,
            bump: ctx.bumps.shard,
            vault,
            escrowed: 0,
            fees_pending: 0,
            work_pool: 0,
            work_allotted: 0,
            work_paid: 0,
            work_units_unreported: 0,
            fees_swept: 0,
            paid_to_workers: 0,
            jobs_posted: 0,
            jobs_completed: 0,
            jobs_cancelled: 0,
            jobs_refunded: 0,
            challenges_answered_unreported: 0,
            challenges_missed_unreported: 0,
        });
        emit_cpi!(ShardInitialized { index, vault });
        Ok(())
    }
}
