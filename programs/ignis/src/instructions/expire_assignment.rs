use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::AssignmentExpired, math, state::*, vault};

/// Anyone may expire an assignment whose deadline passed: the worker's operator is
/// slashed at the miss rate (into `reward_vault`) and the job goes back to the queue.
#[event_cpi]
#[derive(Accounts)]
pub struct ExpireAssignment<'info> {
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    #[account(mut, seeds = [WORKER_SEED, worker.operator.as_ref()], bump = worker.bump)]
    pub worker: Box<Account<'info, Worker>>,

    #[account(
        mut,
        seeds = [STAKE_SEED, worker.operator.as_ref()],
        bump = operator_stake.bump,
        constraint = operator_stake.owner == worker.operator @ IgnisError::StakeOperatorMismatch,
    )]
    pub operator_stake: Box<Account<'info, Stake>>,

    #[account(mut, address = config.stake_vault)]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl ExpireAssignment<'_> {
    /// Returns the index of the expired assignment.
    fn verify(&self) -> Result<usize> {
        // Deadlines keep running while paused; expiring is held back so nobody is
        // slashed for a pause they could not work through.
        self.config.require_not_paused()?;
        let job = &self.job;
        require!(
            matches!(job.status, JobStatus::Open | JobStatus::Running),
            IgnisError::JobNotRunning
        );
        let index = job
            .assignment_index(&self.worker.key())
            .ok_or(IgnisError::NotAssigned)?;
        require!(
            Clock::get()?.unix_timestamp > job.assignments[index].deadline,
            IgnisError::DeadlineNotReached
        );
        Ok(index)
    }

    pub fn expire_assignment(mut ctx: Context<Self>) -> Result<()> {
        let index = ctx.accounts.verify()?;
        let accounts = &mut ctx.accounts;
        let miss_slash_bps = accounts.config.params.miss_slash_bps;

        let slashed = accounts.operator_stake.slash(miss_slash_bps)?;
        let slashed_total = slashed.total()?;
        let totals = &mut accounts.config.totals;
        totals.staked = math::sub(totals.staked, slashed.from_bonded)?;
        totals.unbonding = math::sub(totals.unbonding, slashed.from_unbonding)?;
        totals.slashed = math::add(totals.slashed, slashed_total)?;

        let worker = &mut accounts.worker;
        worker.active_jobs = worker
            .active_jobs
            .checked_sub(1)
            .ok_or(IgnisError::MathOverflow)?;
        worker.jobs_missed = math::add(worker.jobs_missed, 1)?;
        worker.slashed_total = math::add(worker.slashed_total, slashed_total)?;

        let job = &mut accounts.job;
        job.remove_assignment(index)?;
        job.status = JobStatus::Open;
        job.requeues = job.requeues.checked_add(1).ok_or(IgnisError::MathOverflow)?;

        vault::pay_out(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.stake_vault,
            &accounts.reward_vault,
            slashed_total,
        )?;
        let event = AssignmentExpired {
            job_id: accounts.job.id,
            worker: accounts.worker.key(),
            slashed: slashed_total,
        };
        emit_cpi!(event);
        Ok(())
    }
}
