use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    constants::*, errors::IgnisError, events::PowSubmitted, pow, settlement, state::*, vault,
};

/// The assigned worker proves its work; the program checks the hash and pays at once:
/// the reward minus the protocol fee from escrow, plus the work pool's pay for
/// 2^difficulty work units.
#[event_cpi]
#[derive(Accounts)]
pub struct SubmitPow<'info> {
    pub operator: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
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

    #[account(mut, address = config.job_vault)]
    pub job_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// CHECK: the mint authority, checked by seeds; signs the emission mint.
    #[account(seeds = [EMISSION_SEED], bump = config.emission_bump)]
    pub emission: UncheckedAccount<'info>,

    #[account(mut, address = config.mint @ IgnisError::WrongMint)]
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
        let config = &mut accounts.config;
        config.accrue(Clock::get()?.unix_timestamp)?;
        let now = config.clock()?;

        // The hash was checked on chain: verified work, paid from the work pool too.
        let job = &mut accounts.job;
        let (share, fee) = settlement::split_reward(config, job.reward, 1)?;
        let from_work_pool = config.take_work_payment(job.kind.work_units(), 1)?;
        let payment = settlement::pay(config, &mut accounts.worker, share, from_work_pool)?;
        job.status = JobStatus::Completed;
        job.completed_at = now;
        job.result_hash = hash;
        job.pow_nonce = nonce;

        vault::mint_emission(
            &mut accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.reward_vault,
            &accounts.emission,
        )?;
        let (config, token_program, mint) =
            (&accounts.config, &accounts.token_program, &accounts.mint);
        vault::pay_out(
            config,
            token_program,
            mint,
            &accounts.job_vault,
            &accounts.payout_token,
            payment.from_escrow,
        )?;
        vault::pay_out(
            config,
            token_program,
            mint,
            &accounts.job_vault,
            &accounts.reward_vault,
            fee,
        )?;
        vault::pay_out(
            config,
            token_program,
            mint,
            &accounts.reward_vault,
            &accounts.payout_token,
            payment.from_work_pool,
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
