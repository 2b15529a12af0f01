use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::ResultRevealed, kernels, math, state::*};

/// A kernel replica opens its commitment. Once every commitment is open the results
/// wait out the verifier's window (`Challenge`), in which it may attest or dispute.
#[event_cpi]
#[derive(Accounts)]
pub struct RevealResult<'info> {
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

impl RevealResult<'_> {
    /// Returns the replica's index and the reveal deadline.
    fn replica_and_deadline(
        &self,
        result_hash: &[u8; 32],
        salt: &[u8; 32],
        now: i64,
    ) -> Result<(usize, i64)> {
        let job = &self.job;
        self.config.require_not_paused()?;
        require!(job.kind.is_replicated(), IgnisError::NotKernelJob);
        let deadline = job
            .reveal_deadline_at(now, self.config.params.reveal_window_seconds)
            .ok_or(IgnisError::NotRevealing)?;
        require!(now <= deadline, IgnisError::RevealDeadlinePassed);
        let index = job.assignment_index(&self.worker.key()).ok_or(IgnisError::NotAssigned)?;
        let assignment = &job.assignments[index];
        require!(assignment.committed, IgnisError::NotCommitted);
        require!(!assignment.revealed, IgnisError::AlreadyRevealed);
        require!(
            kernels::result_commitment(result_hash, salt, &self.worker.key())
                == assignment.commitment,
            IgnisError::CommitmentMismatch
        );
        Ok((index, deadline))
    }

    fn validate(&self, result_hash: &[u8; 32], salt: &[u8; 32]) -> Result<()> {
        self.replica_and_deadline(result_hash, salt, self.config.clock()?).map(drop)
    }

    #[access_control(ctx.accounts.validate(&result_hash, &salt))]
    pub fn reveal_result(ctx: Context<Self>, result_hash: [u8; 32], salt: [u8; 32]) -> Result<()> {
        let now = ctx.accounts.config.clock()?;
        let (index, deadline) = ctx.accounts.replica_and_deadline(&result_hash, &salt, now)?;
        let challenge_window = ctx.accounts.config.params.challenge_window_seconds;
        let job = &mut ctx.accounts.job;
        job.assignments[index].result_hash = result_hash;
        job.assignments[index].revealed = true;
        // An expired job with missing replicas enters its reveal phase here.
        job.status = JobStatus::Revealing;
        job.reveal_deadline = deadline;
        if job.live_assignments().iter().filter(|a| a.committed).all(|a| a.revealed) {
            job.status = JobStatus::Challenge;
            job.challenge_deadline = math::add_i64(now, challenge_window)?;
        }
        let event =
            ResultRevealed { job_id: job.id, worker: ctx.accounts.worker.key(), result_hash };
        emit_cpi!(event);
        Ok(())
    }
}
