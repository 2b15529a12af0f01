//! `ignis-orchestrator bench`: the matcher on synthetic jobs and workers, in memory,
//! at growing sizes, so that the cost per match can be seen not to grow with them.

use std::time::Instant;

use anchor_lang::prelude::Pubkey;
use ignis::{
    constants::{KERNEL_MATMUL_U32, KERNEL_POW_SHA256},
    state::JobKind,
};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::matcher::{weight, JobSpec, Matcher, WorkerSpec};

#[derive(Clone, Debug)]
pub struct Row {
    pub jobs: usize,
    pub workers: usize,
    pub replicas: usize,
    pub matched: usize,
    pub setup_ms: f64,
    pub round_ms: f64,
}

impl Row {
    pub fn matches_per_second(&self) -> f64 {
        self.matched as f64 / (self.round_ms / 1e3).max(1e-9)
    }

    pub fn micros_per_match(&self) -> f64 {
        self.round_ms * 1e3 / (self.matched.max(1) as f64)
    }
}

fn key(rng: &mut StdRng) -> Pubkey {
    Pubkey::new_from_array(rng.gen())
}

/// A fleet of `workers` and a queue of `jobs` like a busy network's: mostly PoW, some
/// matmul of all sizes with 1-3 replicas, prices spread over four orders of magnitude.
/// Capacity is ample, so nearly every replica finds a worker.
pub fn case(jobs: usize, workers: usize, seed: u64) -> Row {
    let mut rng = StdRng::seed_from_u64(seed);
    let free = (3 * jobs).div_ceil(workers) as u32 + 1;
    let worker_specs: Vec<WorkerSpec> = (0..workers)
        .map(|_| {
            let kernels = match rng.gen_range(0..10) {
                0..=2 => 1 << KERNEL_POW_SHA256,
                3 => 1 << KERNEL_MATMUL_U32,
                _ => (1 << KERNEL_POW_SHA256) | (1 << KERNEL_MATMUL_U32),
            };
            let stake = rng.gen_range(100u64..100_000) * 1_000_000_000;
            WorkerSpec {
                key: key(&mut rng),
                operator: key(&mut rng),
                kernels,
                vram_mb: [8_192, 16_384, 24_576, 49_152, 81_920][rng.gen_range(0..5)],
                min_price: rng.gen_range(0..1_000),
                // 1 MH/s (a slow CPU) to 10 GH/s (a data-centre GPU).
                hashrate: rng.gen_range(1_000_000..10_000_000_000),
                capacity: Default::default(),
                free,
                weight: weight(
                    stake,
                    rng.gen_range(0..1_000),
                    rng.gen_range(0..10),
                    rng.gen_range(0..2),
                    rng.gen_range(9_000..=10_000),
                ),
            }
        })
        .collect();
    let job_specs: Vec<JobSpec> = (0..jobs as u64)
        .map(|id| {
            let (kind, replicas) = if rng.gen_bool(0.7) {
                (JobKind::Pow { difficulty: 20 }, 1)
            } else {
                (
                    JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: 1 << rng.gen_range(6..14) },
                    rng.gen_range(1..=3),
                )
            };
            JobSpec {
                id,
                kernel: kind.kernel(),
                memory_mb: kind.memory_mb(),
                price: rng.gen_range(1_000..10_000_000),
                needed: replicas,
                work_units: kind.work_units(),
                execution_seconds: 300,
                exclude: vec![],
                posted_at: rng.gen_range(0..1_000_000),
                expires_at: i64::MAX,
                sla: None,
            }
        })
        .collect();
    let replicas = job_specs.iter().map(|j| usize::from(j.needed)).sum();

    let setup = Instant::now();
    let mut matcher = Matcher::new();
    for w in worker_specs {
        matcher.upsert_worker(w);
    }
    for j in job_specs {
        matcher.upsert_job(j);
    }
    // The first round builds the per-kernel trees; time it apart from matching.
    let _ = matcher.match_round(0, 0, &mut rng);
    let setup_ms = setup.elapsed().as_secs_f64() * 1e3;

    let round = Instant::now();
    let matched = matcher.match_round(0, usize::MAX, &mut rng).len();
    let round_ms = round.elapsed().as_secs_f64() * 1e3;
    Row { jobs, workers, replicas, matched, setup_ms, round_ms }
}

pub const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
pub const WORKERS: [usize; 3] = [100, 1_000, 10_000];

pub fn run(jobs: &[usize], workers: &[usize]) -> Vec<Row> {
    let mut rows = vec![];
    for &j in jobs {
        for &w in workers {
            rows.push(case(j, w, (j * 31 + w) as u64));
        }
    }
    rows
}

pub fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:>8} {:>8} {:>9} {:>9} {:>10} {:>12} {:>10} {:>10}\n",
        "jobs", "workers", "replicas", "matched", "match ms", "matches/s", "µs/match", "setup ms"
    );
    for r in rows {
        out += &format!(
            "{:>8} {:>8} {:>9} {:>9} {:>10.1} {:>12.0} {:>10.2} {:>10.1}\n",
            r.jobs,
            r.workers,
            r.replicas,
            r.matched,
            r.round_ms,
            r.matches_per_second(),
            r.micros_per_match(),
            r.setup_ms
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_small_bench_matches_nearly_everything() {
        let row = super::case(1_000, 100, 1);
        assert!(row.matched * 10 >= row.replicas * 9, "{row:?}");
    }
}
