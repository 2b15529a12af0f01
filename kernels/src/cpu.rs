//! The CPU backend: every kernel on all cores through rayon.

use rayon::prelude::*;

use crate::{
    backend::{Backend, BackendKind, DeviceInfo, KernelError},
    int8::{self, Mlp, MlpOutput},
    matmul,
    pow::{Midstate, PowTask},
};

/// Nonces one rayon task checks before looking whether an earlier one has won.
const NONCES_PER_TASK: u64 = 1 << 14;

pub struct CpuBackend {
    info: DeviceInfo,
}

impl CpuBackend {
    pub fn new() -> Self {
        let threads = rayon::current_num_threads();
        let memory_bytes = system_memory_bytes().unwrap_or(0);
        CpuBackend {
            info: DeviceInfo {
                kind: BackendKind::Cpu,
                name: format!("cpu ({threads} threads)"),
                compute_capability: None,
                memory_bytes,
                parallelism: threads as u64,
            },
        }
    }
}

impl Default for CpuBackend {
    fn default() -> Self {
        Self::new()
    }
}

/// The smallest nonce in `[from, from + count)` meeting the task's difficulty.
pub fn pow_search(task: &PowTask, from: u64, count: u64) -> Option<u64> {
    let end = PowTask::range_end(from, count);
    let tasks = (end - from).div_ceil(NONCES_PER_TASK);
    let midstate = Midstate::new(task);
    // find_map_first keeps order: later chunks stop once an earlier one has a match,
    // and the answer is the smallest nonce whatever the scheduling.
    (0..tasks).into_par_iter().find_map_first(|chunk| {
        let start = from + chunk * NONCES_PER_TASK;
        let stop = start.saturating_add(NONCES_PER_TASK).min(end);
        midstate.search(start, stop)
    })
}

impl Backend for CpuBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn pow_search(
        &self,
        task: &PowTask,
        from: u64,
        count: u64,
    ) -> Result<Option<u64>, KernelError> {
        Ok(pow_search(task, from, count))
    }

    fn matmul(&self, seed: &[u8; 32], n: u32) -> Result<Vec<u32>, KernelError> {
        Ok(matmul::compute(seed, n))
    }

    fn gemm_i8(
        &self,
        a: &[i8],
        b: &[i8],
        m: usize,
        k: usize,
        n: usize,
    ) -> Result<Vec<i32>, KernelError> {
        int8::check_gemm(a, b, m, k, n).map_err(KernelError::Shape)?;
        Ok(int8::gemm(a, b, m, k, n))
    }

    fn mlp_i8(&self, model: &Mlp, x: &[i8], batch: usize) -> Result<MlpOutput, KernelError> {
        int8::check_mlp(model, x, batch).map_err(KernelError::Shape)?;
        Ok(model.infer(x, batch))
    }

    fn pow_batch(&self) -> u64 {
        // About a tenth of a second of work on a recent core.
        (1 << 21) * self.info.parallelism
    }
}

/// Total memory from /proc/meminfo (Linux); what a CPU worker advertises as "VRAM".
fn system_memory_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}
