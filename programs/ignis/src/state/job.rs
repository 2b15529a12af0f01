use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum JobKind {
    /// Find `nonce` with `sha256(seed || worker || nonce_le)` having `difficulty`
    /// leading zero bits.
    Pow { difficulty: u8 },
}

impl JobKind {
    pub fn kernel(&self) -> u8 {
        match self {
            JobKind::Pow { .. } => KERNEL_POW_SHA256,
        }
    }

    pub fn validate(&self) -> Result<()> {
        match *self {
            JobKind::Pow { difficulty } => {
                require!(difficulty <= MAX_POW_DIFFICULTY, IgnisError::InvalidDifficulty)
            }
        }
        Ok(())
    }

    /// Replicas this kind allows: a PoW answer is checked on chain, so one is enough.
    pub fn validate_replicas(&self, replicas: u8) -> Result<()> {
        let max = match self {
            JobKind::Pow { .. } => 1,
        };
        require!(replicas >= 1 && replicas <= max, IgnisError::InvalidReplicaCount);
        Ok(())
    }

    /// Verified work units, the measure of how much work a job is worth.
    pub fn work_units(&self) -> u64 {
        match *self {
            JobKind::Pow { difficulty } => 1u64 << difficulty.min(MAX_POW_DIFFICULTY),
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
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct Assignment {
    /// The `Worker` account (PDA) assigned to this replica.
    pub worker: Pubkey,
    pub assigned_at: i64,
    /// After this the assignment may be expired and the worker slashed.
    pub deadline: i64,
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
    /// Seconds a worker has from assignment to submission.
    pub execution_seconds: i64,
    pub posted_at: i64,
    /// After this an unassigned job can be refunded and no longer assigned.
    pub expires_at: i64,
    pub completed_at: i64,
    /// The PoW hash (or, later, the agreed kernel result hash).
    pub result_hash: [u8; 32],
    pub pow_nonce: u64,
    /// Times an assignment of this job was expired and the job re-queued.
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

    /// Reward per replica: the price a worker's `min_price` is compared with.
    pub fn price_per_replica(&self) -> u64 {
        self.reward / u64::from(self.replicas.max(1))
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
}
