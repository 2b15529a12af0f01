use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, kernels};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum JobKind {
    /// Find `nonce` with `sha256(seed || worker || nonce_le)` having `difficulty`
    /// leading zero bits. Checked on chain, paid at once.
    Pow { difficulty: u8 },
    /// Run catalog kernel `kernel` of size `size` on inputs generated from the seed;
    /// results are compared between replicas by commit-reveal.
    Kernel { kernel: u8, size: u32 },
}

impl JobKind {
    pub fn kernel(&self) -> u8 {
        match *self {
            JobKind::Pow { .. } => KERNEL_POW_SHA256,
            JobKind::Kernel { kernel, .. } => kernel,
        }
    }

    pub fn validate(&self) -> Result<()> {
        match *self {
            JobKind::Pow { difficulty } => {
                require!(difficulty <= MAX_POW_DIFFICULTY, IgnisError::InvalidDifficulty)
            }
            JobKind::Kernel { kernel, size } => {
                require!(kernel == KERNEL_MATMUL_U32, IgnisError::UnknownKernel);
                require!(
                    (1..=kernels::MAX_MATMUL_N).contains(&size),
                    IgnisError::InvalidKernelSize
                );
            }
        }
        Ok(())
    }

    /// Replicas this kind allows: a PoW answer is checked on chain, so one is enough.
    pub fn validate_replicas(&self, replicas: u8) -> Result<()> {
        let max = match self {
            JobKind::Pow { .. } => 1,
            JobKind::Kernel { .. } => MAX_REPLICAS as u8,
        };
        require!(replicas >= 1 && replicas <= max, IgnisError::InvalidReplicaCount);
        Ok(())
    }

    /// Verified work units, the measure the work pool pays by: 2^difficulty hashes, or
    /// n^3 multiply-adds.
    pub fn work_units(&self) -> u64 {
        match *self {
            JobKind::Pow { difficulty } => 1u64 << difficulty.min(MAX_POW_DIFFICULTY),
            JobKind::Kernel { size, .. } => u64::from(size).pow(3),
        }
    }

    /// Device memory a worker needs for this job, in MiB (rounded up).
    pub fn memory_mb(&self) -> u64 {
        match *self {
            JobKind::Pow { .. } => 0,
            JobKind::Kernel { size, .. } => kernels::matmul_memory_bytes(size).div_ceil(1 << 20),
        }
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum JobStatus {
    /// Escrowed and waiting for (more) workers.
    Open,
    /// Every replica is assigned and working.
    Running,
    /// Paid out to its workers.
    Completed,
    /// Withdrawn by the poster before any assignment.
    Cancelled,
    /// Expired unfinished; the escrow went back to the poster.
    Refunded,
    /// Every replica committed; replicas reveal until `reveal_deadline`.
    Revealing,
    /// A single replica revealed; the verifier may dispute until `challenge_deadline`.
    Challenge,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct Assignment {
    /// The `Worker` account (PDA) assigned to this replica.
    pub worker: Pubkey,
    pub assigned_at: i64,
    /// After this an uncommitted (or, for PoW, unsubmitted) assignment may be expired
    /// and the worker slashed.
    pub deadline: i64,
    /// `sha256(result_hash || salt || worker)`, set by `commit_result`.
    pub commitment: [u8; 32],
    /// Set by `reveal_result` once it matches the commitment.
    pub result_hash: [u8; 32],
    pub committed: bool,
    pub revealed: bool,
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Job {
    pub id: u64,
    pub poster: Pubkey,
    pub kind: JobKind,
    pub seed: [u8; 32],
    /// Total reward, escrowed in `job_vault` until paid or returned.
    pub reward: u64,
    pub replicas: u8,
    pub status: JobStatus,
    /// Filled from the front; `assigned` of them are live.
    pub assignments: [Assignment; MAX_REPLICAS],
    pub assigned: u8,
    /// Seconds a worker has from assignment to submission (PoW) or commitment (kernel).
    pub execution_seconds: i64,
    pub posted_at: i64,
    /// After this an unassigned job can be refunded and no longer assigned.
    pub expires_at: i64,
    /// End of the reveal phase (kernel jobs).
    pub reveal_deadline: i64,
    /// End of the verifier's challenge window (single-replica kernel jobs).
    pub challenge_deadline: i64,
    pub completed_at: i64,
    /// The PoW hash, or the kernel result hash the replicas agreed on.
    pub result_hash: [u8; 32],
    pub pow_nonce: u64,
    /// Times assignments of this job were expired or overturned and the job re-queued.
    pub requeues: u16,
    pub bump: u8,
}

impl Job {
    pub fn live_assignments(&self) -> &[Assignment] {
        &self.assignments[..usize::from(self.assigned)]
    }

    pub fn assignment_index(&self, worker: &Pubkey) -> Option<usize> {
        self.live_assignments().iter().position(|a| a.worker == *worker)
    }

    pub fn committed_count(&self) -> usize {
        self.live_assignments().iter().filter(|a| a.committed).count()
    }

    /// Reward per replica: the price a worker's `min_price` is compared with.
    pub fn price_per_replica(&self) -> u64 {
        self.reward / u64::from(self.replicas.max(1))
    }

    /// The reveal deadline if the job is in its reveal phase at `now`: either every
    /// replica committed, or the job expired with some commitments that deserve a
    /// chance to be revealed.
    pub fn reveal_deadline_at(&self, now: i64, reveal_window: i64) -> Option<i64> {
        match self.status {
            JobStatus::Revealing => Some(self.reveal_deadline),
            JobStatus::Open | JobStatus::Running
                if now >= self.expires_at && self.committed_count() > 0 =>
            {
                Some(self.expires_at.saturating_add(reveal_window))
            }
            _ => None,
        }
    }

    /// Drops the assignment at `index`, keeping the live ones packed at the front.
    pub fn remove_assignment(&mut self, index: usize) -> Result<()> {
        let last = self.assigned.checked_sub(1).ok_or(IgnisError::NotAssigned)?;
        let last = usize::from(last);
        require!(index <= last, IgnisError::NotAssigned);
        self.assignments.copy_within(index + 1..=last, index);
        self.assignments[last] = Assignment::default();
        self.assigned = last as u8;
        Ok(())
    }

    /// Clears every assignment and puts the job back in the queue.
    pub fn requeue(&mut self) -> Result<()> {
        self.assignments = [Assignment::default(); MAX_REPLICAS];
        self.assigned = 0;
        self.status = JobStatus::Open;
        self.reveal_deadline = 0;
        self.challenge_deadline = 0;
        self.requeues = self.requeues.checked_add(1).ok_or(IgnisError::MathOverflow)?;
        Ok(())
    }
}
