//! `ignis-worker bench`: kernel throughput on every available backend, beside
//! references measured in the same run (the `sha2` crate on the same cores), published
//! (hashcat's SHA2-256 mode on GPUs of the same class) or the device's own peak (the
//! GPU's integer multiply-add rate, for the matrix kernel).

use std::time::Duration;

use anyhow::{bail, Result};
use ignis_kernels::{
    bench::{
        compressions_per_second, cpu_int8_peak, gemm_i8_ops_per_second, matmul_ops_per_second,
        measure_hashrate, mlp_i8_ops_per_second, naive_gemm_i8_ops_per_second,
        naive_matmul_ops_per_second, sha2_hashrate,
    },
    cpu::CpuBackend,
    cuda::CudaBackend,
    Backend, BackendChoice, BackendKind,
};

use crate::config::BenchConfig;

/// hashcat -b -m 1400 (SHA2-256), published figures.
const HASHCAT_H100_PCIE: f64 = 12.2e9;
const HASHCAT_RTX_4090: f64 = 22.0e9;

struct Row {
    backend: String,
    kernel: &'static str,
    value: String,
    reference: String,
    ratio: String,
}

pub fn run(config: &BenchConfig) -> Result<()> {
    let duration = Duration::from_secs_f64(config.seconds.max(0.1));
    let mut backends: Vec<Box<dyn Backend>> = Vec::new();
    // The CUDA device's peak integer rate, the matmul kernel's reference.
    let mut peak_int32 = None;
    if config.backend != BackendChoice::Cuda {
        backends.push(Box::new(CpuBackend::new()));
    }
    if config.backend != BackendChoice::Cpu {
        match CudaBackend::open() {
            Ok(cuda) => {
                eprintln!(
                    "CUDA: {} multiprocessors at up to {} MHz",
                    cuda.info().parallelism,
                    cuda.clock_mhz()
                );
                peak_int32 = Some(cuda.peak_int32_ops_per_second());
                backends.push(Box::new(cuda))
            }
            Err(err) if config.backend == BackendChoice::Cuda => {
                bail!("cannot open the CUDA backend: {err}")
            }
            Err(err) => eprintln!("CUDA: not measured ({err})"),
        }
    }
    let mut rows = Vec::new();
    for backend in &backends {
        let info = backend.info();
        eprintln!("measuring {info} ...");
        let hashrate = measure_hashrate(backend.as_ref(), duration) as f64;
        match info.kind {
            BackendKind::Cpu => {
                let limit = compressions_per_second(duration);
                rows.push(Row {
                    backend: info.name.clone(),
                    kernel: "pow-sha256",
                    value: rate(hashrate, "H/s"),
                    reference: format!(
                        "single-block compressions x cores (the limit): {}",
                        rate(limit, "/s")
                    ),
                    ratio: format!("{:.2}x", hashrate / limit),
                });
                let reference = sha2_hashrate(duration);
                rows.push(Row {
                    backend: info.name.clone(),
                    kernel: "pow-sha256",
                    value: rate(hashrate, "H/s"),
                    reference: format!("sha2 crate, 72-byte digests: {}", rate(reference, "H/s")),
                    ratio: format!("{:.2}x", hashrate / reference),
                });
            }
            BackendKind::Cuda => {
                for (name, reference) in [
                    ("hashcat H100 PCIe", HASHCAT_H100_PCIE),
                    ("hashcat RTX 4090", HASHCAT_RTX_4090),
                ] {
                    rows.push(Row {
                        backend: info.name.clone(),
                        kernel: "pow-sha256",
                        value: rate(hashrate, "H/s"),
                        reference: format!("{name} (published): {}", rate(reference, "H/s")),
                        ratio: format!("{:.2}x", hashrate / reference),
                    });
                }
            }
        }
        let n = match info.kind {
            BackendKind::Cpu => config.matmul_n,
            BackendKind::Cuda => {
                config.matmul_n.saturating_mul(8).min(ignis::kernels::MAX_MATMUL_N)
            }
        };
        let ops = matmul_ops_per_second(backend.as_ref(), n, duration)?;
        let reference = match info.kind {
            BackendKind::Cpu => {
                let naive = naive_matmul_ops_per_second(n.min(256), duration);
                Some((format!("naive 1-thread loop: {}", rate(naive, "op/s")), naive))
            }
            BackendKind::Cuda => peak_int32.map(|peak| {
                (format!("device peak, 32-bit integer multiply-add: {}", rate(peak, "op/s")), peak)
            }),
        };
        rows.push(Row {
            backend: info.name.clone(),
            kernel: "matmul-u32",
            value: format!("{} (n={n})", rate(ops, "op/s")),
            reference: reference.as_ref().map_or("-".into(), |(text, _)| text.clone()),
            ratio: reference.map_or("-".into(), |(_, r)| format!("{:.2}x", ops / r)),
        });
        rows.extend(int8_rows(backend.as_ref(), peak_int32, duration)?);
    }
    print_table(&rows);
    Ok(())
}

/// `gemm-i8` and `mlp-i8`: each against the naive loop (CPU) and the device's assumed
/// int8 peak: the CPU's VNNI rate, or the GPU's dp4a rate (4 multiply-adds per lane, so
/// four times its 32-bit integer multiply-add peak).
fn int8_rows(
    backend: &dyn Backend,
    peak_int32: Option<f64>,
    duration: Duration,
) -> Result<Vec<Row>> {
    let info = backend.info();
    let (n, mlp) = match info.kind {
        BackendKind::Cpu => (512, (784, 1024, 256)),
        BackendKind::Cuda => (4096, (4096, 4096, 4096)),
    };
    let peak = match info.kind {
        BackendKind::Cpu => cpu_int8_peak(),
        BackendKind::Cuda => peak_int32.map(|peak| {
            (peak * 4.0, "device peak, dp4a (4x the int32 multiply-add rate)".to_string())
        }),
    };
    let naive =
        (info.kind == BackendKind::Cpu).then(|| naive_gemm_i8_ops_per_second(256, duration));
    let gemm = gemm_i8_ops_per_second(backend, n, duration)?;
    let mlp_ops = mlp_i8_ops_per_second(backend, mlp, duration)?;
    let mut rows = vec![];
    for (kernel, value, size) in [
        ("gemm-i8", gemm, format!("m=k=n={n}")),
        ("mlp-i8", mlp_ops, format!("{}-{}-{}-10, batch {}", mlp.0, mlp.1, mlp.1, mlp.2)),
    ] {
        if let Some(naive) = naive {
            rows.push(Row {
                backend: info.name.clone(),
                kernel,
                value: format!("{} ({size})", rate(value, "op/s")),
                reference: format!("naive 1-thread int8 loop: {}", rate(naive, "op/s")),
                ratio: format!("{:.2}x", value / naive),
            });
        }
        rows.push(Row {
            backend: info.name.clone(),
            kernel,
            value: format!("{} ({size})", rate(value, "op/s")),
            reference: peak.as_ref().map_or("int8 peak unknown".into(), |(peak, text)| {
                format!("{text}: {}", rate(*peak, "op/s"))
            }),
            ratio: peak.as_ref().map_or("-".into(), |(peak, _)| format!("{:.3}x", value / peak)),
        });
    }
    Ok(rows)
}

fn rate(value: f64, unit: &str) -> String {
    let (scaled, prefix) = match value {
        v if v >= 1e9 => (v / 1e9, "G"),
        v if v >= 1e6 => (v / 1e6, "M"),
        v if v >= 1e3 => (v / 1e3, "k"),
        v => (v, ""),
    };
    format!("{scaled:.2} {prefix}{unit}")
}

fn print_table(rows: &[Row]) {
    let header = Row {
        backend: "device".into(),
        kernel: "kernel",
        value: "throughput".into(),
        reference: "reference".into(),
        ratio: "ratio".into(),
    };
    let width = |f: fn(&Row) -> usize| rows.iter().chain([&header]).map(f).max().unwrap_or(0);
    let widths = [
        width(|r| r.backend.len()),
        width(|r| r.kernel.len()),
        width(|r| r.value.len()),
        width(|r| r.reference.len()),
        width(|r| r.ratio.len()),
    ];
    for (index, row) in [&header].into_iter().chain(rows).enumerate() {
        if index == 1 {
            // Markdown's header rule, with the numeric columns right-aligned.
            println!(
                "|{}|{}|{}:|{}|{}:|",
                "-".repeat(widths[0] + 2),
                "-".repeat(widths[1] + 2),
                "-".repeat(widths[2] + 1),
                "-".repeat(widths[3] + 2),
                "-".repeat(widths[4] + 1)
            );
        }
        println!(
            "| {:w0$} | {:w1$} | {:>w2$} | {:w3$} | {:>w4$} |",
            row.backend,
            row.kernel,
            row.value,
            row.reference,
            row.ratio,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4]
        );
    }
}
