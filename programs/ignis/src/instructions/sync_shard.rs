use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::ShardSynced, state::*, vault};

/// Anyone, any time (the orchestrator's crank, every few seconds per shard): accrues
/// emission, hands the shard's fees to the stakers, reports its work units to the
/// epoch's retarget and tops its work pool up with its equal share of the work-pool
/// emission. The one regular writer of the config besides staking, once per shard
/// per crank round instead of once per job.
#[event_cpi]
#[derive(Accounts)]
pub struct SyncShard<'info> {
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut)]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl SyncShard<'_> {
    pub fn sync_shard(mut ctx: Context<Self>) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let clock = Clock::get()?;
        let work_units = accounts.shard.work_units_unreported;
        let (fees, allotted) =
            accounts.config.sync(&mut accounts.shard, clock.unix_timestamp, clock.slot)?;
        let (config, token_program, mint) =
            (&accounts.config, &accounts.token_program, &accounts.mint);
        vault::pay_out(
            config,
            token_program,
            mint,
            &accounts.shard_vault,
            &accounts.reward_vault,
            fees,
        )?;
        vault::pay_out(
            config,
            token_program,
            mint,
            &accounts.reward_vault,
            &accounts.shard_vault,
            allotted,
        )?;
        let event =
            ShardSynced { index: accounts.shard.index, fees, work_units, work_allotted: allotted };
        emit_cpi!(event);
        Ok(())
    }
}
