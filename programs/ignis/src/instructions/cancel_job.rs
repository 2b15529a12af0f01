use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::JobCancelled, settlement, state::*, vault};

/// The poster takes back a job nobody has started. Allowed while paused.
#[event_cpi]
#[derive(Accounts)]
pub struct CancelJob<'info> {
    pub poster: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        mut,
        seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()],
        bump = job.bump,
        has_one = poster @ IgnisError::Unauthorized,
    )]
    pub job: Box<Account<'info, Job>>,

    #[account(mut, constraint = poster_token.mint == config.mint @ IgnisError::WrongMint)]
    pub poster_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The job's shard (`Shard::index_of(job id)`), which keeps its escrow. Shards
    /// exist only at `["shard", index]` (`init_shard`), so the type and index suffice.
    #[account(
        mut,
        constraint = shard.index == Shard::index_of(job.id) @ IgnisError::WrongShard,
    )]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl CancelJob<'_> {
    fn validate(&self) -> Result<()> {
        require!(self.job.status == JobStatus::Open, IgnisError::JobNotOpen);
        require!(self.job.assigned == 0, IgnisError::JobHasAssignments);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn cancel_job(mut ctx: Context<Self>) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let now = accounts.config.clock()?;
        let amount = settlement::return_escrow(
            &mut accounts.shard,
            &mut accounts.job,
            JobStatus::Cancelled,
            now,
        )?;

        vault::pay_out(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.shard_vault,
            &accounts.poster_token,
            amount,
        )?;
        let event = JobCancelled {
            job_id: accounts.job.id,
            refunded: amount,
            completed_at: accounts.job.completed_at,
        };
        emit_cpi!(event);
        Ok(())
    }
}
