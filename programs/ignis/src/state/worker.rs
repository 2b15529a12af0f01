use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError};

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
    /// Measured SHA-256 hashrate, hashes per second (informational, used for matching).
    pub hashrate: u64,
    /// Smallest reward per replica, in base units, this worker accepts.
    pub min_price: u64,
    pub max_concurrent_jobs: u16,
    /// When false the orchestrator may not assign new jobs; running ones continue.
    pub accepting_jobs: bool,
}

impl WorkerSettings {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.gpu.model.len() <= MAX_GPU_MODEL_LEN as usize,
            IgnisError::GpuModelTooLong
        );
        require!(self.supported_kernels != 0, IgnisError::NoKernelsSupported);
        require!(
            self.supported_kernels & !KNOWN_KERNELS_MASK == 0,
            IgnisError::UnknownKernel
        );
        require!(self.max_concurrent_jobs > 0, IgnisError::InvalidConcurrency);
        Ok(())
    }

    pub fn supports(&self, kernel: u8) -> bool {
        kernel < 32 && self.supported_kernels & (1u32 << kernel) != 0
    }
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
    pub registered_at: i64,
    pub bump: u8,
}
