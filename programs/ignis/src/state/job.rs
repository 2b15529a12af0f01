use anchor_lang::prelude::*;

use crate::{
    constants::*,
    errors::IgnisError,
    kernels,
    state::{Config, Params},
};

/// A blob of the data plane: the SHA-256 of its bytes, and its size.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct BlobRef {
    pub sha256: [u8; 32],
    pub size: u64,
}

/// A kernel run on the poster's data. Its shape is declared here so the program can
/// price and bound it; workers and the verifier derive it from the inputs themselves
/// and refuse a job whose inputs do not match (`ignis_kernels::tensor_job`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct TensorSpec {
    /// `KERNEL_GEMM_I8` (inputs: A.npy, B.npy) or `KERNEL_MLP_I8` (inputs:
    /// model.safetensors, batch.npy).
    pub kernel: u8,
    pub inputs: [BlobRef; 2],
    /// Output rows: m for gemm-i8, the batch for mlp-i8. Replicas commit to the Merkle
    /// root over these rows.
    pub rows: u32,
    /// Bytes of one output row (int32 little-endian): 4n, or 4 x classes.
    pub row_bytes: u32,
    /// Multiply-adds per output row: k x n, or the sum of the layers' in x out.
    pub macs_per_row: u64,
}

impl TensorSpec {
    pub fn macs(&self) -> u64 {
        u64::from(self.rows).saturating_mul(self.macs_per_row)
    }

    pub fn validate(&self) -> Result<()> {
        require!(
            self.kernel == KERNEL_GEMM_I8 || self.kernel == KERNEL_MLP_I8,
            IgnisError::UnknownKernel
        );
        require!(
            (1..=MAX_TENSOR_ROWS).contains(&self.rows)
                && (1..=MAX_TENSOR_ROW_BYTES).contains(&self.row_bytes)
                && self.row_bytes & 3 == 0
                && self.macs_per_row > 0
                && self.macs() <= MAX_TENSOR_MACS
                && self.inputs.iter().all(|input| input.size > 0),
            IgnisError::InvalidKernelSize
        );
        Ok(())
    }
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum JobKind {
    /// Find `nonce` with `sha256(seed || worker || nonce_le)` having `difficulty`
    /// leading zero bits. Checked on chain, paid at once.
    Pow { difficulty: u8 },
    /// Run catalog kernel `kernel` of size `size` on inputs generated from the seed;
    /// results are compared between replicas by commit-reveal.
    Kernel { kernel: u8, size: u32 },
    /// Run a kernel on the poster's inputs (blobs of the data plane); replicas commit
    /// to the Merkle root of the output's rows, so the verifier can check sampled rows.
    Tensor { spec: TensorSpec },
}

impl JobKind {
    pub fn kernel(&self) -> u8 {
        match *self {
            JobKind::Pow { .. } => KERNEL_POW_SHA256,
            JobKind::Kernel { kernel, .. } => kernel,
            JobKind::Tensor { spec } => spec.kernel,
        }
    }

    /// Whether replicas settle by commit-reveal (every kind but PoW, whose answer the
    /// program checks itself).
    pub fn is_replicated(&self) -> bool {
        !matches!(self, JobKind::Pow { .. })
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
            JobKind::Tensor { spec } => spec.validate()?,
        }
        Ok(())
    }

    /// Replicas this kind allows: a PoW answer is checked on chain, so one is enough.
    pub fn validate_replicas(&self, replicas: u8) -> Result<()> {
        let max = match self {
            JobKind::Pow { .. } => 1,
            JobKind::Kernel { .. } | JobKind::Tensor { .. } => MAX_REPLICAS as u8,
        };
        require!(replicas >= 1 && replicas <= max, IgnisError::InvalidReplicaCount);
        Ok(())
    }

    /// Work units, the measure the work pool pays verified work by, in SHA-256
    /// compressions: 2^difficulty for PoW, n^3 multiply-adds priced at
    /// [`MATMUL_MACS_PER_WORK_UNIT`] each for matmul (rounded up).
    pub fn work_units(&self) -> u64 {
        match *self {
            JobKind::Pow { difficulty } => 1u64 << difficulty.min(MAX_POW_DIFFICULTY),
            JobKind::Kernel { size, .. } => {
                u64::from(size).pow(3).div_ceil(MATMUL_MACS_PER_WORK_UNIT)
            }
            JobKind::Tensor { spec } => spec.macs().div_ceil(MATMUL_MACS_PER_WORK_UNIT),
        }
    }

    /// Device memory a worker needs for this job, in MiB (rounded up).
    pub fn memory_mb(&self) -> u64 {
        match *self {
            JobKind::Pow { .. } => 0,
            JobKind::Kernel { size, .. } => kernels::matmul_memory_bytes(size).div_ceil(1 << 20),
            // Inputs and output in device memory.
            JobKind::Tensor { spec } => spec.inputs[0]
                .size
                .saturating_add(spec.inputs[1].size)
                .saturating_add(u64::from(spec.rows) * u64::from(spec.row_bytes))
                .div_ceil(1 << 20),
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

#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
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

/// A service level bought for a job (`buy_sla`) before any assignment: only proven
/// workers with `min_uptime_bps` uptime are assigned it, and each replica that misses
/// its deadline pays the poster `compensation_bps` of its slash.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct SlaTerms {
    pub compensation_bps: u16,
    pub min_uptime_bps: u16,
    /// What the poster paid for it (to the stakers, who give up the compensation).
    pub premium: u64,
}

impl SlaTerms {
    /// Whether a worker with `capacity` may be assigned a job under these terms: it
    /// answered a challenge and keeps the uptime.
    pub fn admits(&self, capacity: &crate::state::Capacity) -> bool {
        capacity.proven() && capacity.uptime_bps() >= self.min_uptime_bps
    }
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Job {
    pub id: u64,
    pub poster: Pubkey,
    pub kind: JobKind,
    pub seed: [u8; 32],
    /// Total reward, escrowed in its shard's vault until paid or returned.
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
    /// Times assignments of this job were expired, declined or overturned and the job
    /// re-queued; at [`MAX_REQUEUES`] it is no longer assigned.
    pub requeues: u16,
    /// The latest deadline any assignment of this job was given: commitments can
    /// arrive until then, so the reveal phase of an expired job waits for it.
    pub last_deadline: i64,
    pub bump: u8,
    pub sla: Option<SlaTerms>,
}

/// How a kernel job is settled: by the replicas alone once the verifier's window has
/// passed, or by the verifier naming the right result (or none) within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ruling {
    /// No ruling: replicas that agree unanimously by a strict majority of the job's
    /// replicas are paid their escrow share, and nothing from the work pool (nobody
    /// checked the work).
    Unverified,
    /// The verifier checked the result with this hash: replicas that revealed it are
    /// paid, with work-pool pay; every other revealed hash is fraud.
    Attested([u8; 32]),
    /// The verifier found every revealed result wrong.
    Disputed,
}

/// A step a job's worker still owes it: [`Job::duty_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duty {
    /// Find and submit a PoW nonce (`submit_pow`).
    SubmitNonce,
    /// Compute the kernel and commit to its result (`commit_result`).
    Commit,
    /// Reveal the committed result once the reveal phase opens (`reveal_result`).
    Reveal,
}

impl Job {
    /// `buy_sla`'s rule: the job is open, has never been assigned (so nobody buys
    /// cover after seeing which worker it went to), and has no SLA yet.
    pub fn check_sla_purchase(&self) -> Result<()> {
        require!(self.status == JobStatus::Open, IgnisError::JobNotOpen);
        require!(self.assigned == 0 && self.requeues == 0, IgnisError::SlaAfterAssignment);
        require!(self.sla.is_none(), IgnisError::SlaAlreadyBought);
        Ok(())
    }

    pub fn live_assignments(&self) -> &[Assignment] {
        &self.assignments[..usize::from(self.assigned)]
    }

    pub fn assignment_index(&self, worker: &Pubkey) -> Option<usize> {
        self.live_assignments().iter().position(|a| a.worker == *worker)
    }

    /// The PoW rule: `worker` holds a replica of this running PoW job, its deadline has
    /// not passed at protocol time `now`, and `nonce` meets the job's difficulty.
    /// Returns the winning hash.
    pub fn check_pow(&self, worker: &Pubkey, nonce: u64, now: i64) -> Result<[u8; 32]> {
        let JobKind::Pow { difficulty } = self.kind else {
            return err!(IgnisError::NotPowJob);
        };
        require!(self.status == JobStatus::Running, IgnisError::JobNotRunning);
        let index = self.assignment_index(worker).ok_or(IgnisError::NotAssigned)?;
        require!(now <= self.assignments[index].deadline, IgnisError::DeadlinePassed);
        let hash = crate::pow::pow_hash(&self.seed, worker, nonce);
        require!(crate::pow::meets_difficulty(&hash, difficulty), IgnisError::InsufficientWork);
        Ok(hash)
    }

    pub fn committed_count(&self) -> usize {
        self.live_assignments().iter().filter(|a| a.committed).count()
    }

    /// Reward per replica: the price a worker's `min_price` is compared with.
    pub fn price_per_replica(&self) -> u64 {
        self.reward / u64::from(self.replicas.max(1))
    }

    /// The reveal deadline once the job's reveal phase has begun at protocol time
    /// `now`: either every replica committed (set then), or the job can take no more
    /// assignments and no uncommitted replica can still commit. Each replica keeps its
    /// own deadline: the phase waits for the latest one ever given.
    pub fn reveal_deadline_at(&self, now: i64, reveal_window: i64) -> Option<i64> {
        match self.status {
            JobStatus::Revealing | JobStatus::Challenge => Some(self.reveal_deadline),
            JobStatus::Open | JobStatus::Running
                if self.committed_count() > 0
                    && now >= self.expires_at
                    && self.live_assignments().iter().all(|a| a.committed || now > a.deadline) =>
            {
                Some(self.expires_at.max(self.last_deadline).saturating_add(reveal_window))
            }
            _ => None,
        }
    }

    /// The reveal deadline, if reveals are over at `now`: every commitment revealed,
    /// or the deadline passed.
    pub fn reveals_closed_at(&self, now: i64, params: &Params) -> Option<i64> {
        let deadline = self.reveal_deadline_at(now, params.reveal_window_seconds)?;
        let every_commitment_revealed =
            self.live_assignments().iter().filter(|a| a.committed).all(|a| a.revealed);
        (every_commitment_revealed || now > deadline).then_some(deadline)
    }

    /// The end of the verifier's window, once reveals are over: it may attest or
    /// dispute until then, and the job settles without it after.
    pub fn verification_deadline_at(&self, now: i64, params: &Params) -> Option<i64> {
        let reveal_deadline = self.reveals_closed_at(now, params)?;
        Some(match self.status {
            JobStatus::Challenge => self.challenge_deadline,
            _ => reveal_deadline.saturating_add(params.challenge_window_seconds),
        })
    }

    pub fn revealed_count(&self) -> usize {
        self.live_assignments().iter().filter(|a| a.revealed).count()
    }

    /// Whether the verifier may rule on this kernel job at `now`.
    pub fn verifiable_at(&self, now: i64, params: &Params) -> bool {
        self.revealed_count() > 0
            && self.verification_deadline_at(now, params).is_some_and(|end| now <= end)
    }

    /// Whether anyone may settle this kernel job without the verifier at `now`: its
    /// window passed, or nothing was revealed for it to rule on.
    pub fn finalizable_at(&self, now: i64, params: &Params) -> bool {
        self.verification_deadline_at(now, params)
            .is_some_and(|end| now > end || self.revealed_count() == 0)
    }

    /// The job side of `assign_job` at protocol time `now`: open, not expired, not
    /// re-queued too often. The worker side is [`crate::state::Worker::check_eligible`]
    /// and [`crate::state::Worker::check_can_take`].
    pub fn check_assignable(&self, now: i64) -> Result<()> {
        require!(self.status == JobStatus::Open, IgnisError::JobNotOpen);
        require!(now < self.expires_at, IgnisError::JobExpired);
        require!(self.requeues < MAX_REQUEUES, IgnisError::RequeueLimitReached);
        Ok(())
    }

    /// Whether a batch assignment (`assign_jobs`) skips this job for `worker` at `now`
    /// rather than fail: it can no longer be assigned (cancelled, filled or expired
    /// since it was matched) or already holds the worker (another orchestrator got
    /// there first). Nothing about the worker is judged here.
    pub fn lost_to_race(&self, worker: &Pubkey, now: i64) -> bool {
        self.check_assignable(now).is_err() || self.assignment_index(worker).is_some()
    }

    /// Gives the next replica to `worker` (at address `worker_key`) at protocol time
    /// `now`, for `assign_job` and `claim_job` alike (their checks are
    /// `check_assignable` and `Worker::check_can_take`); returns its deadline.
    pub fn assign_replica(
        &mut self,
        worker: &mut crate::state::Worker,
        worker_key: Pubkey,
        now: i64,
    ) -> Result<i64> {
        let deadline = crate::math::add_i64(now, self.execution_seconds)?;
        let slot = usize::from(self.assigned);
        require!(slot < self.assignments.len(), IgnisError::JobNotOpen);
        self.assignments[slot] =
            Assignment { worker: worker_key, assigned_at: now, deadline, ..Assignment::default() };
        self.assigned = self.assigned.checked_add(1).ok_or(IgnisError::MathOverflow)?;
        self.last_deadline = self.last_deadline.max(deadline);
        if self.assigned == self.replicas {
            self.status = JobStatus::Running;
        }
        worker.active_jobs = worker.active_jobs.checked_add(1).ok_or(IgnisError::MathOverflow)?;
        Ok(deadline)
    }

    /// Whether a new replica may be assigned at `now`: [`Job::check_assignable`].
    pub fn assignable_at(&self, now: i64) -> bool {
        self.check_assignable(now).is_ok()
    }

    /// `expire_assignment`'s rule at protocol time `now`: `worker` holds a replica it
    /// neither submitted nor committed by its deadline. Returns the replica's index.
    pub fn check_expire(&self, config: &Config, worker: &Pubkey, now: i64) -> Result<usize> {
        // Deadlines stand still while paused (the protocol clock stops), and expiring
        // waits for the end of the pause too.
        config.require_not_paused()?;
        require!(
            matches!(self.status, JobStatus::Open | JobStatus::Running),
            IgnisError::JobNotRunning
        );
        let index = self.assignment_index(worker).ok_or(IgnisError::NotAssigned)?;
        let assignment = &self.assignments[index];
        // A commitment is the kernel replica's proof it worked in time; what happens to
        // it next is for `finalize_job`.
        require!(!assignment.committed, IgnisError::AlreadyCommitted);
        require!(now > assignment.deadline, IgnisError::DeadlineNotReached);
        Ok(index)
    }

    /// `finalize_job`'s rule at protocol time `now`: a kernel job whose verifier window
    /// passed, or with nothing revealed for the verifier to rule on.
    pub fn check_finalize(&self, config: &Config, now: i64) -> Result<()> {
        config.require_not_paused()?;
        require!(self.kind.is_replicated(), IgnisError::NotKernelJob);
        let params = &config.params;
        if !self.finalizable_at(now, params) {
            return Err(if self.verification_deadline_at(now, params).is_some() {
                error!(IgnisError::ChallengeWindowOpen)
            } else if self.reveal_deadline_at(now, params.reveal_window_seconds).is_some() {
                error!(IgnisError::RevealStillOpen)
            } else {
                error!(IgnisError::NotFinalizable)
            });
        }
        Ok(())
    }

    /// `attest_result` / `dispute_result`'s rule at protocol time `now`: the verifier
    /// may rule on a kernel job with something revealed until its window closes, and
    /// may attest only a result some replica revealed.
    pub fn check_ruling(&self, config: &Config, ruling: Ruling, now: i64) -> Result<()> {
        config.require_not_paused()?;
        require!(self.kind.is_replicated(), IgnisError::NotKernelJob);
        let end =
            self.verification_deadline_at(now, &config.params).ok_or(IgnisError::NotInChallenge)?;
        require!(now <= end, IgnisError::ChallengeWindowClosed);
        require!(self.revealed_count() > 0, IgnisError::NothingRevealed);
        if let Ruling::Attested(hash) = ruling {
            require!(
                self.live_assignments().iter().any(|a| a.revealed && a.result_hash == hash),
                IgnisError::NoReplicaRevealedResult
            );
        }
        Ok(())
    }

    /// What the job still wants from `worker`, by its state (each step's deadline is
    /// checked when the step is taken): the step `submit_pow`, `commit_result` or
    /// `reveal_result` is for. `None`: nothing, the worker may forget the job.
    pub fn duty_of(&self, worker: &Pubkey) -> Option<(usize, Duty)> {
        let index = self.assignment_index(worker)?;
        let assignment = &self.assignments[index];
        let duty = match (self.kind, self.status) {
            (JobKind::Pow { .. }, JobStatus::Running) => Duty::SubmitNonce,
            (
                JobKind::Kernel { .. } | JobKind::Tensor { .. },
                JobStatus::Open | JobStatus::Running,
            ) if !assignment.committed => Duty::Commit,
            (
                JobKind::Kernel { .. } | JobKind::Tensor { .. },
                JobStatus::Open | JobStatus::Running | JobStatus::Revealing | JobStatus::Challenge,
            ) if assignment.committed && !assignment.revealed => Duty::Reveal,
            _ => return None,
        };
        Some((index, duty))
    }

    /// Whether the escrow may go back to the poster at `now`: nothing assigned or
    /// committed, and the job expired or was re-queued too often to be assigned.
    pub fn refundable_at(&self, now: i64) -> bool {
        self.status == JobStatus::Open
            && self.assigned == 0
            && self.committed_count() == 0
            && (now >= self.expires_at || self.requeues >= MAX_REQUEUES)
    }

    /// Until when the assignment at `index` may be declined at no cost.
    pub fn decline_deadline(&self, index: usize) -> i64 {
        let window = DECLINE_WINDOW_SECONDS.min(self.execution_seconds / 2);
        self.assignments[index].assigned_at.saturating_add(window)
    }

    /// Whether the job is settled for good and may be closed at protocol time `now`.
    pub fn closable_at(&self, now: i64, params: &Params) -> bool {
        self.check_close(params, now).is_ok()
    }

    /// How many jobs one batch instruction (`post_jobs`, `assign_jobs`, `submit_pows`,
    /// `close_jobs`) may carry: 1 to `MAX_BATCH_JOBS`. Clients fill batches by it too.
    pub fn check_batch_size(jobs: usize) -> Result<()> {
        require!(
            (1..=usize::from(MAX_BATCH_JOBS)).contains(&jobs),
            IgnisError::BatchAccountsMismatch
        );
        Ok(())
    }

    /// `close_job`'s rule at protocol time `now`: a completed, cancelled or refunded
    /// job, once its retention has passed.
    pub fn check_close(&self, params: &Params, now: i64) -> Result<()> {
        require!(
            matches!(
                self.status,
                JobStatus::Completed | JobStatus::Cancelled | JobStatus::Refunded
            ),
            IgnisError::JobNotSettled
        );
        require!(
            now >= self.completed_at.saturating_add(params.job_retention_seconds),
            IgnisError::RetentionNotElapsed
        );
        Ok(())
    }

    /// Drops the assignment at `index` (expired or declined), keeping the live ones
    /// packed at the front, and puts its replica back in the queue.
    pub fn requeue_replica(&mut self, index: usize) -> Result<()> {
        let last = self.assigned.checked_sub(1).ok_or(IgnisError::NotAssigned)?;
        let last = usize::from(last);
        require!(index <= last, IgnisError::NotAssigned);
        self.assignments.copy_within(index + 1..=last, index);
        self.assignments[last] = Assignment::default();
        self.assigned = last as u8;
        self.status = JobStatus::Open;
        self.count_requeue();
        Ok(())
    }

    /// Clears every assignment and puts the job back in the queue.
    pub fn requeue(&mut self) -> Result<()> {
        self.assignments = [Assignment::default(); MAX_REPLICAS];
        self.assigned = 0;
        self.status = JobStatus::Open;
        self.reveal_deadline = 0;
        self.challenge_deadline = 0;
        self.last_deadline = 0;
        self.count_requeue();
        Ok(())
    }

    /// One more re-queue. Saturating: past [`MAX_REQUEUES`] the count no longer
    /// matters, and it must never fail and leave the job stuck.
    pub fn count_requeue(&mut self) {
        self.requeues = self.requeues.saturating_add(1);
    }
}
