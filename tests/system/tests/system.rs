//! The network as separate processes (`ignis-localnet`, `ignis-orchestrator`, four
//! `ignis-worker`s), 1,000 jobs of both kinds pushed through it over JSON-RPC, then
//! checked on chain: every job paid exactly once or refunded, every vault reconciled.
//!
//! The binaries come from the same target directory as this test; `scripts/test`
//! builds them first (`cargo b`).

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use ignis::{
    instructions::PostJobArgs,
    state::{EmissionSchedule, Job, JobKind, JobStatus, Params},
};
use ignis_client::{
    bootstrap::{self, Genesis},
    instructions::Protocol,
    pda,
    rpc::IgnisClient,
    token,
};
use solana_keypair::{write_keypair_file, Keypair};
use solana_signer::Signer;

const IGN: u64 = 1_000_000_000;
const JOBS: u64 = 1_000;
const WORKERS: usize = 4;
/// post_job instructions per transaction (consecutive ids).
const POSTS_PER_TX: u64 = 4;

fn binary(name: &str) -> PathBuf {
    // target/<profile>/deps/system-<hash> -> target/<profile>/<name>
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join(name);
    assert!(path.exists(), "{} is missing: build the binaries first (`cargo b`, which scripts/test runs)", path.display());
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Children are killed when the test ends, pass or fail.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(name: &str, args: &[&str]) -> Child {
    Command::new(binary(name))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|err| panic!("{name} starts: {err}"))
}

async fn wait_for<T>(what: &str, within: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn balance(client: &IgnisClient, account: &Pubkey) -> u64 {
    client.account_data(account).await.unwrap().as_deref().and_then(token::balance_of).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_jobs_through_four_workers_are_each_paid_once_or_refunded() {
    let dir = tempfile::tempdir().unwrap();
    let (rpc_port, api_port) = (free_port(), free_port());
    let ws_port = rpc_port + 1;
    let rpc_url = format!("http://127.0.0.1:{rpc_port}");
    let mut processes = Processes(vec![spawn(
        "ignis-localnet",
        &["--rpc-port", &rpc_port.to_string(), "--ws-port", &ws_port.to_string(), "--slot-time-ms", "50"],
    )]);
    let client = IgnisClient::new(&rpc_url);
    wait_for("the localnet", Duration::from_secs(60), async || client.rpc().get_slot().await.ok()).await;

    let admin = Keypair::new();
    let admin_file = dir.path().join("admin.json");
    write_keypair_file(&admin, &admin_file).unwrap();
    bootstrap::airdrop(&client, &admin.pubkey(), 1_000 * IGN).await.unwrap();
    let genesis = Genesis {
        decimals: 9,
        supply: 10_000_000 * IGN,
        token_program: token::TOKEN_PROGRAM_ID,
        orchestrator: admin.pubkey(),
        verifier: admin.pubkey(),
        params: Params::default(),
        emission: EmissionSchedule::default(),
    };
    let protocol: Protocol = bootstrap::initialize_protocol(&client, &admin, genesis).await.unwrap();

    processes.0.push(spawn(
        "ignis-orchestrator",
        &[
            "run",
            "--url",
            &rpc_url,
            "--keypair",
            admin_file.to_str().unwrap(),
            "--api-addr",
            &format!("127.0.0.1:{api_port}"),
            "--poll-ms",
            "200",
        ],
    ));
    let api = format!("http://127.0.0.1:{api_port}");
    let mut operators = Vec::new();
    for index in 0..WORKERS {
        let operator = Keypair::new();
        let file = dir.path().join(format!("worker-{index}.json"));
        write_keypair_file(&operator, &file).unwrap();
        bootstrap::airdrop(&client, &operator.pubkey(), 10 * IGN).await.unwrap();
        bootstrap::transfer_ign(&client, &protocol, &admin, &operator.pubkey(), 1_000 * IGN).await.unwrap();
        let from = token::associated_account(&operator.pubkey(), &protocol.mint, &protocol.token_program);
        client.send(&[protocol.stake(operator.pubkey(), from, 200 * IGN)], &[&operator]).await.unwrap();
        let journal = dir.path().join(format!("journal-{index}"));
        processes.0.push(spawn(
            "ignis-worker",
            &[
                "run",
                "--register",
                "--backend",
                "cpu",
                "--max-jobs",
                "64",
                "--poll-ms",
                "100",
                "--url",
                &rpc_url,
                "--keypair",
                file.to_str().unwrap(),
                "--orchestrator",
                &api,
                "--journal-dir",
                journal.to_str().unwrap(),
            ],
        ));
        operators.push(operator.pubkey());
    }
    let http = reqwest::Client::new();
    wait_for("the orchestrator and four registered workers", Duration::from_secs(120), async || {
        let healthy = http.get(format!("{api}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
        let workers = client.all::<ignis::state::Worker>(vec![]).await.map(|w| w.len()).unwrap_or(0);
        (healthy && workers == WORKERS).then_some(())
    })
    .await;

    // The poster: 1,000 jobs, one in five a matmul with 1 to 3 replicas.
    let poster = Keypair::new();
    bootstrap::airdrop(&client, &poster.pubkey(), 100 * IGN).await.unwrap();
    bootstrap::transfer_ign(&client, &protocol, &admin, &poster.pubkey(), 100_000 * IGN).await.unwrap();
    let poster_token = token::associated_account(&poster.pubkey(), &protocol.mint, &protocol.token_program);
    let kind_of = |id: u64| {
        if id % 5 == 4 {
            (JobKind::Kernel { kernel: 1, size: 16 + (id % 17) as u32 }, 1 + (id / 5 % 3) as u8)
        } else {
            (JobKind::Pow { difficulty: 8 + (id % 5) as u8 }, 1)
        }
    };
    let started = Instant::now();
    let first_id = client.config().await.unwrap().next_job_id;
    let mut next = first_id;
    while next < first_id + JOBS {
        let batch: Vec<_> = (next..(next + POSTS_PER_TX).min(first_id + JOBS))
            .map(|id| {
                let (kind, replicas) = kind_of(id);
                let args = PostJobArgs {
                    job_id: id,
                    kind,
                    client_seed: [(id % 251) as u8; 32],
                    reward: IGN + id,
                    replicas,
                    execution_seconds: 120,
                    ttl_seconds: 3_600,
                };
                protocol.post_job(poster.pubkey(), poster_token, args)
            })
            .collect();
        next += batch.len() as u64;
        client.send(&batch, &[&poster]).await.unwrap();
    }
    let posted_in = started.elapsed();

    let ids: Vec<u64> = (first_id..first_id + JOBS).collect();
    let jobs: Vec<Job> = wait_for("every job to settle", Duration::from_secs(900), async || {
        let jobs: Vec<Job> = client.all::<Job>(vec![]).await.ok()?.into_iter().map(|(_, job)| job).collect();
        let settled = jobs.iter().filter(|j| matches!(j.status, JobStatus::Completed | JobStatus::Refunded)).count();
        (settled == JOBS as usize).then_some(jobs)
    })
    .await;
    let settled_in = started.elapsed();
    eprintln!(
        "system: {JOBS} jobs posted in {:.1} s, all settled after {:.1} s ({:.1} jobs/s)",
        posted_in.as_secs_f64(),
        settled_in.as_secs_f64(),
        JOBS as f64 / settled_in.as_secs_f64()
    );

    // Every job is settled once: completed with a valid proof, or refunded.
    let mut completed_replicas = 0u64;
    for job in &jobs {
        assert!(ids.contains(&job.id));
        match (job.status, job.kind) {
            (JobStatus::Completed, JobKind::Pow { difficulty }) => {
                let worker = job.assignments[0].worker;
                assert!(ignis::pow::meets_difficulty(&ignis::pow::pow_hash(&job.seed, &worker, job.pow_nonce), difficulty));
                completed_replicas += 1;
            }
            (JobStatus::Completed, JobKind::Kernel { size, .. }) => {
                let expected = ignis_kernels::matmul::result_hash(&ignis_kernels::matmul::compute(&job.seed, size));
                assert_eq!(job.result_hash, expected, "job {} agreed on the right product", job.id);
                completed_replicas += u64::from(job.replicas);
            }
            (JobStatus::Refunded, _) => {}
            other => panic!("job {} ended as {other:?}", job.id),
        }
    }
    let config = client.config().await.unwrap();
    let totals = &config.totals;
    assert_eq!(totals.jobs_posted, JOBS);
    assert_eq!(totals.jobs_completed + totals.jobs_refunded, JOBS, "each job settled exactly once");
    assert_eq!(totals.escrowed, 0);
    assert_eq!(balance(&client, &pda::job_vault()).await, 0, "no escrow is left behind");
    let mut worker_jobs = 0;
    let mut earned = 0;
    for operator in &operators {
        let worker = client.worker(operator).await.unwrap().unwrap();
        assert_eq!(worker.active_jobs, 0);
        worker_jobs += worker.jobs_completed;
        earned += worker.earned_total;
    }
    assert_eq!(worker_jobs, completed_replicas, "one payment per completed replica");
    assert_eq!(earned, totals.paid_to_workers);
    assert_eq!(balance(&client, &pda::stake_vault()).await, totals.staked + totals.unbonding);
    let rewards = &config.rewards;
    assert_eq!(
        balance(&client, &pda::reward_vault()).await,
        rewards.minted + totals.fees + totals.slashed - rewards.claimed - rewards.work_paid,
        "the reward vault reconciles"
    );
    let mint = client.account_data(&protocol.mint).await.unwrap().unwrap();
    let supply = u64::from_le_bytes(mint[36..44].try_into().unwrap());
    assert_eq!(supply, config.genesis_supply + rewards.minted, "supply is genesis plus emission");
}
