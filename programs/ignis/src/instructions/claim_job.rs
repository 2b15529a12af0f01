use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::JobAssigned, state::*};

/// A staked worker takes one replica of an open job itself, once the orchestrator has
/// been silent for `orchestrator_timeout_seconds`: the same rules as `assign_job`
/// (the job is assignable, the worker eligible and able to finish it in time), signed
/// by the worker's operator instead of the orchestrator. Workers racing for a job are
/// arbitrated by the chain: the job takes as many replicas as it asks for.
#[event_cpi]
#[derive(Accounts)]
pub struct ClaimJob<'info> {
    pub operator: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    #[account(mut, seeds = [WORKER_SEED, operator.key().as_ref()], bump = worker.bump)]
    pub worker: Box<Account<'info, Worker>>,

    /// The operator's stake, read for eligibility.
    #[account(
        seeds = [STAKE_SEED, operator.key().as_ref()],
        bump = operator_stake.bump,
        constraint = operator_stake.owner == operator.key() @ IgnisError::StakeOperatorMismatch,
    )]
    pub operator_stake: Box<Account<'info, Stake>>,
}

impl ClaimJob<'_> {
    fn validate(&self) -> Result<()> {
        self.config.require_not_paused()?;
        let now = self.config.clock()?;
        self.config.check_orchestrator_silent(now)?;
        self.worker.check_assignment(
            &self.worker.key(),
            &self.config,
            self.operator_stake.amount,
            &self.job,
            now,
        )
    }

    #[access_control(ctx.accounts.validate())]
    pub fn claim_job(ctx: Context<Self>) -> Result<()> {
        let now = ctx.accounts.config.clock()?;
        let worker_key = ctx.accounts.worker.key();
        let accounts = &mut *ctx.accounts;
        let deadline = accounts.job.assign_replica(&mut accounts.worker, worker_key, now)?;
        emit_cpi!(JobAssigned { job_id: ctx.accounts.job.id, worker: worker_key, deadline });
        Ok(())
    }
}
