//! The network as separate processes (`ignis-localnet`, `ignis-orchestrator`, four
//! `ignis-worker`s), 1,000 jobs of both kinds pushed through it over JSON-RPC, then
//! checked on chain: every job paid exactly once or refunded, every vault reconciled.
//!
//! The binaries come from the same target directory as this test; `scripts/test`
//! builds them first (`cargo b`).

use std::time::{Duration, Instant};

use ignis::{instructions::PostJobArgs, state::JobKind};
use ignis_system_tests::{Network, IGN};

const JOBS: u64 = 1_000;
const WORKERS: usize = 4;

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_jobs_through_four_workers_are_each_paid_once_or_refunded() {
    let _serial = ignis_system_tests::one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let network = Network::start(WORKERS, dir.path()).await;

    // The poster: 1,000 jobs, one in five a matmul with 1 to 3 replicas.
    let poster = network.poster(100_000).await;
    let started = Instant::now();
    let first_id = network.client.shard_totals().await.unwrap().jobs_posted;
    network
        .post(&poster, first_id, JOBS, |id| {
            let (kind, replicas) = if id % 5 == 4 {
                (JobKind::Kernel { kernel: 1, size: 16 + (id % 17) as u32 }, 1 + (id / 5 % 3) as u8)
            } else {
                (JobKind::Pow { difficulty: 8 + (id % 5) as u8 }, 1)
            };
            PostJobArgs {
                job_id: id,
                kind,
                client_seed: [(id % 251) as u8; 32],
                reward: IGN + id,
                replicas,
                execution_seconds: 120,
                ttl_seconds: 3_600,
            }
        })
        .await;
    let posted_in = started.elapsed();
    network.settled(first_id, JOBS, Duration::from_secs(900)).await;
    let settled_in = started.elapsed();
    let audit = network.audit().await;
    eprintln!(
        "system: {JOBS} jobs posted in {:.1} s, all settled after {:.1} s ({:.1} jobs/s): {audit}",
        posted_in.as_secs_f64(),
        settled_in.as_secs_f64(),
        JOBS as f64 / settled_in.as_secs_f64()
    );
    assert_eq!(audit.completed + audit.refunded, JOBS);
}
