use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::ResultCommitted, math, state::*};

/// A kernel replica commits to its result before anyone reveals, so none can copy.
#[event_cpi]
#[derive(Accounts)]
pub struct CommitResult<'info> {
    pub operator: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Account<'info, Config>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    #[account(
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump = worker.bump,
        has_one = operator @ IgnisError::Unauthorized,
    )]
    pub worker: Account<'info, Worker>,
}

impl CommitResult<'_> {
    /// Returns the replica's index.
    fn replica_index(&self, commitment: &[u8; 32]) -> Result<usize> {
        let job = &self.job;
        self.config.require_not_paused()?;
        require!(job.kind.is_replicated(), IgnisError::NotKernelJob);
        require!(
            matches!(job.status, JobStatus::Open | JobStatus::Running),
            IgnisError::JobNotRunning
        );
        let index = job.assignment_index(&self.worker.key()).ok_or(IgnisError::NotAssigned)?;
        let assignment = &job.assignments[index];
        require!(!assignment.committed, IgnisError::AlreadyCommitted);
        // Each replica keeps its own deadline, expired job or not: the reveal phase
        // waits for it (`Job::reveal_deadline_at`).
        require!(self.config.clock()? <= assignment.deadline, IgnisError::DeadlinePassed);
        // Commitments bind the worker key, so an equal one can only be a copy.
        require!(
            job.live_assignments().iter().all(|a| a.commitment != *commitment),
            IgnisError::DuplicateCommitment
        );
        Ok(index)
    }

    fn validate(&self, commitment: &[u8; 32]) -> Result<()> {
        self.replica_index(commitment).map(drop)
    }

    #[access_control(ctx.accounts.validate(&commitment))]
    pub fn commit_result(ctx: Context<Self>, commitment: [u8; 32]) -> Result<()> {
        let index = ctx.accounts.replica_index(&commitment)?;
        let now = ctx.accounts.config.clock()?;
        let reveal_window = ctx.accounts.config.params.reveal_window_seconds;
        let job = &mut ctx.accounts.job;
        job.assignments[index].commitment = commitment;
        job.assignments[index].committed = true;
        if usize::from(job.replicas) == job.committed_count() {
            job.status = JobStatus::Revealing;
            job.reveal_deadline = math::add_i64(now, reveal_window)?;
        }
        let event = ResultCommitted {
            job_id: job.id,
            worker: ctx.accounts.worker.key(),
            revealing: job.status == JobStatus::Revealing,
        };
        emit_cpi!(event);
        Ok(())
    }
}
