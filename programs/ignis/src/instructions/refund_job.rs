use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::JobRefunded, settlement, state::*, vault};

/// Anyone may return the escrow of an unassigned job to its poster once it expired, or
/// once it was re-queued too often to be assigned again. Allowed while paused.
#[event_cpi]
#[derive(Accounts)]
pub struct RefundJob<'info> {
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    /// The refund can only go to a token account the poster owns.
    #[account(
        mut,
        constraint = poster_token.mint == config.mint @ IgnisError::WrongMint,
        constraint = poster_token.owner == job.poster @ IgnisError::WrongTokenOwner,
    )]
    pub poster_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The job's shard, which keeps its escrow.
    #[account(mut, constraint = shard.index == Shard::index_of(job.id) @ IgnisError::WrongShard)]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl RefundJob<'_> {
    fn validate(&self) -> Result<()> {
        // Committed work is settled by `finalize_job`, never refunded over.
        require!(self.job.committed_count() == 0, IgnisError::JobHasCommitments);
        require!(self.job.status == JobStatus::Open, IgnisError::JobNotOpen);
        // Live assignments must be expired (and their workers slashed) first.
        require!(self.job.assigned == 0, IgnisError::JobHasAssignments);
        require!(self.job.refundable_at(self.config.clock()?), IgnisError::JobNotExpired);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn refund_job(mut ctx: Context<Self>) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let now = accounts.config.clock()?;
        let amount = settlement::return_escrow(
            &mut accounts.shard,
            &mut accounts.job,
            JobStatus::Refunded,
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
        let event = JobRefunded {
            job_id: accounts.job.id,
            poster: accounts.job.poster,
            amount,
            completed_at: accounts.job.completed_at,
        };
        emit_cpi!(event);
        Ok(())
    }
}
