//! What a backend offers, and choosing one at start-up.

use std::{fmt, str::FromStr};

use crate::{
    cpu::CpuBackend,
    cuda::CudaBackend,
    int8::{Mlp, MlpOutput},
    pow::PowTask,
};

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("no CUDA driver (libcuda) on this machine")]
    NoCudaDriver,
    #[error(
        "no NVRTC library (libnvrtc) on this machine: install the CUDA toolkit's runtime compiler"
    )]
    NoNvrtc,
    #[error("no CUDA device found")]
    NoCudaDevice,
    #[error("CUDA driver error: {0}")]
    Driver(String),
    #[error("NVRTC could not compile the kernels: {0}")]
    Compile(String),
    #[error("the job needs {needed} bytes of device memory, the device has {available}")]
    OutOfMemory { needed: u64, available: u64 },
    #[error("matrix size {0} is out of range")]
    InvalidSize(u32),
    #[error("{0}")]
    Shape(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Cpu,
    Cuda,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Cuda => "cuda",
        })
    }
}

/// The device a backend runs on, as logged at start and published on chain.
#[derive(Clone, Debug)]
pub struct DeviceInfo {
    pub kind: BackendKind,
    pub name: String,
    /// (major, minor) for a CUDA device.
    pub compute_capability: Option<(u32, u32)>,
    /// Device memory (GPU) or system memory (CPU).
    pub memory_bytes: u64,
    /// Threads (CPU) or multiprocessors (GPU).
    pub parallelism: u64,
}

impl DeviceInfo {
    /// Compute capability times ten (9.0 -> 90), 0 for the CPU: the on-chain form.
    pub fn compute_capability_x10(&self) -> u16 {
        self.compute_capability
            .map_or(0, |(major, minor)| (major * 10 + minor).min(u16::MAX as u32) as u16)
    }

    pub fn memory_mb(&self) -> u32 {
        (self.memory_bytes >> 20).min(u64::from(u32::MAX)) as u32
    }
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.kind, self.name)?;
        if let Some((major, minor)) = self.compute_capability {
            write!(f, ", compute capability {major}.{minor}")?;
        }
        write!(f, ", {} MiB", self.memory_mb())
    }
}

/// A device that runs every kernel. Both implementations return the same bytes.
pub trait Backend: Send + Sync {
    fn info(&self) -> &DeviceInfo;

    /// The smallest nonce in `[from, from + count)` (clamped at u64::MAX) meeting the
    /// task's difficulty, or `None` when the range holds none.
    fn pow_search(&self, task: &PowTask, from: u64, count: u64)
        -> Result<Option<u64>, KernelError>;

    /// The n x n wrapping product of the job's generated inputs, row-major.
    fn matmul(&self, seed: &[u8; 32], n: u32) -> Result<Vec<u32>, KernelError>;

    /// `gemm-i8`: `A` (m x k) times `B` (k x n), int8 to int32, row-major.
    fn gemm_i8(
        &self,
        a: &[i8],
        b: &[i8],
        m: usize,
        k: usize,
        n: usize,
    ) -> Result<Vec<i32>, KernelError>;

    /// `mlp-i8`: a batch (`batch x inputs`) through a validated model.
    fn mlp_i8(&self, model: &Mlp, x: &[i8], batch: usize) -> Result<MlpOutput, KernelError>;

    /// Nonces per `pow_search` call that keep one call short (a fraction of a second),
    /// so that a long search can report progress, checkpoint and stop.
    fn pow_batch(&self) -> u64;
}

/// `--backend auto|cuda|cpu`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendChoice {
    /// CUDA when a usable GPU is found, else the CPU (with a warning saying why).
    #[default]
    Auto,
    Cuda,
    Cpu,
}

impl FromStr for BackendChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(BackendChoice::Auto),
            "cuda" | "gpu" => Ok(BackendChoice::Cuda),
            "cpu" => Ok(BackendChoice::Cpu),
            other => Err(format!("unknown backend `{other}`: use auto, cuda or cpu")),
        }
    }
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Cuda => "cuda",
            BackendChoice::Cpu => "cpu",
        })
    }
}

/// Opens the chosen backend. Probing never panics: a machine without CUDA gets
/// `NoCudaDriver`, which `auto` turns into the CPU backend (a warning only when a
/// driver is there but fails).
pub fn select(choice: BackendChoice) -> Result<Box<dyn Backend>, KernelError> {
    let backend: Box<dyn Backend> = match choice {
        BackendChoice::Cpu => Box::new(CpuBackend::new()),
        BackendChoice::Cuda => Box::new(CudaBackend::open()?),
        BackendChoice::Auto => match CudaBackend::open() {
            Ok(cuda) => Box::new(cuda),
            // No driver: a machine without an NVIDIA GPU, where the CPU is the plan.
            Err(KernelError::NoCudaDriver) => {
                tracing::info!("no CUDA driver on this machine: running the kernels on the CPU");
                Box::new(CpuBackend::new())
            }
            // A driver that fails: a GPU the operator expected to use, so say so.
            Err(error) => {
                tracing::warn!(%error, "CUDA unavailable, running the kernels on the CPU");
                Box::new(CpuBackend::new())
            }
        },
    };
    tracing::info!(device = %backend.info(), "kernel backend ready");
    Ok(backend)
}
