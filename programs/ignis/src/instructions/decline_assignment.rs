use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::AssignmentDeclined, math, state::*};

/// A worker turns down an assignment within its decline window (at most
/// `DECLINE_WINDOW_SECONDS`, and half the job's execution window), at no cost: the
/// replica goes back to the queue. A worker is never bound to a job it did not accept.
#[event_cpi]
#[derive(Accounts)]
pub struct DeclineAssignment<'info> {
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
}

impl DeclineAssignment<'_> {
    /// Returns the index of the declined assignment.
    fn index(&self) -> Result<usize> {
        let job = &self.job;
        require!(
            matches!(job.status, JobStatus::Open | JobStatus::Running),
            IgnisError::JobNotRunning
        );
        let index = job.assignment_index(&self.worker.key()).ok_or(IgnisError::NotAssigned)?;
        require!(!job.assignments[index].committed, IgnisError::AlreadyCommitted);
        require!(
            self.config.clock()? <= job.decline_deadline(index),
            IgnisError::DeclineWindowClosed
        );
        Ok(index)
    }

    fn validate(&self) -> Result<()> {
        self.index().map(|_| ())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn decline_assignment(ctx: Context<Self>) -> Result<()> {
        let index = ctx.accounts.index()?;
        let job = &mut ctx.accounts.job;
        job.requeue_replica(index)?;
        let worker = &mut ctx.accounts.worker;
        crate::settlement::release(worker)?;
        worker.jobs_declined = math::add(worker.jobs_declined, 1)?;
        emit_cpi!(AssignmentDeclined { job_id: job.id, worker: worker.key() });
        Ok(())
    }
}
