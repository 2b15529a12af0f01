//! `ignis-bench`: end-to-end job lifecycles per second on the localnet with 1, 2 and 4
//! CPU workers (separate processes, as in production), and the latency from post to
//! payout. A lifecycle is post -> assign -> search -> submit_pow -> paid.
//!
//! Usage: ignis-bench [JOBS_PER_RUN [WORKERS...]] (default 1000 jobs with 1, 2 and 4
//! workers). Prints a table. One poster sends the jobs (`Network::post`: 4 per
//! transaction, back to back without waiting for each confirmation; ids are sequential,
//! and the localnet executes in the order sent). Latency counts from each post's send.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use futures::StreamExt;
use ignis::{
    instructions::PostJobArgs,
    state::{JobKind, JobStatus},
};
use ignis_client::{queries::pow_jobs_in, watch::job_updates};
use ignis_system_tests::{Network, IGN};
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;

const DIFFICULTY: u8 = 8;

struct Row {
    workers: usize,
    jobs: u64,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

#[tokio::main]
async fn main() {
    let jobs: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let mut counts: Vec<usize> = std::env::args().skip(2).filter_map(|n| n.parse().ok()).collect();
    if counts.is_empty() {
        counts = vec![1, 2, 4];
    }
    let mut rows = Vec::new();
    for workers in counts {
        eprintln!("running {jobs} PoW lifecycles with {workers} worker(s) ...");
        rows.push(run(workers, jobs).await);
    }
    println!("| workers | jobs | seconds | lifecycles/s | vs 1 worker | post->paid p50 | p99 |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let base = rows[0].jobs as f64 / rows[0].seconds;
    for row in &rows {
        let rate = row.jobs as f64 / row.seconds;
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.2}x | {} ms | {} ms |",
            row.workers,
            row.jobs,
            row.seconds,
            rate,
            rate / base,
            row.p50.as_millis(),
            row.p99.as_millis()
        );
    }
}

async fn run(workers: usize, jobs: u64) -> Row {
    let dir = tempfile::tempdir().expect("temp dir");
    let network = Network::start(workers, dir.path()).await;
    let poster = network.poster(jobs * 2).await;
    let first = network.client.config().await.expect("config").next_job_id;
    let pubsub = PubsubClient::new(&network.ws_url).await.expect("websocket");
    let mut completed =
        job_updates(&pubsub, pow_jobs_in(JobStatus::Completed)).await.expect("subscribe");
    let end = first + jobs;

    let started = Instant::now();
    let job = |id: u64| PostJobArgs {
        job_id: id,
        kind: JobKind::Pow { difficulty: DIFFICULTY },
        client_seed: [(id % 251) as u8; 32],
        reward: IGN / 10,
        replicas: 1,
        execution_seconds: 120,
        ttl_seconds: 3_600,
    };
    // Payouts are pushed by the websocket as they land, while the posts go out: exact
    // times, no polling load.
    let payouts = async {
        let mut paid_at: HashMap<u64, Instant> = HashMap::new();
        while (paid_at.len() as u64) < jobs {
            let job = completed.next().await.expect("the websocket stays open");
            if (first..end).contains(&job.id) {
                paid_at.entry(job.id).or_insert_with(Instant::now);
            }
        }
        paid_at
    };
    let (posted, paid_at) = tokio::join!(network.post(&poster, first, jobs, job), async {
        tokio::time::timeout(Duration::from_secs(600), payouts)
            .await
            .expect("every job paid within 10 minutes")
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> =
        paid_at.iter().map(|(id, paid)| paid.saturating_duration_since(posted[id])).collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Row { workers, jobs, seconds, p50: at(0.5), p99: at(0.99) }
}
