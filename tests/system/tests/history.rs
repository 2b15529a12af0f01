//! Bounded state without lost history: 2,000 jobs settle and their accounts are closed
//! (the crank, one second after each settles). Two orchestrators keep the history in one
//! PostgreSQL, and the API pages through it; an orchestrator restarted with an empty
//! database rebuilds every job from the chain's transactions.

use std::{collections::HashSet, time::Duration};

use ignis::{instructions::PostJobArgs, state::JobKind};
use ignis_system_tests::{one_network_at_a_time, wait_for, Network, Options, IGN};
use ignis_test_support::postgres::Postgres;
use serde_json::Value;
use solana_signer::Signer;

const JOBS: u64 = 2_000;

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_orchestrator_rebuilds_the_history_of_two_thousand_closed_jobs() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let postgres = Postgres::start();
    let options = Options {
        job_retention_seconds: Some(1),
        standby_orchestrators: 1,
        database_url: Some(postgres.database("ignis")),
        ..Options::default()
    };
    let mut network = Network::start_with(4, dir.path(), options).await;
    let poster = network.poster(10_000).await;
    let before = network.client.shard_totals().await.unwrap();
    let first = before.jobs_posted;
    let range = first..first + JOBS;
    network
        .post(&poster, first, JOBS, |id| PostJobArgs {
            job_id: id,
            kind: JobKind::Pow { difficulty: 8 },
            client_seed: [(id % 251) as u8; 32],
            reward: IGN / 10,
            replicas: 1,
            execution_seconds: 120,
            ttl_seconds: 3_600,
        })
        .await;

    // Every job completes, and its account is closed.
    let client = &network.client;
    wait_for("every job completed and closed", Duration::from_secs(600), async || {
        let completed = client.shard_totals().await.ok()?.jobs_completed;
        let jobs = client.all::<ignis::state::Job>(vec![]).await.ok()?;
        let open = jobs.iter().filter(|(_, job)| range.contains(&job.id)).count();
        (completed - before.jobs_completed == JOBS && open == 0).then_some(())
    })
    .await;

    let http = reqwest::Client::new();
    let api = network.api_url.clone();
    let poster_key = poster.pubkey();
    // Every closed job, once, read page by page from the API.
    let history = async || {
        let mut seen = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{api}/api/jobs?poster={poster_key}&limit=1000");
            if let Some(next) = &cursor {
                url.push_str(&format!("&before={next}"));
            }
            let page: Value = http.get(url).send().await.ok()?.json().await.ok()?;
            for job in page["jobs"].as_array()? {
                let closed = job["closed"] == true && job["status"] == "completed";
                let hash_ok = job["resultHash"].as_str().is_some_and(|h| h.starts_with("00"));
                if closed && hash_ok {
                    seen.insert(job["id"].as_u64()?);
                }
            }
            match page["next"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        (seen.len() as u64 == JOBS).then_some(seen)
    };
    let stored = wait_for("the history in the database", Duration::from_secs(60), &history).await;
    assert!(range.clone().all(|id| stored.contains(&id)), "every id of the run, once");

    // A fresh orchestrator process with an empty database: nothing in memory, every
    // account gone; the chain's transactions still hold it all.
    let empty = format!("sqlite://{}/empty.sqlite", dir.path().display());
    network.restart_orchestrator_on(&empty);
    let started = std::time::Instant::now();
    let rebuilt = wait_for("the history to be rebuilt", Duration::from_secs(300), &history).await;
    assert!(range.clone().all(|id| rebuilt.contains(&id)), "every id of the run, once");
    assert!(dir.path().join("empty.sqlite").exists(), "rebuilt into the new database");
    eprintln!(
        "history: {JOBS} jobs settled and closed; two orchestrators kept them in PostgreSQL; an orchestrator with an empty database rebuilt them from the chain in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
