use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, math, settlement, state::*, vault};

/// The assigned worker proves its work; the program checks the hash and pays at once,
/// from the job's shard: the reward minus the protocol fee from escrow, plus the work
/// pool's pay for 2^difficulty work units. The config is only read.
#[event_cpi]
#[derive(Accounts)]
pub struct SubmitPow<'info> {
    pub operator: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    #[account(
        mut,
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump = worker.bump,
        has_one = operator @ IgnisError::Unauthorized,
    )]
    pub worker: Box<Account<'info, Worker>>,

    /// Where the pay goes: any token account of the mint the operator chooses.
    #[account(mut, constraint = payout_token.mint == config.mint @ IgnisError::WrongMint)]
    pub payout_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The job's shard, whose vault pays the escrow share and the work-pool pay.
    #[account(mut, constraint = shard.index == Shard::index_of(job.id) @ IgnisError::WrongShard)]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl SubmitPow<'_> {
    fn validate(&self, nonce: u64) -> Result<()> {
        self.config.require_not_paused()?;
        self.job.check_pow(&self.worker.key(), nonce, self.config.clock()?).map(drop)
    }

    // The hash is computed twice (once in `validate`): one sha256 syscall, for one
    // convention.
    #[access_control(ctx.accounts.validate(nonce))]
    pub fn submit_pow(mut ctx: Context<Self>, nonce: u64) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let config = &accounts.config;
        let now = config.clock()?;
        let worker_key = accounts.worker.key();
        let event = settlement::settle_pow(
            config,
            &mut accounts.shard,
            &mut accounts.worker,
            worker_key,
            &mut accounts.job,
            nonce,
            now,
        )?;
        // Escrow share and work-pool pay sit in the shard vault: one transfer; the fee
        // stays there for `sync_shard`.
        vault::pay_out(
            config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.shard_vault,
            &accounts.payout_token,
            math::add(event.paid, event.work_reward)?,
        )?;
        emit_cpi!(event);
        Ok(())
    }
}
