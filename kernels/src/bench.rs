//! Throughput measurements shared by `ignis-worker bench` and worker registration,
//! compiled with the kernels (optimised) so that reference and kernel are measured
//! under the same compiler settings.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::{Backend, KernelError, PowTask};

/// Hashes per second of `backend` on a search that never succeeds.
pub fn measure_hashrate(backend: &dyn Backend, duration: Duration) -> u64 {
    let task = PowTask { seed: [7; 32], worker: [9; 32], difficulty: 64 };
    let batch = (backend.pow_batch() / 8).max(1 << 16);
    let started = Instant::now();
    let mut hashes = 0u64;
    while started.elapsed() < duration {
        if backend.pow_search(&task, hashes, batch).is_err() {
            return 0;
        }
        hashes += batch;
    }
    (hashes as f64 / started.elapsed().as_secs_f64()) as u64
}

/// The reference: full SHA-256 of a 72-byte message per nonce with the `sha2` crate,
/// on every core (what a worker without the midstate trick would do).
pub fn sha2_hashrate(duration: Duration) -> f64 {
    let started = Instant::now();
    let threads = rayon::current_num_threads();
    let total: u64 = (0..threads)
        .into_par_iter()
        .map(|thread| {
            let mut message = [thread as u8; 72];
            let mut count = 0u64;
            while started.elapsed() < duration {
                for nonce in 0..4096u64 {
                    message[64..].copy_from_slice(&(count + nonce).to_le_bytes());
                    std::hint::black_box(Sha256::digest(message));
                }
                count += 4096;
            }
            count
        })
        .sum();
    total as f64 / started.elapsed().as_secs_f64()
}

/// The hardware's limit for the search: single-block SHA-256 compressions per second
/// with `sha2::compress256` (SHA-NI where present), on every core. Each nonce costs
/// exactly one, so a search can at best match this.
pub fn compressions_per_second(duration: Duration) -> f64 {
    let started = Instant::now();
    let threads = rayon::current_num_threads();
    let total: u64 = (0..threads)
        .into_par_iter()
        .map(|thread| {
            let mut block = sha2::digest::generic_array::GenericArray::from([thread as u8; 64]);
            let start = [thread as u32; 8];
            let mut count = 0u64;
            while started.elapsed() < duration {
                // Independent compressions from one state, as a search does.
                for i in 0..4096u64 {
                    block[..8].copy_from_slice(&(count + i).to_le_bytes());
                    let mut state = start;
                    sha2::compress256(&mut state, std::slice::from_ref(&block));
                    std::hint::black_box(state);
                }
                count += 4096;
            }
            count
        })
        .sum();
    total as f64 / started.elapsed().as_secs_f64()
}

/// Multiply-adds counted as two operations.
pub fn matmul_ops_per_second(
    backend: &dyn Backend,
    n: u32,
    duration: Duration,
) -> Result<f64, KernelError> {
    let started = Instant::now();
    let mut runs = 0u32;
    while runs == 0 || started.elapsed() < duration {
        let seed = [runs as u8; 32];
        std::hint::black_box(backend.matmul(&seed, n)?);
        runs += 1;
    }
    Ok(f64::from(runs) * 2.0 * f64::from(n).powi(3) / started.elapsed().as_secs_f64())
}

pub fn naive_matmul_ops_per_second(n: u32, duration: Duration) -> f64 {
    let (a, b) = crate::matmul::inputs(&[1; 32], n);
    let n = n as usize;
    let started = Instant::now();
    let mut runs = 0u32;
    while runs == 0 || started.elapsed() < duration {
        let mut c = vec![0u32; n * n];
        for i in 0..n {
            for j in 0..n {
                c[i * n + j] = (0..n)
                    .fold(0u32, |acc, k| acc.wrapping_add(a[i * n + k].wrapping_mul(b[k * n + j])));
            }
        }
        std::hint::black_box(c);
        runs += 1;
    }
    f64::from(runs) * 2.0 * (n as f64).powi(3) / started.elapsed().as_secs_f64()
}

/// Two n x n int8 matrices for the `gemm-i8` rows, the same for kernel and reference.
fn gemm_inputs(n: usize) -> (Vec<i8>, Vec<i8>) {
    let matrix =
        |step: usize, modulus: usize| (0..n * n).map(|i| (i * step % modulus) as i8).collect();
    (matrix(7, 251), matrix(13, 241))
}

/// `gemm-i8` on `backend`, m = k = n: multiply-adds counted as two operations.
pub fn gemm_i8_ops_per_second(
    backend: &dyn Backend,
    n: usize,
    duration: Duration,
) -> Result<f64, KernelError> {
    let (a, b) = gemm_inputs(n);
    let started = Instant::now();
    let mut runs = 0u32;
    while runs == 0 || started.elapsed() < duration {
        std::hint::black_box(backend.gemm_i8(&a, &b, n, n, n)?);
        runs += 1;
    }
    Ok(f64::from(runs) * 2.0 * (n as f64).powi(3) / started.elapsed().as_secs_f64())
}

/// The reference for `gemm-i8` on the CPU: the textbook triple loop on one thread.
pub fn naive_gemm_i8_ops_per_second(n: usize, duration: Duration) -> f64 {
    let (a, b) = gemm_inputs(n);
    let started = Instant::now();
    let mut runs = 0u32;
    while runs == 0 || started.elapsed() < duration {
        let mut c = vec![0i32; n * n];
        for i in 0..n {
            for j in 0..n {
                c[i * n + j] = (0..n).fold(0i32, |acc, k| {
                    acc.wrapping_add(i32::from(a[i * n + k]) * i32::from(b[k * n + j]))
                });
            }
        }
        std::hint::black_box(c);
        runs += 1;
    }
    f64::from(runs) * 2.0 * (n as f64).powi(3) / started.elapsed().as_secs_f64()
}

/// An `mlp-i8` model of `width`-wide hidden layers over `inputs` inputs to 10 logits,
/// and a batch for it: what the bench runs.
pub fn bench_mlp(inputs: usize, width: usize, batch: usize) -> (crate::int8::Mlp, Vec<i8>) {
    use crate::int8::{Layer, Mlp, Requant};
    let layer = |inputs: usize, outputs: usize, requant| Layer {
        inputs,
        outputs,
        weight: (0..inputs * outputs).map(|i| (i * 31 % 253) as i8).collect(),
        bias: (0..outputs).map(|i| i as i32 * 11 - 300).collect(),
        requant,
    };
    let requant = Some(Requant { multiplier: 1 << 30, shift: 38 });
    let model = Mlp {
        layers: vec![
            layer(inputs, width, requant),
            layer(width, width, requant),
            layer(width, 10, None),
        ],
    };
    let x = (0..batch * inputs).map(|i| (i % 128) as i8).collect();
    (model, x)
}

/// `mlp-i8` on `backend` for `bench_mlp`'s model: multiply-adds counted as two.
pub fn mlp_i8_ops_per_second(
    backend: &dyn Backend,
    (inputs, width, batch): (usize, usize, usize),
    duration: Duration,
) -> Result<f64, KernelError> {
    let (model, x) = bench_mlp(inputs, width, batch);
    let macs: usize = model.layers.iter().map(|l| l.inputs * l.outputs).sum::<usize>() * batch;
    let started = Instant::now();
    let mut runs = 0u32;
    while runs == 0 || started.elapsed() < duration {
        std::hint::black_box(backend.mlp_i8(&model, &x, batch)?);
        runs += 1;
    }
    Ok(f64::from(runs) * 2.0 * macs as f64 / started.elapsed().as_secs_f64())
}

/// This CPU's assumed int8 peak, with the assumption in words: every core issuing two
/// AVX-512 VNNI `vpdpbusd` a cycle (64 multiply-adds each, 256 operations a cycle per
/// core) at the clock /proc/cpuinfo reports. AMX-INT8 tiles would go about 8x past it,
/// but no kernel here uses them. `None` where the CPU lacks VNNI or the clock is unknown.
pub fn cpu_int8_peak() -> Option<(f64, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let flags = cpuinfo.lines().find(|l| l.starts_with("flags"))?;
    if !flags.split_whitespace().any(|flag| flag == "avx512_vnni") {
        return None;
    }
    let mhz: f64 = cpuinfo
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()?;
    let cores = rayon::current_num_threads() as f64;
    let peak = cores * 256.0 * mhz * 1e6;
    let assumption = format!(
        "{cores} cores x 2 AVX-512 VNNI vpdpbusd/cycle (256 int8 op) x {mhz:.0} MHz (assumed peak)"
    );
    Some((peak, assumption))
}
