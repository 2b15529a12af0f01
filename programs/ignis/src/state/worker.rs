use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, state::Capacity};

/// What a worker publishes about its hardware, checked when jobs are matched.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, InitSpace)]
pub struct GpuInfo {
    /// e.g. "NVIDIA H100 80GB HBM3", or "cpu" for a CPU-only worker.
    #[max_len(MAX_GPU_MODEL_LEN)]
    pub model: String,
    pub vram_mb: u32,
    /// Compute capability times ten (9.0 -> 90); 0 for CPU workers.
    pub compute_capability: u16,
}

/// Everything an operator sets on its worker, at registration or on update.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, InitSpace)]
pub struct WorkerSettings {
    pub gpu: GpuInfo,
    /// Bit `1 << kernel id` for each catalog kernel this worker runs.
    pub supported_kernels: u32,
    /// Measured SHA-256 hashrate, hashes per second. The worker is only assigned jobs
    /// it can finish in time at this rate (see [`Worker::can_finish`]), so a poster cannot
    /// get it slashed with a job nobody could do.
    pub hashrate: u64,
    /// Smallest reward per replica, in base units, this worker accepts.
    pub min_price: u64,
    pub max_concurrent_jobs: u16,
    /// When false the orchestrator may not assign new jobs; running ones continue.
    pub accepting_jobs: bool,
}

impl WorkerSettings {
    pub fn validate(&self) -> Result<()> {
        require!(self.gpu.model.len() <= MAX_GPU_MODEL_LEN as usize, IgnisError::GpuModelTooLong);
        require!(self.supported_kernels != 0, IgnisError::NoKernelsSupported);
        require!(self.supported_kernels & !KNOWN_KERNELS_MASK == 0, IgnisError::UnknownKernel);
        require!(self.max_concurrent_jobs > 0, IgnisError::InvalidConcurrency);
        Ok(())
    }

    pub fn supports(&self, kernel: u8) -> bool {
        kernel < 32 && self.supported_kernels & (1u32 << kernel) != 0
    }
}

/// What [`Worker::challenge_step`] says the crank's `challenge_worker` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeStep {
    Miss,
    Issue,
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Worker {
    pub operator: Pubkey,
    pub settings: WorkerSettings,
    /// Assignments not yet submitted, expired or finalized.
    pub active_jobs: u16,
    pub jobs_completed: u64,
    pub jobs_missed: u64,
    pub jobs_disputed: u64,
    pub slashed_total: u64,
    /// Sum of rewards paid to this worker (after fees).
    pub earned_total: u64,
    /// Assignments it declined within their decline window.
    pub jobs_declined: u64,
    pub registered_at: i64,
    /// False once deregistered. The account (and so the record above) stays: a
    /// deregistered worker that registers again keeps its history.
    pub registered: bool,
    pub bump: u8,
    /// What capacity challenges have proven of it.
    pub capacity: Capacity,
}

impl Worker {
    /// The worker side of `assign_job` that does not depend on the job: the protocol
    /// runs, the worker is registered and accepting, and its operator's bonded stake
    /// (`stake_amount`) is at least the minimum.
    pub fn check_eligible(&self, config: &crate::state::Config, stake_amount: u64) -> Result<()> {
        config.require_not_paused()?;
        require!(self.registered, IgnisError::WorkerNotRegistered);
        require!(stake_amount >= config.params.min_worker_stake, IgnisError::StakeBelowMinimum);
        require!(self.settings.accepting_jobs, IgnisError::WorkerNotAccepting);
        require!(!self.capacity.suspended(), IgnisError::WorkerSuspended);
        Ok(())
    }

    /// `assign_job`'s and `claim_job`'s rule at protocol time `now`: `job` takes another
    /// replica, and this worker (at `address`, its operator with `stake_amount` bonded)
    /// may have it.
    pub fn check_assignment(
        &self,
        address: &Pubkey,
        config: &crate::state::Config,
        stake_amount: u64,
        job: &crate::state::Job,
        now: i64,
    ) -> Result<()> {
        config.require_not_paused()?;
        job.check_assignable(now)?;
        self.check_eligible(config, stake_amount)?;
        self.check_can_take(address, job)
    }

    /// Whether this worker, at `address`, can take a replica of `job`: it runs the
    /// kernel, has the memory, asks no more than the price, has a free slot, finishes
    /// in time, and holds no replica of the job already.
    pub fn check_can_take(&self, address: &Pubkey, job: &crate::state::Job) -> Result<()> {
        let settings = &self.settings;
        require!(settings.supports(job.kind.kernel()), IgnisError::KernelNotSupported);
        require!(
            job.kind.memory_mb() <= u64::from(settings.gpu.vram_mb),
            IgnisError::InsufficientMemory
        );
        require!(
            job.price_per_replica() >= settings.min_price,
            IgnisError::PriceBelowWorkerMinimum
        );
        require!(self.active_jobs < settings.max_concurrent_jobs, IgnisError::WorkerAtCapacity);
        // Nobody is given work it cannot do in time, so no poster can get honest
        // workers slashed with an impossible job.
        require!(self.can_finish(&job.kind, job.execution_seconds), IgnisError::JobInfeasible);
        // An SLA promises a proven worker with the uptime the SLA was bought for.
        if let Some(sla) = job.sla {
            require!(sla.admits(&self.capacity), IgnisError::UptimeBelowSla);
        }
        // One worker per operator, so a distinct worker is a distinct operator.
        require!(job.assignment_index(address).is_none(), IgnisError::OperatorAlreadyAssigned);
        Ok(())
    }

    /// `close_worker`'s rule: deregistered, nothing running, and a record with no fault
    /// on it (so closing cannot wipe one).
    pub fn check_close(&self) -> Result<()> {
        require!(!self.registered, IgnisError::WorkerStillRegistered);
        require!(self.active_jobs == 0, IgnisError::WorkerHasActiveJobs);
        require!(
            self.jobs_missed == 0 && self.jobs_disputed == 0 && self.slashed_total == 0,
            IgnisError::WorkerRecordNotClean
        );
        Ok(())
    }

    /// Whether this worker, at its effective hashrate (its claim, cut to what
    /// challenges proved: [`Capacity::effective_hashrate`]), finishes `kind` within
    /// `execution_seconds` with [`FEASIBILITY_MARGIN`] to spare.
    pub fn can_finish(&self, kind: &crate::state::JobKind, execution_seconds: i64) -> bool {
        feasible(self.effective_hashrate(), kind.work_units(), execution_seconds)
    }

    /// What `challenge_worker` does at protocol time `now` with `draw`
    /// ([`crate::pow::challenge_draw`]): book the open challenge as missed once its
    /// deadline passed, or issue the next to a registered worker once it is due.
    pub fn challenge_step(
        &self,
        now: i64,
        params: &crate::state::Params,
        draw: u64,
    ) -> Option<ChallengeStep> {
        if self.capacity.challenge_missed(now) {
            Some(ChallengeStep::Miss)
        } else if self.registered && self.capacity.challenge_due(now, params, draw) {
            Some(ChallengeStep::Issue)
        } else {
            None
        }
    }

    /// The hashrate assignment trusts: the claim, cut to what challenges proved.
    pub fn effective_hashrate(&self) -> u64 {
        self.capacity.effective_hashrate(self.settings.hashrate)
    }

    /// The shard whose vault pays the worker at `address` for its challenges and
    /// whose counters record them: fixed by its key, so workers spread over shards.
    pub fn challenge_shard(address: &Pubkey) -> u8 {
        let mut low = [0u8; 8];
        low.copy_from_slice(&address.as_ref()[..8]);
        crate::state::Shard::index_of(u64::from_le_bytes(low))
    }
}

/// The feasibility rule: `work_units` fit in `execution_seconds` at `hashrate` work units
/// per second with [`FEASIBILITY_MARGIN`] to spare.
pub fn feasible(hashrate: u64, work_units: u64, execution_seconds: i64) -> bool {
    let capacity = u128::from(hashrate) * u128::from(execution_seconds.max(0) as u64);
    u128::from(work_units) * u128::from(FEASIBILITY_MARGIN) <= capacity
}

/// Live assignments of the worker at `info` (the operator's `["worker", operator]`
/// PDA, which may not exist): 0 when the operator never registered one.
pub fn active_jobs_at(info: &AccountInfo) -> Result<u16> {
    if info.owner != &crate::ID || info.data_is_empty() {
        return Ok(0);
    }
    let worker = Worker::try_deserialize(&mut &info.data.borrow()[..])?;
    Ok(worker.active_jobs)
}

/// Whether the operator at `info` has a registered worker.
pub fn is_registered_at(info: &AccountInfo) -> Result<bool> {
    if info.owner != &crate::ID || info.data_is_empty() {
        return Ok(false);
    }
    let worker = Worker::try_deserialize(&mut &info.data.borrow()[..])?;
    Ok(worker.registered)
}
