//! The orchestrator in-process against an embedded localnet, with simulated workers
//! built from the client crate. Every test checks the outcome on chain.

use std::{collections::HashMap, future::Future, sync::Arc, time::Duration};

use anchor_lang::prelude::Pubkey;
use ignis::{
    constants::{KERNEL_MATMUL_U32, KERNEL_POW_SHA256},
    instructions::PostJobArgs,
    state::{GpuInfo, Job, JobKind, JobStatus, Params, Stake, Worker, WorkerSettings},
};
use ignis_client::{
    bootstrap::{self},
    instructions::{self as ix},
    pda,
    rpc::IgnisClient,
};
use ignis_orchestrator::{CancellationToken, Config, Running};
use ignis_test_support::{TestNet, IGN};
use serde_json::Value;
use solana_keypair::{write_keypair_file, Keypair};
use solana_signer::Signer;

const STAKE: u64 = 100 * IGN;
const TIMEOUT: Duration = Duration::from_secs(90);

/// The shared test network (`ignis-test-support`) and this file's scenarios on it.
struct Net(TestNet);

impl std::ops::Deref for Net {
    type Target = TestNet;

    fn deref(&self) -> &TestNet {
        &self.0
    }
}

impl Net {
    /// A chain with the protocol initialised (the admin orchestrates and verifies) and
    /// `keys` more funded keypairs.
    async fn start(slot_time_ms: u64, keys: usize) -> Net {
        // RUST_LOG=ignis_orchestrator=debug shows what the orchestrator does.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        Net(TestNet::start(slot_time_ms, keys).await)
    }

    /// Key `i` as a staked worker operator with the given kernels and acceptance.
    async fn worker(&self, i: usize, kernels: u32, max_jobs: u16, accepting: bool) -> Arc<Keypair> {
        self.worker_with_stake(i, STAKE, kernels, max_jobs, accepting).await
    }

    async fn worker_with_stake(
        &self,
        i: usize,
        stake: u64,
        kernels: u32,
        max_jobs: u16,
        accepting: bool,
    ) -> Arc<Keypair> {
        let operator = self.key(i);
        self.give_ign(&operator.pubkey(), stake).await;
        bootstrap::stake_and_register(
            &self.client,
            &self.protocol,
            &operator,
            stake,
            settings(kernels, max_jobs, accepting),
        )
        .await
        .expect("worker registered");
        operator
    }

    async fn set_accepting(
        &self,
        operator: &Keypair,
        kernels: u32,
        max_jobs: u16,
        accepting: bool,
    ) {
        let update = ix::update_worker(operator.pubkey(), settings(kernels, max_jobs, accepting));
        self.client.send(&[update], &[operator]).await.expect("worker updated");
    }

    async fn post(
        &self,
        poster: &Keypair,
        kind: JobKind,
        reward: u64,
        execution_seconds: i64,
    ) -> u64 {
        self.post_with(poster, kind, 1, reward, execution_seconds, 3_600).await
    }

    async fn post_with(
        &self,
        poster: &Keypair,
        kind: JobKind,
        replicas: u8,
        reward: u64,
        execution_seconds: i64,
        ttl_seconds: i64,
    ) -> u64 {
        let job_id = ix::fresh_job_id();
        let args = PostJobArgs {
            job_id,
            kind,
            client_seed: rand::random(),
            reward,
            replicas,
            execution_seconds,
            ttl_seconds,
        };
        let post = self.protocol.post_job(poster.pubkey(), self.ata(&poster.pubkey()), args);
        self.client.send(&[post], &[poster]).await.expect("job posted");
        job_id
    }

    async fn job(&self, id: u64) -> Job {
        self.client.job(id).await.unwrap().expect("job exists")
    }

    async fn worker_account(&self, operator: &Pubkey) -> Worker {
        self.client.worker(operator).await.unwrap().expect("worker exists")
    }

    async fn stake(&self, owner: &Pubkey) -> Stake {
        self.client.stake(owner).await.unwrap().expect("stake exists")
    }

    fn orchestrator_config(&self) -> Config {
        let path = self.dir.path().join("orchestrator.json");
        write_keypair_file(&self.admin, &path).unwrap();
        let mut config = Config::local(self.localnet.rpc_url(), path.to_str().unwrap());
        config.ws_url = Some(self.localnet.ws_url());
        config.api_addr = "127.0.0.1:0".parse().unwrap();
        config.poll_ms = 200;
        config.resync_ms = 2_000;
        config.data_dir = self.dir.path().join("data").to_string_lossy().into_owned();
        config
    }

    /// Polls `check` until it returns `Some`, or fails the test with `what`.
    async fn until<T, F: Future<Output = Option<T>>>(
        &self,
        what: &str,
        check: impl FnMut() -> F,
    ) -> T {
        ignis_test_support::until(what, TIMEOUT, check).await
    }
}

fn settings(kernels: u32, max_jobs: u16, accepting: bool) -> WorkerSettings {
    WorkerSettings {
        gpu: GpuInfo { model: "test gpu".into(), vram_mb: 8_192, compute_capability: 89 },
        supported_kernels: kernels,
        hashrate: 1_000_000,
        min_price: 0,
        max_concurrent_jobs: max_jobs,
        accepting_jobs: accepting,
    }
}

const POW: u32 = 1 << KERNEL_POW_SHA256;
const MATMUL: u32 = 1 << KERNEL_MATMUL_U32;

struct Orchestrator {
    running: Option<Running>,
    stop: CancellationToken,
    base: String,
}

impl Orchestrator {
    async fn start(config: Config) -> Orchestrator {
        let stop = CancellationToken::new();
        let running =
            ignis_orchestrator::start(config, stop.clone()).await.expect("orchestrator starts");
        let base = format!("http://{}", running.api_addr);
        Orchestrator { running: Some(running), stop, base }
    }

    async fn stop(mut self) -> String {
        self.stop.cancel();
        let running = self.running.take().unwrap();
        let shared = running.shared.clone();
        tokio::time::timeout(Duration::from_secs(15), running.wait())
            .await
            .expect("the orchestrator stops promptly")
            .expect("the orchestrator stops cleanly");
        shared.metrics.render()
    }
}

/// The value of a metric line `name{labels} value` (0 if absent).
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Honest,
    /// Never works on anything.
    Lazy,
    /// Reveals a wrong matmul result on a job's first attempt, right ones after.
    WrongFirst,
}

/// A worker made of client calls: finds its assignments, does PoW, commits and
/// reveals matmul results.
fn simulate(
    net: &Net,
    operator: Arc<Keypair>,
    behaviour: Behaviour,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let client = IgnisClient::new(net.localnet.rpc_url());
    let protocol = net.protocol;
    let payout = net.ata(&operator.pubkey());
    tokio::spawn(async move {
        let me = pda::worker(&operator.pubkey());
        let mut results: HashMap<(u64, u16), ([u8; 32], [u8; 32])> = HashMap::new();
        while !stop.is_cancelled() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if behaviour == Behaviour::Lazy {
                continue;
            }
            let Ok(jobs) = client.all::<Job>(vec![]).await else { continue };
            for (_, job) in jobs {
                let Some(i) = job.assignment_index(&me) else { continue };
                let a = job.assignments[i];
                let ixs = match job.kind {
                    JobKind::Pow { difficulty } if job.status == JobStatus::Running => {
                        let nonce =
                            ignis::pow::search_nonce(&job.seed, &me, difficulty, 0, u64::MAX)
                                .unwrap();
                        protocol.submit_pow(operator.pubkey(), job.id, payout, nonce)
                    }
                    JobKind::Kernel { size, .. }
                        if !a.committed
                            && matches!(job.status, JobStatus::Open | JobStatus::Running) =>
                    {
                        let mut output = ignis_kernels::matmul::compute(&job.seed, size);
                        if behaviour == Behaviour::WrongFirst && job.requeues == 0 {
                            output[0] = output[0].wrapping_add(1);
                        }
                        let hash = ignis_kernels::matmul::result_hash(&output);
                        let salt: [u8; 32] = rand::random();
                        results.insert((job.id, job.requeues), (hash, salt));
                        ix::commit_result(
                            operator.pubkey(),
                            job.id,
                            ignis::kernels::result_commitment(&hash, &salt, &me),
                        )
                    }
                    JobKind::Kernel { .. }
                        if a.committed && !a.revealed && job.status == JobStatus::Revealing =>
                    {
                        let Some((hash, salt)) = results.get(&(job.id, job.requeues)) else {
                            continue;
                        };
                        ix::reveal_result(operator.pubkey(), job.id, *hash, *salt)
                    }
                    _ => continue,
                };
                let _ = client.send(&[ixs], &[&operator]).await;
            }
        }
    })
}

/// Slot of each transaction that touched `address`, oldest first.
async fn slots_of(net: &Net, address: &Pubkey) -> Vec<u64> {
    let mut slots: Vec<u64> = net
        .client
        .rpc()
        .get_signatures_for_address(address)
        .await
        .unwrap()
        .iter()
        .map(|s| s.slot)
        .collect();
    slots.sort();
    slots
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posted_pow_jobs_are_assigned_at_once_completed_and_paid() {
    let net = Net::start(400, 3).await;
    let stop = CancellationToken::new();
    let a = net.worker(0, POW, 2, true).await;
    let b = net.worker(1, POW | MATMUL, 2, true).await;
    let poster = net.key(2);
    net.give_ign(&poster.pubkey(), 1_000 * IGN).await;
    let sims = [
        simulate(&net, a.clone(), Behaviour::Honest, stop.clone()),
        simulate(&net, b.clone(), Behaviour::Honest, stop.clone()),
    ];
    let orchestrator = Orchestrator::start(net.orchestrator_config()).await;

    let mut ids = vec![];
    for _ in 0..5 {
        ids.push(net.post(&poster, JobKind::Pow { difficulty: 6 }, 10 * IGN, 60).await);
    }
    for &id in &ids {
        net.until("the job to complete", || async {
            (net.job(id).await.status == JobStatus::Completed).then_some(())
        })
        .await;
    }

    let (mut completed, mut earned) = (0, 0);
    for operator in [&a, &b] {
        let worker = net.worker_account(&operator.pubkey()).await;
        assert_eq!(worker.active_jobs, 0);
        completed += worker.jobs_completed;
        // Paid: the reward less the 2.5% fee, plus work-pool pay.
        assert!(net.balance(&operator.pubkey()).await >= worker.jobs_completed * 975 * IGN / 100);
        earned += worker.earned_total;
    }
    assert_eq!(completed, 5);
    assert!(earned >= 5 * 975 * IGN / 100);
    for &id in &ids {
        let job = net.job(id).await;
        assert_eq!((job.assigned, job.requeues), (1, 0), "job {id} was assigned once");
        assert!(ignis::pow::meets_difficulty(&job.result_hash, 6));
        // post, assign, submit: the assignment lands within two slots of the post.
        let slots = slots_of(&net, &pda::job(id)).await;
        assert_eq!(slots.len(), 3, "job {id}: {slots:?}");
        assert!(
            slots[1] - slots[0] <= 2,
            "job {id} posted in slot {} and assigned in slot {}",
            slots[0],
            slots[1]
        );
    }
    let metrics = orchestrator.stop().await;
    assert_eq!(metric(&metrics, "ignis_orchestrator_assignments_sent_total"), 5.0);
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_assign_transactions_total{outcome=\"failed\"}"),
        0.0
    );
    stop.cancel();
    for sim in sims {
        sim.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_loses_no_job_and_assigns_none_twice() {
    let net = Net::start(100, 3).await;
    let stop = CancellationToken::new();
    let a = net.worker(0, POW, 2, true).await;
    let b = net.worker(1, POW, 2, true).await;
    let poster = net.key(2);
    net.give_ign(&poster.pubkey(), 1_000 * IGN).await;

    // No worker works yet: the four slots fill and the rest wait.
    let first = Orchestrator::start(net.orchestrator_config()).await;
    let mut ids = vec![];
    for _ in 0..6 {
        ids.push(net.post(&poster, JobKind::Pow { difficulty: 4 }, 5 * IGN, 120).await);
    }
    net.until("four assignments", || async {
        let mut running = 0;
        for &id in &ids {
            running += usize::from(net.job(id).await.status == JobStatus::Running);
        }
        (running == 4).then_some(())
    })
    .await;
    let metrics = first.stop().await;
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_assign_transactions_total{outcome=\"failed\"}"),
        0.0
    );

    // While it is down: two more jobs, and the workers finish what they hold.
    for _ in 0..2 {
        ids.push(net.post(&poster, JobKind::Pow { difficulty: 4 }, 5 * IGN, 120).await);
    }
    let sims = [
        simulate(&net, a.clone(), Behaviour::Honest, stop.clone()),
        simulate(&net, b.clone(), Behaviour::Honest, stop.clone()),
    ];
    net.until("the first four to complete", || async {
        let mut done = 0;
        for &id in &ids {
            done += usize::from(net.job(id).await.status == JobStatus::Completed);
        }
        (done == 4).then_some(())
    })
    .await;

    // A fresh orchestrator rebuilds everything from the chain and finishes the rest.
    let second = Orchestrator::start(net.orchestrator_config()).await;
    for &id in &ids {
        net.until("every job to complete", || async {
            (net.job(id).await.status == JobStatus::Completed).then_some(())
        })
        .await;
    }
    for &id in &ids {
        let job = net.job(id).await;
        assert_eq!((job.assigned, job.requeues), (1, 0), "job {id} was assigned exactly once");
    }
    let mut completed = 0;
    for operator in [&a, &b] {
        let worker = net.worker_account(&operator.pubkey()).await;
        assert_eq!(worker.active_jobs, 0);
        completed += worker.jobs_completed;
    }
    assert_eq!(completed, 8);
    let metrics = second.stop().await;
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_assign_transactions_total{outcome=\"failed\"}"),
        0.0,
        "never a double assignment"
    );
    assert_eq!(metric(&metrics, "ignis_orchestrator_assignments_sent_total"), 4.0);
    stop.cancel();
    for sim in sims {
        sim.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_missed_deadline_is_expired_and_the_job_goes_to_another_worker() {
    let net = Net::start(100, 3).await;
    let stop = CancellationToken::new();
    let lazy = net.worker(0, POW, 2, true).await;
    let busy = net.worker(1, POW, 2, false).await;
    let poster = net.key(2);
    net.give_ign(&poster.pubkey(), 100 * IGN).await;
    let sims = [
        simulate(&net, lazy.clone(), Behaviour::Lazy, stop.clone()),
        simulate(&net, busy.clone(), Behaviour::Honest, stop.clone()),
    ];
    let orchestrator = Orchestrator::start(net.orchestrator_config()).await;

    let id = net.post(&poster, JobKind::Pow { difficulty: 4 }, 10 * IGN, 10).await;
    net.until("the lazy worker's assignment", || async {
        (net.job(id).await.status == JobStatus::Running).then_some(())
    })
    .await;
    assert_eq!(net.job(id).await.assignments[0].worker, pda::worker(&lazy.pubkey()));
    net.set_accepting(&lazy, POW, 2, false).await;
    net.set_accepting(&busy, POW, 2, true).await;

    net.localnet.warp_clock(15).unwrap();
    net.until("the job to complete elsewhere", || async {
        (net.job(id).await.status == JobStatus::Completed).then_some(())
    })
    .await;
    let job = net.job(id).await;
    assert_eq!(job.assignments[0].worker, pda::worker(&busy.pubkey()));
    assert_eq!(job.requeues, 1);
    let missed = net.worker_account(&lazy.pubkey()).await;
    assert_eq!((missed.jobs_missed, missed.active_jobs, missed.jobs_completed), (1, 0, 0));
    assert_eq!(
        net.stake(&lazy.pubkey()).await.amount,
        STAKE - STAKE / 100,
        "slashed at the 1% miss rate"
    );
    assert_eq!(net.worker_account(&busy.pubkey()).await.jobs_completed, 1);
    let metrics = orchestrator.stop().await;
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_crank_actions_total{kind=\"expire\",outcome=\"ok\"}"),
        1.0
    );
    stop.cancel();
    for sim in sims {
        sim.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_replica_matmul_results_are_attested_or_disputed() {
    let net = Net::start(100, 3).await;
    let stop = CancellationToken::new();
    let honest = net.worker(0, MATMUL, 2, true).await;
    // Staked well above the minimum, so that it stays eligible after a slash.
    let cheat = net.worker_with_stake(1, 2 * STAKE, MATMUL, 2, false).await;
    let poster = net.key(2);
    net.give_ign(&poster.pubkey(), 100 * IGN).await;
    let sims = [
        simulate(&net, honest.clone(), Behaviour::Honest, stop.clone()),
        simulate(&net, cheat.clone(), Behaviour::WrongFirst, stop.clone()),
    ];
    let mut config = net.orchestrator_config();
    config.verify_recompute_max_n = 16;
    let orchestrator = Orchestrator::start(config).await;
    let http = reqwest::Client::new();

    // Small enough to recompute: attested within the challenge window.
    let small = net
        .post(&poster, JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: 16 }, 10 * IGN, 60)
        .await;
    net.until("the attestation", || async {
        (net.job(small).await.status == JobStatus::Completed).then_some(())
    })
    .await;
    let job = net.job(small).await;
    assert_eq!(
        job.result_hash,
        ignis_kernels::matmul::result_hash(&ignis_kernels::matmul::compute(&job.seed, 16))
    );

    // Too big to recompute: waits for an upload, checks it with Freivalds.
    let big = net
        .post(&poster, JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: 32 }, 10 * IGN, 60)
        .await;
    net.until("the challenge", || async {
        (net.job(big).await.status == JobStatus::Challenge).then_some(())
    })
    .await;
    let seed = net.job(big).await.seed;
    let output = ignis_kernels::matmul::compute(&seed, 32);
    let url = format!("{}/api/results/{big}", orchestrator.base);
    let short = http.post(&url).body(vec![0u8; 12]).send().await.unwrap();
    assert_eq!(short.status(), 400);
    assert!(short.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("expected 4096 bytes"));
    let mut forged = output.clone();
    forged[5] ^= 1;
    let forged =
        http.post(&url).body(ignis_kernels::matmul::output_bytes(&forged)).send().await.unwrap();
    assert_eq!(forged.status(), 422, "an output that is not the revealed one is ignored");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        net.job(big).await.status,
        JobStatus::Challenge,
        "nothing is decided without a matching upload"
    );
    let accepted =
        http.post(&url).body(ignis_kernels::matmul::output_bytes(&output)).send().await.unwrap();
    assert_eq!(accepted.status(), 202);
    net.until("the upload's attestation", || async {
        (net.job(big).await.status == JobStatus::Completed).then_some(())
    })
    .await;
    assert_eq!(net.worker_account(&honest.pubkey()).await.jobs_completed, 2);

    // A wrong result is disputed: slashed at the 10% fraud rate and re-queued; the
    // second attempt is right and attested.
    net.set_accepting(&honest, MATMUL, 2, false).await;
    net.set_accepting(&cheat, MATMUL, 2, true).await;
    let wrong = net
        .post(&poster, JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: 16 }, 10 * IGN, 60)
        .await;
    net.until("the re-run to complete", || async {
        (net.job(wrong).await.status == JobStatus::Completed).then_some(())
    })
    .await;
    let job = net.job(wrong).await;
    assert_eq!(job.requeues, 1, "disputed once");
    let cheater = net.worker_account(&cheat.pubkey()).await;
    assert_eq!((cheater.jobs_disputed, cheater.jobs_completed, cheater.active_jobs), (1, 1, 0));
    assert_eq!(
        net.stake(&cheat.pubkey()).await.amount,
        2 * STAKE - 2 * STAKE / 10,
        "slashed at the 10% fraud rate"
    );

    let missing = http
        .post(format!("{}/api/results/999", orchestrator.base))
        .body(vec![0u8; 4])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let metrics = orchestrator.stop().await;
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_verifications_total{outcome=\"attested\"}"),
        3.0
    );
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_verifications_total{outcome=\"disputed\"}"),
        1.0
    );
    stop.cancel();
    for sim in sims {
        sim.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_serves_jobs_workers_stats_events_health_and_metrics() {
    let net = Net::start(100, 2).await;
    let stop = CancellationToken::new();
    let operator = net.worker(0, POW | MATMUL, 4, true).await;
    let poster = net.key(1);
    net.give_ign(&poster.pubkey(), 100 * IGN).await;
    let sim = simulate(&net, operator.clone(), Behaviour::Honest, stop.clone());
    let orchestrator = Orchestrator::start(net.orchestrator_config()).await;
    let base = orchestrator.base.clone();
    let http = reqwest::Client::new();
    let get = |path: &str| {
        let request = http.get(format!("{base}{path}"));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let json = |text: &str| serde_json::from_str::<Value>(text).unwrap();

    assert_eq!(get("/healthz").await, (200, "ok".to_string()));

    // Server-sent events: stats at once, then a job event when a job changes.
    let mut events = http.get(format!("{base}/api/events")).send().await.unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let first = net.post(&poster, JobKind::Pow { difficulty: 4 }, 3 * IGN, 60).await;
    let mut seen = String::new();
    tokio::time::timeout(TIMEOUT, async {
        while !seen.contains("event: job") {
            seen += &String::from_utf8_lossy(&events.chunk().await.unwrap().expect("stream open"));
        }
    })
    .await
    .expect("a job event");
    assert!(seen.starts_with("event: stats\ndata: {"), "{seen}");
    let data = seen.split("event: job\ndata: ").nth(1).unwrap().lines().next().unwrap();
    assert_eq!(json(data)["id"], first);

    // Newest first is by posting time, to the second: post the next one a second later.
    let posted = net.job(first).await.posted_at;
    net.until("the chain's clock to pass a second", || async {
        (net.client.clock().await.unwrap().1 > posted).then_some(())
    })
    .await;
    let second = net
        .post(&poster, JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: 8 }, 2 * IGN, 60)
        .await;
    net.until("both jobs to settle", || async {
        let (a, b) = (net.job(first).await.status, net.job(second).await.status);
        (a == JobStatus::Completed && b == JobStatus::Completed).then_some(())
    })
    .await;
    // Let the index see the last change.
    tokio::time::sleep(Duration::from_millis(600)).await;

    let (status, body) = get("/api/jobs").await;
    assert_eq!(status, 200);
    let jobs = json(&body)["jobs"].as_array().unwrap().clone();
    assert_eq!(
        jobs.iter().map(|j| j["id"].as_u64().unwrap()).collect::<Vec<_>>(),
        vec![second, first],
        "newest first"
    );
    let pow = &jobs[1];
    for (field, value) in [
        ("address", Value::from(pda::job(first).to_string())),
        ("poster", poster.pubkey().to_string().into()),
        ("kind", "pow".into()),
        ("difficulty", 4.into()),
        ("size", Value::Null),
        ("replicas", 1.into()),
        ("reward", (3 * IGN).to_string().into()),
        ("status", "completed".into()),
        ("requeues", 0.into()),
    ] {
        assert_eq!(pow[field], value, "{field} in {pow}");
    }
    assert_eq!(pow["assignments"][0]["worker"], pda::worker(&operator.pubkey()).to_string());
    for field in ["postedAt", "expiresAt", "completedAt", "slot"] {
        assert!(pow[field].as_u64().unwrap() > 0, "{field}");
    }
    assert_eq!(pow["assignments"][0]["committed"], false);
    assert_eq!(pow["resultHash"].as_str().unwrap().len(), 64);
    assert!(pow["powNonce"].is_string());
    assert_eq!((jobs[0]["kind"].clone(), jobs[0]["size"].clone()), ("matmul".into(), 8.into()));
    assert_eq!(jobs[0]["assignments"][0]["revealed"], true);

    let filtered = json(
        &get(&format!("/api/jobs?status=completed&poster={}&limit=1", poster.pubkey())).await.1,
    );
    assert_eq!(filtered["jobs"].as_array().unwrap().len(), 1);
    // Pages follow a cursor, newest first, each job once, and say when they end.
    let page = json(&get("/api/jobs?limit=1").await.1);
    assert_eq!(page["jobs"][0]["id"].as_u64(), Some(second));
    let next = page["next"].as_str().expect("a cursor to the next page").to_string();
    let last = json(&get(&format!("/api/jobs?limit=1&before={next}")).await.1);
    assert_eq!(last["jobs"][0]["id"].as_u64(), Some(first));
    assert_eq!(last["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(last["next"], Value::Null, "the end");
    assert_eq!(json(&get("/api/jobs?status=open").await.1)["jobs"], Value::Array(vec![]));
    assert_eq!(json(&get(&format!("/api/jobs/{first}")).await.1)["kind"], "pow");

    for (path, status, message) in [
        ("/api/jobs?status=finished", 400, "unknown status `finished`"),
        ("/api/jobs?poster=nope", 400, "is not a Solana address"),
        ("/api/jobs?limit=0", 400, "limit `0` must be a number from 1 to 1000"),
        ("/api/jobs?color=red", 400, "unknown query parameter `color`"),
        ("/api/jobs?before=yesterday", 400, "cursor `yesterday` is not one this API gave"),
        ("/api/jobs/abc", 400, "is not a job id"),
        ("/api/jobs/12345", 404, "there is no job #12345"),
    ] {
        let (got, body) = get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(json(&body)["error"].as_str().unwrap().contains(message), "{path}: {body}");
    }

    let workers = json(&get("/api/workers").await.1)["workers"].as_array().unwrap().clone();
    assert_eq!(workers.len(), 1);
    let w = &workers[0];
    assert_eq!(w["operator"], operator.pubkey().to_string());
    assert_eq!(w["address"], pda::worker(&operator.pubkey()).to_string());
    assert_eq!(w["kernels"], serde_json::json!(["pow-sha256", "matmul-u32"]));
    assert_eq!(
        (w["vramMb"].clone(), w["computeCapability"].clone(), w["gpuModel"].clone()),
        (8_192.into(), 89.into(), "test gpu".into())
    );
    assert_eq!(
        (w["maxConcurrentJobs"].clone(), w["activeJobs"].clone(), w["accepting"].clone()),
        (4.into(), 0.into(), true.into())
    );
    assert_eq!(
        (w["jobsCompleted"].clone(), w["jobsMissed"].clone(), w["jobsDisputed"].clone()),
        (2.into(), 0.into(), 0.into())
    );
    assert_eq!(
        (w["stake"].clone(), w["minPrice"].clone(), w["hashrate"].clone()),
        (STAKE.to_string().into(), "0".into(), 1_000_000.into())
    );
    assert!(w["earnedTotal"].as_str().unwrap().parse::<u64>().unwrap() > 0);

    let stats = json(&get("/api/stats").await.1);
    assert_eq!(stats["jobsByStatus"]["completed"], 2);
    assert_eq!(stats["jobsByStatus"]["open"], 0);
    assert_eq!(
        (stats["workersOnline"].clone(), stats["gpus"].clone(), stats["hashrate"].clone()),
        (1.into(), 1.into(), 1_000_000.into())
    );
    assert_eq!(stats["volume"], (5 * IGN).to_string());
    assert_eq!(stats["totalStaked"], STAKE.to_string());
    assert_eq!(stats["emissionRate"], IGN.to_string(), "1 IGN per second in the first year");
    assert_eq!(stats["mint"], net.protocol.mint.to_string());
    assert!(stats["slot"].as_u64().unwrap() > 0);
    assert!(!stats["history"].as_array().unwrap().is_empty());

    let (status, metrics) = get("/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(metric(&metrics, "ignis_orchestrator_matches_total"), 2.0);
    assert_eq!(metric(&metrics, "ignis_orchestrator_jobs{status=\"completed\"}"), 2.0);
    assert_eq!(metric(&metrics, "ignis_orchestrator_workers"), 1.0);
    assert_eq!(metric(&metrics, "ignis_orchestrator_assign_latency_seconds_count"), 2.0);
    assert!(metrics.contains("ignis_orchestrator_verifications_total{outcome=\"attested\"} 1"));

    // CORS: the web app calls from another origin.
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{base}/api/jobs"))
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");

    drop(events);
    orchestrator.stop().await;
    stop.cancel();
    sim.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicated_jobs_are_finalized_and_expired_ones_refunded() {
    let net = Net::start(100, 3).await;
    let stop = CancellationToken::new();
    let a = net.worker(0, MATMUL, 2, true).await;
    let b = net.worker(1, MATMUL, 2, true).await;
    let poster = net.key(2);
    net.give_ign(&poster.pubkey(), 100 * IGN).await;
    let sims = [
        simulate(&net, a.clone(), Behaviour::Honest, stop.clone()),
        simulate(&net, b.clone(), Behaviour::Honest, stop.clone()),
    ];
    let orchestrator = Orchestrator::start(net.orchestrator_config()).await;

    // Two replicas on two distinct workers; both reveal the same hash, and the verifier
    // attests it at once (no need to wait for the reveal deadline or its window).
    let pair = net
        .post_with(
            &poster,
            JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: 8 },
            2,
            10 * IGN,
            60,
            3_600,
        )
        .await;
    net.until("the replicated job to settle", || async {
        (net.job(pair).await.status == JobStatus::Completed).then_some(())
    })
    .await;
    let job = net.job(pair).await;
    let mut workers: Vec<Pubkey> = job.live_assignments().iter().map(|x| x.worker).collect();
    workers.sort();
    let mut expected = vec![pda::worker(&a.pubkey()), pda::worker(&b.pubkey())];
    expected.sort();
    assert_eq!(workers, expected);
    for operator in [&a, &b] {
        let worker = net.worker_account(&operator.pubkey()).await;
        assert_eq!((worker.jobs_completed, worker.active_jobs), (1, 0));
    }

    // Nobody runs PoW here: once the job expires the crank returns the escrow.
    let before = net.balance(&poster.pubkey()).await;
    let unwanted = net.post_with(&poster, JobKind::Pow { difficulty: 4 }, 1, 7 * IGN, 60, 60).await;
    assert_eq!(net.balance(&poster.pubkey()).await, before - 7 * IGN);
    net.localnet.warp_clock(61).unwrap();
    net.until("the refund", || async {
        (net.job(unwanted).await.status == JobStatus::Refunded).then_some(())
    })
    .await;
    assert_eq!(net.balance(&poster.pubkey()).await, before);

    let metrics = orchestrator.stop().await;
    assert!(metrics.contains("ignis_orchestrator_verifications_total{outcome=\"attested\"} 1"));
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_crank_actions_total{kind=\"refund\",outcome=\"ok\"}"),
        1.0
    );
    stop.cancel();
    for sim in sims {
        sim.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn polling_keeps_the_index_current_without_a_websocket() {
    let net = Net::start(100, 2).await;
    let stop = CancellationToken::new();
    let operator = net.worker(0, POW, 2, true).await;
    let poster = net.key(1);
    net.give_ign(&poster.pubkey(), 100 * IGN).await;
    let sim = simulate(&net, operator.clone(), Behaviour::Honest, stop.clone());
    let mut config = net.orchestrator_config();
    // Nothing listens there: the follower keeps failing and the poller does the work.
    config.ws_url = Some("ws://127.0.0.1:9".into());
    let orchestrator = Orchestrator::start(config).await;
    let id = net.post(&poster, JobKind::Pow { difficulty: 4 }, 5 * IGN, 60).await;
    net.until("the job to complete", || async {
        (net.job(id).await.status == JobStatus::Completed).then_some(())
    })
    .await;
    let metrics = orchestrator.stop().await;
    assert_eq!(metric(&metrics, "ignis_orchestrator_websocket_connected"), 0.0);
    assert!(metric(&metrics, "ignis_orchestrator_index_updates_total{source=\"poll\"}") > 0.0);
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_index_updates_total{source=\"websocket\"}"),
        0.0
    );
    stop.cancel();
    sim.await.unwrap();
}

#[tokio::test]
async fn start_up_failures_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let err = ignis_orchestrator::start(
        Config::local("http://127.0.0.1:9", missing.to_str().unwrap()),
        CancellationToken::new(),
    )
    .await
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("cannot read the orchestrator keypair"), "{err:#}");
    let key = dir.path().join("key.json");
    write_keypair_file(&Keypair::new(), &key).unwrap();
    let err = ignis_orchestrator::start(
        Config::local("http://127.0.0.1:9", key.to_str().unwrap()),
        CancellationToken::new(),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(
        format!("{err:#}"),
        "cannot reach http://127.0.0.1:9: is the localnet running? start it with `cargo localnet` (or pass --url)"
    );
}

/// The orchestrator states no rule of its own: change a parameter on chain and the
/// matcher's feed, the crank and the API follow at once. Here the minimum worker stake
/// rises above a worker's stake (it gets nothing, and the API stops counting it), then
/// falls back (it gets the waiting job), then the pause stops the crank's expiries.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_orchestrator_follows_a_rule_parameter_changed_on_chain() {
    let net = Net::start(100, 2).await;
    let worker = net.worker(0, POW, 2, true).await;
    let poster = net.key(1);
    net.give_ign(&poster.pubkey(), 1_000 * IGN).await;
    let orchestrator = Orchestrator::start(net.orchestrator_config()).await;
    let http = reqwest::Client::new();
    let workers_online = || async {
        let stats: Value = http
            .get(format!("{}/api/stats", orchestrator.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stats["workersOnline"].as_u64().expect("workersOnline")
    };
    let set_params = |params: Params| {
        let (client, admin) = (net.client.clone(), net.admin.clone());
        async move {
            client.send(&[ix::update_params(admin.pubkey(), params)], &[&admin]).await.unwrap();
        }
    };
    let params = net.client.config().await.unwrap().params;
    net.until("the worker to count as online", || async {
        (workers_online().await == 1).then_some(())
    })
    .await;

    // Raised above the worker's stake: the program would refuse it, so nobody asks.
    set_params(Params { min_worker_stake: STAKE + 1, ..params }).await;
    net.until("the API to stop counting the worker", || async {
        (workers_online().await == 0).then_some(())
    })
    .await;
    let id = net.post(&poster, JobKind::Pow { difficulty: 6 }, 10 * IGN, 60).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let job = net.job(id).await;
    assert_eq!((job.status, job.assigned), (JobStatus::Open, 0), "assigned below the minimum");

    // Back down: the waiting job goes to the worker.
    set_params(params).await;
    net.until("the job to be assigned", || async {
        (net.job(id).await.assigned == 1).then_some(())
    })
    .await;
    assert_eq!(workers_online().await, 1);
    let job = net.job(id).await;
    assert_eq!(job.assignments[0].worker, pda::worker(&worker.pubkey()));

    // Paused: deadlines stand still, so the crank expires nothing even when the
    // assignment's deadline passes on the wall clock; resumed, the protocol clock runs
    // on and the assignment is expired once its deadline comes.
    let admin = net.admin.clone();
    net.client.send(&[ix::set_paused(admin.pubkey(), true)], &[&admin]).await.unwrap();
    net.localnet.warp_clock(120).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(net.job(id).await.assigned, 1, "the crank expired while paused");
    assert_eq!(net.worker_account(&worker.pubkey()).await.jobs_missed, 0);
    net.client.send(&[ix::set_paused(admin.pubkey(), false)], &[&admin]).await.unwrap();
    net.localnet.warp_clock(120).unwrap();
    net.until("the missed assignment to be expired", || async {
        (net.worker_account(&worker.pubkey()).await.jobs_missed == 1).then_some(())
    })
    .await;
    // Followed, not merely refused by the program: no assignment and no crank action was
    // ever sent that the chain turned down.
    let metrics = orchestrator.stop().await;
    let failed = |series: &str| metric(&metrics, series);
    assert_eq!(failed("ignis_orchestrator_assign_transactions_total{outcome=\"failed\"}"), 0.0);
    assert_eq!(
        failed("ignis_orchestrator_crank_actions_total{kind=\"expire\",outcome=\"failed\"}"),
        0.0
    );
    assert_eq!(
        failed("ignis_orchestrator_crank_actions_total{kind=\"expire\",outcome=\"ok\"}"),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settled_jobs_are_closed_after_their_retention_and_their_history_survives_a_restart() {
    let net = Net::start(100, 2).await;
    let stop = CancellationToken::new();
    let worker = net.worker(0, POW, 4, true).await;
    let poster = net.key(1);
    net.give_ign(&poster.pubkey(), 1_000 * IGN).await;
    let retention = 30;
    let params = net.client.config().await.unwrap().params;
    let admin = net.admin.clone();
    let update =
        ix::update_params(admin.pubkey(), Params { job_retention_seconds: retention, ..params });
    net.client.send(&[update], &[&admin]).await.unwrap();
    let sim = simulate(&net, worker.clone(), Behaviour::Honest, stop.clone());
    let orchestrator = Orchestrator::start(net.orchestrator_config()).await;

    let mut ids = vec![];
    for _ in 0..3 {
        ids.push(net.post(&poster, JobKind::Pow { difficulty: 6 }, 10 * IGN, 60).await);
    }
    for &id in &ids {
        net.until("the job to complete", || async {
            (net.job(id).await.status == JobStatus::Completed).then_some(())
        })
        .await;
    }
    let rpc = net.client.rpc();
    let mut rent = 0;
    for &id in &ids {
        rent += rpc.get_balance(&pda::job(id)).await.unwrap();
    }
    assert!(rent > 0);
    let lamports = rpc.get_balance(&poster.pubkey()).await.unwrap();
    // Within the retention the accounts stay.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for &id in &ids {
        assert!(net.client.job(id).await.unwrap().is_some(), "job {id} closed too early");
    }

    net.localnet.warp_clock(retention).unwrap();
    for &id in &ids {
        net.until("the settled job to be closed", || async {
            net.client.job(id).await.unwrap().is_none().then_some(())
        })
        .await;
    }
    // Every lamport of rent went back to the poster, who paid nothing for it.
    assert_eq!(rpc.get_balance(&poster.pubkey()).await.unwrap(), lamports + rent);

    // The API still shows them, as closed history.
    let http = reqwest::Client::new();
    let closed_view = |base: String, id: u64| {
        let http = http.clone();
        async move {
            let mut view: Value =
                http.get(format!("{base}/api/jobs/{id}")).send().await.ok()?.json().await.ok()?;
            // The slot a view was read at is the reader's, not the job's.
            view.as_object_mut()?.remove("slot");
            (view["closed"] == true).then_some(view)
        }
    };
    let mut views = vec![];
    for &id in &ids {
        let view = net
            .until("the API to show the job closed", || closed_view(orchestrator.base.clone(), id))
            .await;
        assert_eq!(view["status"], "completed");
        views.push(view);
    }
    let listed: Value = http
        .get(format!("{}/api/jobs?poster={}", orchestrator.base, poster.pubkey()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["jobs"].as_array().unwrap().len(), 3);

    let metrics = orchestrator.stop().await;
    assert_eq!(
        metric(&metrics, "ignis_orchestrator_crank_actions_total{kind=\"close\",outcome=\"ok\"}"),
        3.0
    );
    assert_eq!(
        metric(
            &metrics,
            "ignis_orchestrator_crank_actions_total{kind=\"close\",outcome=\"failed\"}"
        ),
        0.0
    );

    // A restart finds the history in its database, without reading the chain's history.
    let restarted =
        Orchestrator::start(Config { no_history_scan: true, ..net.orchestrator_config() }).await;
    for (&id, view) in ids.iter().zip(&views) {
        let stored =
            net.until("the stored history", || closed_view(restarted.base.clone(), id)).await;
        assert_eq!(&stored, view, "job {id} as stored");
    }
    restarted.stop().await;

    // An orchestrator that starts afresh, with an empty database, rebuilds the same
    // history from the chain's transactions: the accounts are gone, the events are not.
    let empty = net.dir.path().join("empty").to_string_lossy().into_owned();
    let fresh = Orchestrator::start(Config { data_dir: empty, ..net.orchestrator_config() }).await;
    for (&id, view) in ids.iter().zip(&views) {
        let rebuilt =
            net.until("the history to be rebuilt", || closed_view(fresh.base.clone(), id)).await;
        assert_eq!(&rebuilt, view, "job {id} as rebuilt from the chain");
    }
    fresh.stop().await;
    stop.cancel();
    sim.await.unwrap();
}

/// A poster who cancels its jobs the moment they are posted, racing the orchestrator's
/// assignment: each race it wins makes an assignment transaction fail, which (sent
/// without preflight) costs the orchestrator its fee. The attack must cost the attacker
/// at least what it costs the orchestrator, honest jobs must still be assigned once and
/// completed, and no worker may lose anything for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_as_jobs_are_assigned_costs_the_attacker_at_least_the_orchestrator() {
    let net = Net::start(400, 4).await;
    let stop = CancellationToken::new();
    let a = net.worker(0, POW, 4, true).await;
    let b = net.worker(1, POW, 4, true).await;
    let (poster, attacker) = (net.key(2), net.key(3));
    net.give_ign(&poster.pubkey(), 1_000 * IGN).await;
    net.give_ign(&attacker.pubkey(), 1_000 * IGN).await;
    let sims = [
        simulate(&net, a.clone(), Behaviour::Honest, stop.clone()),
        simulate(&net, b.clone(), Behaviour::Honest, stop.clone()),
    ];
    let orchestrator = Orchestrator::start(net.orchestrator_config()).await;
    let client = &net.client;
    let sol = |key: Pubkey| async move { client.rpc().get_balance(&key).await.unwrap() };
    let attacker_sol = sol(attacker.pubkey()).await;
    let attacker_ign = net.balance(&attacker.pubkey()).await;

    let (mut honest, mut attacks) = (vec![], vec![]);
    for round in 0..32u64 {
        if round % 4 == 0 {
            honest.push(net.post(&poster, JobKind::Pow { difficulty: 6 }, 10 * IGN, 60).await);
        }
        let id = ix::fresh_job_id();
        let args = PostJobArgs {
            job_id: id,
            kind: JobKind::Pow { difficulty: 6 },
            client_seed: rand::random(),
            reward: IGN,
            replicas: 1,
            execution_seconds: 60,
            ttl_seconds: 3_600,
        };
        let attacker_ata = net.ata(&attacker.pubkey());
        let post = net.protocol.post_job(attacker.pubkey(), attacker_ata, args);
        let cancel = net.protocol.cancel_job(attacker.pubkey(), id, attacker_ata);
        if round % 2 == 0 {
            // Cancel 0-35 ms behind the post, unconfirmed: the orchestrator sees the job
            // open and may assign it into the cancellation.
            let mut pipeline = net.client.pipeline();
            pipeline.send(&[post], &[&*attacker]).await.expect("posted");
            tokio::time::sleep(Duration::from_millis(round % 8 * 5)).await;
            let _ = pipeline.send(&[cancel], &[&*attacker]).await;
            let _ = pipeline.confirm().await;
        } else {
            net.client.send(&[post], &[&*attacker]).await.expect("posted");
            if round % 4 == 1 {
                // Cancel once the post is confirmed, up to a slot later: a race.
                tokio::time::sleep(Duration::from_millis(round % 8 * 15)).await;
            } else {
                // Too late for sure: the job is assigned (the cancel is refused in
                // preflight, for free).
                net.until("the attacker's job to be assigned", || async {
                    (net.job(id).await.assigned > 0).then_some(())
                })
                .await;
            }
            let _ = net.client.send(&[cancel], &[&*attacker]).await;
        }
        attacks.push(id);
    }
    for &id in honest.iter().chain(&attacks) {
        net.until("every job to settle", || async {
            matches!(net.job(id).await.status, JobStatus::Completed | JobStatus::Cancelled)
                .then_some(())
        })
        .await;
    }
    for &id in &honest {
        let job = net.job(id).await;
        assert_eq!((job.status, job.assigned, job.requeues), (JobStatus::Completed, 1, 0));
    }
    let mut cancelled = 0u64;
    for &id in &attacks {
        cancelled += u64::from(net.job(id).await.status == JobStatus::Cancelled);
    }
    for operator in [&a, &b] {
        let worker = net.worker_account(&operator.pubkey()).await;
        assert_eq!((worker.jobs_missed, worker.active_jobs), (0, 0), "no worker lost anything");
        assert_eq!(net.stake(&operator.pubkey()).await.amount, STAKE);
    }
    let metrics = orchestrator.stop().await;
    stop.cancel();
    for sim in sims {
        sim.await.unwrap();
    }

    // The orchestrator's loss: each failed assignment's fee (the fee payer's signature
    // and the orchestrator's, 5,000 lamports each).
    let failed =
        metric(&metrics, "ignis_orchestrator_assign_transactions_total{outcome=\"failed\"}");
    let orchestrator_lost = failed as u64 * 2 * 5_000;
    // The attacker's: its SOL (fees; the cancelled jobs' rent comes back at close) and
    // the rewards of the jobs it failed to cancel, which the workers earned.
    let attacker_fees = attacker_sol - sol(attacker.pubkey()).await;
    let rent_held = (attacks.len() as u64)
        * net
            .client
            .rpc()
            .get_minimum_balance_for_rent_exemption(8 + <Job as anchor_lang::Space>::INIT_SPACE)
            .await
            .unwrap();
    let attacker_lost_ign = attacker_ign - net.balance(&attacker.pubkey()).await;
    println!(
        "{} attacks, {cancelled} cancelled first; {failed} failed assignment transactions: \
         orchestrator lost {orchestrator_lost} lamports, attacker {} lamports in fees and \
         {attacker_lost_ign} IGN base units in rewards",
        attacks.len(),
        attacker_fees - rent_held
    );
    assert!(cancelled > 0 && cancelled < attacks.len() as u64, "both ways of the race were run");
    // A cancellation that won the race is skipped by the `assign_jobs` sent into it
    // (`Job::lost_to_race`), so it fails no assignment; at most one, should the batch
    // fail for another reason, and the refused pairs are not tried again blindly.
    assert!(failed as u64 <= cancelled, "{failed} failed assignments for {cancelled} cancels");
    assert!(
        attacker_fees - rent_held >= orchestrator_lost,
        "the orchestrator lost {orchestrator_lost} lamports, the attacker only {}",
        attacker_fees - rent_held
    );
    assert_eq!(
        attacker_lost_ign,
        (attacks.len() as u64 - cancelled) * IGN,
        "it paid for every job it did not cancel"
    );
}
