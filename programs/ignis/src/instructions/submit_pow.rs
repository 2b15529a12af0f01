use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    constants::*, errors::IgnisError, events::PowSubmitted, math, pow, settlement, state::*, vault,
};

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
    /// Checks everything and returns the winning hash.
    fn winning_hash(&self, nonce: u64) -> Result<[u8; 32]> {
        let job = &self.job;
        self.config.require_not_paused()?;
        let JobKind::Pow { difficulty } = job.kind else {
            return err!(IgnisError::NotPowJob);
        };
        require!(job.status == JobStatus::Running, IgnisError::JobNotRunning);
        let index = job.assignment_index(&self.worker.key()).ok_or(IgnisError::NotAssigned)?;
        require!(
            self.config.clock()? <= job.assignments[index].deadline,
            IgnisError::DeadlinePassed
        );
        let hash = pow::pow_hash(&job.seed, &self.worker.key(), nonce);
        require!(pow::meets_difficulty(&hash, difficulty), IgnisError::InsufficientWork);
        Ok(hash)
    }

    fn validate(&self, nonce: u64) -> Result<()> {
        self.winning_hash(nonce).map(drop)
    }

    // The hash is computed twice (once here): one sha256 syscall, for one convention.
    #[access_control(ctx.accounts.validate(nonce))]
    pub fn submit_pow(mut ctx: Context<Self>, nonce: u64) -> Result<()> {
        let hash = ctx.accounts.winning_hash(nonce)?;
        let accounts = &mut ctx.accounts;
        let config = &accounts.config;
        let now = config.clock()?;

        // The hash was checked on chain: verified work, paid from the work pool too.
        let job = &mut accounts.job;
        let shard = &mut accounts.shard;
        let (share, fee) = settlement::split_reward(config, shard, job.reward, 1)?;
        let from_work_pool =
            shard.take_work_payment(config.rewards.work_rate, job.kind.work_units(), 1)?;
        let payment = settlement::pay(shard, &mut accounts.worker, share, from_work_pool)?;
        job.status = JobStatus::Completed;
        job.completed_at = now;
        job.result_hash = hash;
        job.pow_nonce = nonce;

        // Escrow share and work-pool pay sit in the shard vault: one transfer; the fee
        // stays there for `sync_shard`.
        vault::pay_out(
            config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.shard_vault,
            &accounts.payout_token,
            math::add(payment.from_escrow, payment.from_work_pool)?,
        )?;
        let event = PowSubmitted {
            job_id: accounts.job.id,
            worker: accounts.worker.key(),
            nonce,
            hash,
            paid: payment.from_escrow,
            work_reward: payment.from_work_pool,
            fee,
            completed_at: accounts.job.completed_at,
        };
        emit_cpi!(event);
        Ok(())
    }
}
