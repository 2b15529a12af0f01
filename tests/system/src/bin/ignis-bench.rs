//! `ignis-bench`: end-to-end job lifecycles per second on the localnet with 1, 2 and 4
//! CPU workers (separate processes, as in production), and the latency from post to
//! payout. A lifecycle is post -> assign -> search -> submit_pow -> paid.
//!
//! Usage: ignis-bench [--model] [JOBS_PER_RUN [WORKERS...]] (default 1000 jobs with 1,
//! 2 and 4 workers). Prints a table. With `--model`, each run's transactions are read
//! back from the chain and packed into blocks under a real cluster's limits (the
//! cluster-throughput model, `ignis_system_tests::throughput`). One poster sends the jobs (`Network::post`: 4 per
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
use ignis_system_tests::{throughput, Network, Options, IGN};
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;

const DIFFICULTY: u8 = 8;

struct Row {
    workers: usize,
    jobs: u64,
    seconds: f64,
    p50: Duration,
    p99: Duration,
    /// Jobs settled per second among the first and the last 1,000 to settle.
    first_thousand: f64,
    last_thousand: f64,
    /// Jobs settled per second in each tenth of the jobs, in the order they settled:
    /// where in the run the rate moves.
    tenths: Vec<f64>,
}

#[tokio::main]
async fn main() {
    let model = std::env::args().any(|arg| arg == "--model");
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|n| n.parse().ok()).collect();
    let jobs = numbers.first().copied().unwrap_or(1_000);
    let mut counts: Vec<usize> = numbers.iter().skip(1).map(|n| *n as usize).collect();
    if counts.is_empty() {
        counts = vec![1, 2, 4];
    }
    let mut rows = Vec::new();
    let mut models = Vec::new();
    for workers in counts {
        eprintln!("running {jobs} PoW lifecycles with {workers} worker(s) ...");
        let (row, model) = run(workers, jobs, model).await;
        rows.push(row);
        models.extend(model.map(|m| (workers, m)));
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
    if jobs >= 2_000 {
        for row in &rows {
            println!(
                "\n{} workers: the first 1,000 jobs settled at {:.1}/s, the last 1,000 at {:.1}/s ({:.2}x)",
                row.workers,
                row.first_thousand,
                row.last_thousand,
                row.last_thousand / row.first_thousand
            );
            let tenths: Vec<String> = row.tenths.iter().map(|r| format!("{r:.0}")).collect();
            println!("jobs settled per second by tenth of the run: {}", tenths.join(", "));
        }
    }
    for (workers, model) in models {
        println!("\n## Cluster-throughput model ({workers} workers' run)\n\n{model}");
    }
}

async fn run(workers: usize, jobs: u64, model: bool) -> (Row, Option<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    // Settled jobs are closed as soon as the crank sees them (the default retention is
    // an hour, for disputes; a PoW result is checked on chain when submitted): closes
    // are part of the load from the first job on, so the first 1,000 jobs and the last
    // compare like for like, where a retention of two seconds left the first ~1,000
    // without any.
    let options = Options { job_retention_seconds: Some(0), ..Options::default() };
    let network = Network::start_with(workers, dir.path(), options).await;
    let poster = network.poster(jobs * 2).await;
    let first = network.client.shard_totals().await.expect("shards").jobs_posted;
    let (start_slot, _) = network.client.clock().await.expect("clock");
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
    // Settlement rate of the first and the last 1,000 jobs to settle: flat if the
    // network does not slow down as state piles up.
    let mut settled: Vec<Instant> = paid_at.values().copied().collect();
    settled.sort();
    let window = settled.len().min(1_000);
    let rate_of = |times: &[Instant]| match (times.first(), times.last()) {
        (Some(first), Some(last)) if times.len() > 1 => {
            (times.len() - 1) as f64 / last.duration_since(*first).as_secs_f64().max(1e-9)
        }
        _ => 0.0,
    };
    let row = Row {
        workers,
        jobs,
        seconds,
        p50: at(0.5),
        p99: at(0.99),
        first_thousand: rate_of(&settled[..window]),
        last_thousand: rate_of(&settled[settled.len() - window..]),
        tenths: settled.chunks(settled.len().div_ceil(10).max(1)).map(rate_of).collect(),
    };
    let model = if model {
        let recording = throughput::record(&network.client, start_slot, jobs)
            .await
            .expect("the run's transactions read back");
        Some(throughput::report(&recording, &throughput::ASSUMPTIONS, throughput::COPIES))
    } else {
        None
    };
    (row, model)
}
