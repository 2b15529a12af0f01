//! The CUDA backend: kernels.cu compiled by NVRTC for the device's architecture at
//! start, launched on one stream. Every call into cudarc happens after probing that
//! libcuda and libnvrtc load, because cudarc panics when they are missing.

use std::sync::Arc;

use cudarc::{
    driver::{
        sys::CUdevice_attribute, CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg,
    },
    nvrtc::{compile_ptx_with_opts, CompileOptions},
};

use crate::{
    backend::{Backend, BackendKind, DeviceInfo, KernelError},
    int8::{self, Mlp, MlpOutput},
    pow::{nonce_windows, Midstate, PowTask},
};

const KERNELS_CU: &str = include_str!("kernels.cu");
/// The architectures the worker supports (NVRTC's virtual architectures); CI compiles
/// the kernels for each and runs ptxas on the PTX (kernels/tests/nvrtc.rs).
pub const SUPPORTED_ARCHS: [&str; 5] =
    ["compute_75", "compute_80", "compute_86", "compute_89", "compute_90"];
/// Every kernel in kernels.cu.
pub const KERNEL_NAMES: [&str; 5] =
    ["pow_search", "matmul_inputs", "matmul_tiled", "gemm_i8", "mlp_layer_i8"];
/// Must match TILE in kernels.cu.
const TILE: u32 = 32;
const POW_THREADS_PER_BLOCK: u32 = 256;

pub struct CudaBackend {
    stream: Arc<CudaStream>,
    pow_search: CudaFunction,
    matmul_inputs: CudaFunction,
    matmul_tiled: CudaFunction,
    gemm_i8: CudaFunction,
    mlp_layer_i8: CudaFunction,
    info: DeviceInfo,
    multiprocessors: u32,
    /// Blocks of the nonce search that fit on the device at once: multiprocessors x
    /// the blocks each can hold with the kernel's registers (the driver's occupancy
    /// calculator). A launch is one such wave, every thread striding over its window
    /// (thousands of nonces each for a full window of 2^32).
    pow_resident_blocks: u32,
    /// The SM clock the driver reports (its peak), in kHz.
    clock_khz: u32,
}

/// A dimension as the kernels take it.
fn dimension(value: usize) -> Result<u32, KernelError> {
    u32::try_from(value)
        .map_err(|_| KernelError::Shape(format!("a dimension of {value} is too large for the GPU")))
}

fn driver(error: impl std::fmt::Display) -> KernelError {
    KernelError::Driver(error.to_string())
}

/// Whether the CUDA driver and NVRTC libraries can be loaded, without touching any
/// other cudarc API (those panic when the libraries are missing).
pub fn libraries_present() -> Result<(), KernelError> {
    // SAFETY: these only try to dlopen the libraries and report whether it worked.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(KernelError::NoCudaDriver);
    }
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(KernelError::NoNvrtc);
    }
    Ok(())
}

/// Compiles kernels.cu with NVRTC to PTX for `arch` (e.g. "compute_90"): what the
/// worker does at start. Needs only libnvrtc, no GPU or driver.
pub fn compile(arch: &'static str) -> Result<cudarc::nvrtc::Ptx, KernelError> {
    // SAFETY: only tries to dlopen the library.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(KernelError::NoNvrtc);
    }
    compile_ptx_with_opts(KERNELS_CU, CompileOptions { arch: Some(arch), ..Default::default() })
        .map_err(|e| KernelError::Compile(e.to_string()))
}

impl CudaBackend {
    /// Opens device 0 and compiles the kernels for it. Never panics: a driver that
    /// misbehaves becomes `KernelError::Driver`.
    pub fn open() -> Result<Self, KernelError> {
        libraries_present()?;
        std::panic::catch_unwind(Self::open_device).unwrap_or_else(|_| {
            Err(KernelError::Driver("the CUDA driver panicked while opening the device".into()))
        })
    }

    fn open_device() -> Result<Self, KernelError> {
        if CudaContext::device_count().map_err(driver)? < 1 {
            return Err(KernelError::NoCudaDevice);
        }
        let ctx = CudaContext::new(0).map_err(driver)?;
        let (major, minor) = ctx.compute_capability().map_err(driver)?;
        let name = ctx.name().map_err(driver)?;
        let memory_bytes = ctx.total_mem().map_err(driver)? as u64;
        let multiprocessors = ctx
            .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(driver)?
            .max(1) as u32;
        // The driver's CLOCK_RATE attribute: the SM's peak clock, in kHz.
        let clock_khz = ctx
            .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_CLOCK_RATE)
            .map_err(driver)?
            .max(0) as u32;
        // NVRTC wants a 'static arch string; this runs once per process.
        let arch: &'static str = Box::leak(format!("compute_{major}{minor}").into_boxed_str());
        let ptx = compile(arch)?;
        let module = ctx.load_module(ptx).map_err(driver)?;
        let load = |name: &str| module.load_function(name).map_err(driver);
        let pow_search = load("pow_search")?;
        let blocks_per_sm = pow_search
            .occupancy_max_active_blocks_per_multiprocessor(POW_THREADS_PER_BLOCK, 0, None)
            .map_err(driver)?
            .max(1);
        Ok(CudaBackend {
            stream: ctx.default_stream(),
            pow_search,
            matmul_inputs: load("matmul_inputs")?,
            matmul_tiled: load("matmul_tiled")?,
            gemm_i8: load("gemm_i8")?,
            mlp_layer_i8: load("mlp_layer_i8")?,
            info: DeviceInfo {
                kind: BackendKind::Cuda,
                name,
                compute_capability: Some((major.max(0) as u32, minor.max(0) as u32)),
                memory_bytes,
                parallelism: u64::from(multiprocessors),
            },
            multiprocessors,
            pow_resident_blocks: multiprocessors.saturating_mul(blocks_per_sm),
            clock_khz,
        })
    }

    /// The device's peak 32-bit integer multiply-add rate, in operations per second (a
    /// multiply-add is two): multiprocessors x 64 IMAD lanes (the CUDA Programming
    /// Guide's throughput table for compute capability 7.5 to 9.0) x 2 x the peak clock.
    /// What the matmul-u32 kernel is measured against.
    pub fn peak_int32_ops_per_second(&self) -> f64 {
        f64::from(self.multiprocessors) * 64.0 * 2.0 * f64::from(self.clock_khz) * 1e3
    }

    /// The SM's peak clock in MHz, as the driver reports it.
    pub fn clock_mhz(&self) -> u32 {
        self.clock_khz / 1000
    }

    /// A grid-stride launch over `outputs` outputs: a few waves of 256-thread blocks.
    fn grid_stride(&self, outputs: usize) -> LaunchConfig {
        let blocks = (outputs.div_ceil(256) as u64).clamp(1, u64::from(self.multiprocessors) * 8);
        LaunchConfig {
            grid_dim: (blocks as u32, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        }
    }

    /// Fails unless `needed` bytes fit in the device's memory.
    fn fits(&self, needed: u64) -> Result<(), KernelError> {
        if needed > self.info.memory_bytes {
            return Err(KernelError::OutOfMemory { needed, available: self.info.memory_bytes });
        }
        Ok(())
    }

    fn generate_input(
        &self,
        seed: &[u8; 32],
        matrix: u32,
        len: usize,
    ) -> Result<cudarc::driver::CudaSlice<u32>, KernelError> {
        let key = ignis::kernels::seed_key(seed)[matrix as usize & 1];
        let mut out = self.stream.alloc_zeros::<u32>(len).map_err(driver)?;
        let len = len as u64;
        let cfg = LaunchConfig {
            grid_dim: (self.multiprocessors * 8, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: the kernel's signature is (u32*, u64, u32, u64) and writes `len` words.
        unsafe {
            self.stream
                .launch_builder(&self.matmul_inputs)
                .arg(&mut out)
                .arg(&len)
                .arg(&matrix)
                .arg(&key)
                .launch(cfg)
        }
        .map_err(driver)?;
        Ok(out)
    }
}

impl Backend for CudaBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn pow_search(
        &self,
        task: &PowTask,
        from: u64,
        count: u64,
    ) -> Result<Option<u64>, KernelError> {
        let midstate = self.stream.clone_htod(&Midstate::new(task).words()).map_err(driver)?;
        let mut found = self.stream.clone_htod(&[u64::MAX]).map_err(driver)?;
        let difficulty = u32::from(task.difficulty);
        // Every window is queued at once on the one stream: they run in order, and a
        // window's threads leave as soon as they see an earlier window's answer.
        for window in nonce_windows(from, count) {
            let nonces = u64::from(window.low_last - window.low_first) + 1;
            let blocks = u64::from(self.pow_resident_blocks)
                .min(nonces.div_ceil(u64::from(POW_THREADS_PER_BLOCK)))
                as u32;
            let cfg = LaunchConfig {
                grid_dim: (blocks, 1, 1),
                block_dim: (POW_THREADS_PER_BLOCK, 1, 1),
                shared_mem_bytes: 0,
            };
            // SAFETY: the kernel's signature is (const u32[8], u32, u32, u32, u32, u64*).
            unsafe {
                self.stream
                    .launch_builder(&self.pow_search)
                    .arg(&midstate)
                    .arg(&window.high)
                    .arg(&window.low_first)
                    .arg(&window.low_last)
                    .arg(&difficulty)
                    .arg(&mut found)
                    .launch(cfg)
            }
            .map_err(driver)?;
        }
        let found = self.stream.clone_dtoh(&found).map_err(driver)?;
        // The range end is exclusive and at most u64::MAX, so u64::MAX means none.
        Ok(found.first().copied().filter(|nonce| *nonce != u64::MAX))
    }

    fn matmul(&self, seed: &[u8; 32], n: u32) -> Result<Vec<u32>, KernelError> {
        if n == 0 || n > ignis::kernels::MAX_MATMUL_N {
            return Err(KernelError::InvalidSize(n));
        }
        self.fits(ignis::kernels::matmul_memory_bytes(n))?;
        let len = (n as usize) * (n as usize);
        let a = self.generate_input(seed, 0, len)?;
        let b = self.generate_input(seed, 1, len)?;
        let mut c = self.stream.alloc_zeros::<u32>(len).map_err(driver)?;
        let tiles = n.div_ceil(TILE);
        let cfg = LaunchConfig {
            grid_dim: (tiles, tiles, 1),
            block_dim: (TILE, TILE, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: (const u32*, const u32*, u32*, u32) with n x n buffers.
        unsafe {
            self.stream
                .launch_builder(&self.matmul_tiled)
                .arg(&a)
                .arg(&b)
                .arg(&mut c)
                .arg(&n)
                .launch(cfg)
        }
        .map_err(driver)?;
        // The output comes back once, whole (n^2 words), and is hashed on the host.
        let output = self.stream.clone_dtoh(&c).map_err(driver)?;
        debug_assert_eq!(output.len(), len);
        Ok(output)
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
        let (m32, k32, n32) = (dimension(m)?, dimension(k)?, dimension(n)?);
        self.fits((a.len() + b.len() + 4 * m * n) as u64)?;
        // B goes over transposed, so that every output is a dot product of two rows.
        let a_device = self.stream.clone_htod(a).map_err(driver)?;
        let bt = self.stream.clone_htod(&int8::transpose(b, k, n)).map_err(driver)?;
        let mut c = self.stream.alloc_zeros::<i32>(m * n).map_err(driver)?;
        let cfg = self.grid_stride(m * n);
        // SAFETY: (const i8*, const i8*, i32*, u32, u32, u32) with m x k, n x k, m x n.
        unsafe {
            self.stream
                .launch_builder(&self.gemm_i8)
                .arg(&a_device)
                .arg(&bt)
                .arg(&mut c)
                .arg(&m32)
                .arg(&k32)
                .arg(&n32)
                .launch(cfg)
        }
        .map_err(driver)?;
        self.stream.clone_dtoh(&c).map_err(driver)
    }

    fn mlp_i8(&self, model: &Mlp, x: &[i8], batch: usize) -> Result<MlpOutput, KernelError> {
        int8::check_mlp(model, x, batch).map_err(KernelError::Shape)?;
        let widest = model.layers.iter().map(|l| l.outputs.max(l.inputs)).max().unwrap_or(0);
        let weights: usize = model.layers.iter().map(|l| l.weight.len() + 4 * l.bias.len()).sum();
        self.fits((weights + batch * widest * 6) as u64)?;
        let batch32 = dimension(batch)?;
        let mut activations = self.stream.clone_htod(x).map_err(driver)?;
        let mut logits = self.stream.alloc_zeros::<i32>(1).map_err(driver)?;
        // The activations stay on the device from layer to layer.
        for layer in &model.layers {
            let weight = self.stream.clone_htod(&layer.weight).map_err(driver)?;
            let bias = self.stream.clone_htod(&layer.bias).map_err(driver)?;
            let (k, n) = (layer.inputs as u32, layer.outputs as u32);
            let (multiplier, shift) = layer.requant.map_or((0, 0), |r| (r.multiplier, r.shift));
            let mut y = self.stream.alloc_zeros::<i8>(batch * layer.outputs).map_err(driver)?;
            if layer.requant.is_none() {
                logits = self.stream.alloc_zeros::<i32>(batch * layer.outputs).map_err(driver)?;
            }
            let cfg = self.grid_stride(batch * layer.outputs);
            // SAFETY: (const i8*, const i8*, const i32*, u32, u32, u32, i32, u32, i8*, i32*)
            // with batch x k, n x k, n, batch x n (y) and batch x n (logits, last layer).
            unsafe {
                self.stream
                    .launch_builder(&self.mlp_layer_i8)
                    .arg(&activations)
                    .arg(&weight)
                    .arg(&bias)
                    .arg(&batch32)
                    .arg(&k)
                    .arg(&n)
                    .arg(&multiplier)
                    .arg(&shift)
                    .arg(&mut y)
                    .arg(&mut logits)
                    .launch(cfg)
            }
            .map_err(driver)?;
            activations = y;
        }
        let logits = self.stream.clone_dtoh(&logits).map_err(driver)?;
        let classes = model.classes();
        let predictions = logits.chunks_exact(classes).map(int8::argmax).collect();
        Ok(MlpOutput { logits, classes, predictions })
    }

    fn pow_batch(&self) -> u64 {
        // A few hundred milliseconds at tens of GH/s: two windows of 2^32.
        1 << 33
    }
}
