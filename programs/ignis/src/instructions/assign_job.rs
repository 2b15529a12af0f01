use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::JobAssigned, state::*};

/// The orchestrator gives one replica of a job to one worker. Several of these fit in
/// one transaction, which is how the orchestrator batches.
#[event_cpi]
#[derive(Accounts)]
pub struct AssignJob<'info> {
    #[account(address = config.orchestrator @ IgnisError::NotOrchestrator)]
    pub orchestrator: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    #[account(mut, seeds = [WORKER_SEED, worker.operator.as_ref()], bump = worker.bump)]
    pub worker: Box<Account<'info, Worker>>,

    /// The worker operator's stake, read for eligibility.
    #[account(
        seeds = [STAKE_SEED, worker.operator.as_ref()],
        bump = operator_stake.bump,
        constraint = operator_stake.owner == worker.operator @ IgnisError::StakeOperatorMismatch,
    )]
    pub operator_stake: Box<Account<'info, Stake>>,
}

impl AssignJob<'_> {
    fn validate(&self) -> Result<()> {
        // The rules live on the state, shared with `claim_job` and the orchestrator's
        // matcher feed.
        let now = self.config.clock()?;
        self.worker.check_assignment(
            &self.worker.key(),
            &self.config,
            self.operator_stake.amount,
            &self.job,
            now,
        )
    }

    #[access_control(ctx.accounts.validate())]
    pub fn assign_job(ctx: Context<Self>) -> Result<()> {
        let now = ctx.accounts.config.clock()?;
        let worker_key = ctx.accounts.worker.key();
        let accounts = &mut *ctx.accounts;
        let deadline = accounts.job.assign_replica(&mut accounts.worker, worker_key, now)?;
        emit_cpi!(JobAssigned { job_id: ctx.accounts.job.id, worker: worker_key, deadline });
        Ok(())
    }
}
