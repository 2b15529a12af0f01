//! The CUDA path compiled on every machine, GPU or not: kernels.cu through the same
//! cudarc NVRTC call the worker makes, for every supported architecture, then ptxas on
//! the PTX. A compile error, a register spill or a stack frame fails it. `scripts/test`
//! installs the pinned NVRTC and ptxas wheels (no driver needed) and points
//! LD_LIBRARY_PATH and IGNIS_PTXAS at them. Run with `--nocapture` for the table of
//! registers, shared memory, the occupancy they allow, and the SASS instructions of each
//! kernel's loop (cuobjdump); the nonce loop has a budget, so a dearer nonce fails too.

use std::{path::PathBuf, process::Command};

use ignis_kernels::cuda::{compile, KERNEL_NAMES, SUPPORTED_ARCHS};

const HOW: &str = "`source scripts/cuda-tools` installs them (pinned PyPI wheels: \
                   nvidia-cuda-nvrtc and nvidia-cuda-nvcc 13.0.88, nvidia-cuda-cuobjdump \
                   and nvidia-cuda-nvdisasm 13.2.51, under ~/.cache/ignis-cuda) and sets \
                   LD_LIBRARY_PATH, IGNIS_PTXAS, IGNIS_CUOBJDUMP and NVDISASM_PATH";

/// What ptxas reports for one kernel.
#[derive(Debug, Default)]
struct Usage {
    registers: u32,
    shared_bytes: u32,
    stack_frame: u32,
    spill_stores: u32,
    spill_loads: u32,
}

/// The number just before `unit` in `line` ("48 registers" -> 48).
fn number_before(line: &str, unit: &str) -> Option<u32> {
    let at = line.find(unit)?;
    line[..at].trim_end().rsplit(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

/// Parses `ptxas -v` output: "Function properties for K" then the stack/spill line,
/// and "Compiling entry function 'K'" then "Used N registers, ... M bytes smem".
fn parse(report: &str) -> std::collections::HashMap<String, Usage> {
    let mut usage: std::collections::HashMap<String, Usage> = std::collections::HashMap::new();
    let mut current: Option<String> = None;
    for line in report.lines() {
        let entry_name = line
            .split("Compiling entry function '")
            .nth(1)
            .and_then(|rest| rest.split('\'').next());
        if let Some(name) = line.split("Function properties for ").nth(1).or(entry_name) {
            current = Some(name.trim().to_string());
            continue;
        }
        let Some(kernel) = &current else { continue };
        let entry = usage.entry(kernel.clone()).or_default();
        if line.contains("stack frame") {
            entry.stack_frame = number_before(line, "bytes stack frame").unwrap_or(0);
            entry.spill_stores = number_before(line, "bytes spill stores").unwrap_or(0);
            entry.spill_loads = number_before(line, "bytes spill loads").unwrap_or(0);
        }
        if line.contains("Used") && line.contains("registers") {
            entry.registers = number_before(line, "registers").unwrap_or(0);
            entry.shared_bytes = number_before(line, "bytes smem").unwrap_or(0);
        }
    }
    usage
}

/// Resident threads per multiprocessor the register count allows (64K registers per
/// SM on every listed architecture; allocation granularity ignored), as a share of
/// the architecture's maximum.
fn occupancy(arch: u32, registers: u32) -> f64 {
    let max_threads = match arch {
        75 => 1024.0,
        86 | 89 => 1536.0,
        _ => 2048.0,
    };
    (65_536.0 / f64::from(registers.max(1))).min(max_threads) / max_threads
}

/// The SASS instructions of a kernel's longest loop (from a backward branch's target
/// to the branch), from `cuobjdump -sass`: for `pow_search`, the nonce loop, so the
/// count is the kernel's cost per nonce plus its rare paths (the full difficulty
/// rule, the check for an earlier answer).
fn loop_instructions(cuobjdump: &str, cubin: &std::path::Path, kernel: &str) -> usize {
    let output = Command::new(cuobjdump)
        .args(["-sass", "-fun", kernel])
        .arg(cubin)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cuobjdump at {cuobjdump}: {e}"));
    let sass = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cuobjdump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Lines look like `        /*04d0*/   @P0 BRA 0x550 ;   /* 0x... */`.
    let instructions: Vec<(u64, &str)> = sass
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("/*")?;
            let (address, text) = rest.split_once("*/")?;
            Some((u64::from_str_radix(address, 16).ok()?, text.trim()))
        })
        .collect();
    assert!(!instructions.is_empty(), "cuobjdump printed no SASS for {kernel}:\n{sass}");
    instructions
        .iter()
        .filter_map(|(at, text)| {
            // `BRA 0x550`, `BRA.U 0x360`, `BRA `(.L_x_3) 0x550`: the address after BRA.
            let target = text.split_once("BRA")?.1.split_once("0x")?.1;
            let target = target.split(|c: char| !c.is_ascii_hexdigit()).next()?;
            let target = u64::from_str_radix(target, 16).ok()?;
            (target < *at)
                .then(|| instructions.iter().filter(|(a, _)| (target..=*at).contains(a)).count())
        })
        .max()
        .unwrap_or(0)
}

/// The most SASS instructions the nonce loop may have on any supported architecture:
/// about 5% above the kernel's count when this was set (1,411 on sm_90), so a change
/// that makes each nonce dearer fails here, on machines without a GPU.
const POW_LOOP_BUDGET: usize = 1_480;

#[test]
fn every_kernel_compiles_for_every_supported_architecture_without_spills() {
    // SAFETY: only tries to dlopen the library.
    assert!(
        unsafe { cudarc::nvrtc::sys::is_culib_present() },
        "NVRTC (libnvrtc.so.13) cannot be loaded: {HOW}"
    );
    let ptxas =
        std::env::var("IGNIS_PTXAS").unwrap_or_else(|_| panic!("IGNIS_PTXAS is not set: {HOW}"));
    let cuobjdump = std::env::var("IGNIS_CUOBJDUMP")
        .unwrap_or_else(|_| panic!("IGNIS_CUOBJDUMP is not set: {HOW}"));
    let dir = std::env::temp_dir().join(format!("ignis-nvrtc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("| arch | kernel | registers | shared memory | stack frame | spills | occupancy (registers) | loop (SASS instructions) |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for arch in SUPPORTED_ARCHS {
        let ptx =
            compile(arch).unwrap_or_else(|e| panic!("kernels.cu does not compile for {arch}: {e}"));
        let number: u32 = arch.trim_start_matches("compute_").parse().unwrap();
        let path: PathBuf = dir.join(format!("kernels_{number}.ptx"));
        let cubin: PathBuf = dir.join(format!("kernels_{number}.cubin"));
        std::fs::write(&path, ptx.to_src()).unwrap();
        let output = Command::new(&ptxas)
            .args([format!("-arch=sm_{number}"), "-v".into(), "-o".into()])
            .arg(&cubin)
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("cannot run ptxas at {ptxas}: {e}"));
        let report = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "ptxas failed for sm_{number}:\n{report}");
        let usage = parse(&report);
        for kernel in KERNEL_NAMES {
            let u = usage.get(kernel).unwrap_or_else(|| {
                panic!("ptxas said nothing about {kernel} for sm_{number}:\n{report}")
            });
            let looped = loop_instructions(&cuobjdump, &cubin, kernel);
            println!(
                "| sm_{number} | {kernel} | {} | {} B | {} B | {} B | {:.0}% | {looped} |",
                u.registers,
                u.shared_bytes,
                u.stack_frame,
                u.spill_stores + u.spill_loads,
                100.0 * occupancy(number, u.registers)
            );
            if kernel == "pow_search" {
                assert!(
                    looped <= POW_LOOP_BUDGET,
                    "pow_search's nonce loop has {looped} SASS instructions on sm_{number}, more \
                     than the {POW_LOOP_BUDGET} budgeted: each nonce got dearer"
                );
            }
            assert!(u.registers > 0, "{kernel} on sm_{number}: no register count in\n{report}");
            assert_eq!(
                (u.spill_stores, u.spill_loads),
                (0, 0),
                "{kernel} spills registers on sm_{number}"
            );
            assert_eq!(u.stack_frame, 0, "{kernel} has a stack frame on sm_{number}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
