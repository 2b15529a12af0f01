use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::PowSubmitted, math, pow, state::*, vault};

/// The assigned worker proves its work; the program checks the hash and pays at once.
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

    /// Where the reward goes: any token account of the mint the operator chooses.
    #[account(mut, constraint = payout_token.mint == config.mint @ IgnisError::WrongMint)]
    pub payout_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.job_vault)]
    pub job_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl SubmitPow<'_> {
    /// Checks everything and returns the winning hash.
    fn verify(&self, nonce: u64) -> Result<[u8; 32]> {
        let job = &self.job;
        self.config.require_not_paused()?;
        #[allow(irrefutable_let_patterns)] // Kernel jobs are the other kind (issue 3)
        let JobKind::Pow { difficulty } = job.kind else {
            return err!(IgnisError::NotPowJob);
        };
        require!(job.status == JobStatus::Running, IgnisError::JobNotRunning);
        let index = job
            .assignment_index(&self.worker.key())
            .ok_or(IgnisError::NotAssigned)?;
        require!(
            Clock::get()?.unix_timestamp <= job.assignments[index].deadline,
            IgnisError::DeadlinePassed
        );
        let hash = pow::pow_hash(&job.seed, &self.worker.key(), nonce);
        require!(pow::meets_difficulty(&hash, difficulty), IgnisError::InsufficientWork);
        Ok(hash)
    }

    pub fn submit_pow(mut ctx: Context<Self>, nonce: u64) -> Result<()> {
        let hash = ctx.accounts.verify(nonce)?;
        let accounts = &mut ctx.accounts;
        let reward = accounts.job.reward;
        let fee = accounts.config.fee_on(reward)?;
        let paid = math::sub(reward, fee)?;

        let job = &mut accounts.job;
        job.status = JobStatus::Completed;
        job.completed_at = Clock::get()?.unix_timestamp;
        job.result_hash = hash;
        job.pow_nonce = nonce;

        let worker = &mut accounts.worker;
        worker.active_jobs = worker
            .active_jobs
            .checked_sub(1)
            .ok_or(IgnisError::MathOverflow)?;
        worker.jobs_completed = math::add(worker.jobs_completed, 1)?;
        worker.earned_total = math::add(worker.earned_total, paid)?;

        let totals = &mut accounts.config.totals;
        totals.escrowed = math::sub(totals.escrowed, reward)?;
        totals.paid_to_workers = math::add(totals.paid_to_workers, paid)?;
        totals.fees = math::add(totals.fees, fee)?;
        totals.jobs_completed = math::add(totals.jobs_completed, 1)?;

        vault::pay_out(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.job_vault,
            &accounts.payout_token,
            paid,
        )?;
        vault::pay_out(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.job_vault,
            &accounts.reward_vault,
            fee,
        )?;
        let event = PowSubmitted {
            job_id: accounts.job.id,
            worker: accounts.worker.key(),
            nonce,
            hash,
            paid,
            fee,
        };
        emit_cpi!(event);
        Ok(())
    }
}
