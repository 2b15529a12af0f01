//! The network as separate processes, for the system and fault tests and `ignis-bench`:
//! `ignis-localnet`, `ignis-orchestrator` and N `ignis-worker`s, started from the same
//! target directory as the caller, killed (and restarted) on demand, and killed when
//! dropped. `audit` checks on chain that every job settled once and the vaults reconcile.

pub mod proxy;
pub mod throughput;

use proxy::{FaultPlan, FaultProxy};

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    net::TcpListener,
    path::{Path, PathBuf},
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

pub const IGN: u64 = 1_000_000_000;

/// A sibling binary of the running executable (tests run from `deps/`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let mut dir = exe.parent().expect("exe dir").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (`cargo b`, which scripts/test runs)",
        path.display()
    );
    path
}

/// Tests in one binary run in parallel; each network takes both cores, so they take
/// turns: hold the guard for the test's whole life.
pub async fn one_network_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

pub fn free_port() -> u16 {
    // Below Linux's ephemeral range (32768-60999): a port the kernel hands out for
    // binding to 0 is also what it hands the many client connections of a running test,
    // one of which can take it before the service binds (seen in CI: "Address already
    // in use" for an orchestrator's API).
    loop {
        let port = rand::Rng::gen_range(&mut rand::thread_rng(), 20_000..32_000);
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn spawn_with(name: &str, args: &[&str], env: &[(&str, &str)]) -> Child {
    // IGNIS_TEST_LOG=info (or a tracing filter) shows more of the services' logs.
    let log = std::env::var("IGNIS_TEST_LOG").unwrap_or_else(|_| "warn".into());
    Command::new(binary(name))
        .args(args)
        .env("RUST_LOG", log)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|err| panic!("{name} starts: {err}"))
}

/// Starts `ignis-localnet` (50 ms slots) on ports it picks itself, and returns it with
/// its RPC and websocket URLs, which it prints once it serves them. A port picked here
/// and handed over could be taken by another process before the localnet binds it.
async fn start_localnet() -> (Child, String, String) {
    let mut child = Command::new(binary("ignis-localnet"))
        .args(["--rpc-port", "0", "--ws-port", "0", "--slot-time-ms", "50"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|err| panic!("ignis-localnet starts: {err}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let (urls, lines) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let (mut rpc, mut ws) = (None, None);
        while rpc.is_none() || ws.is_none() {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(url) = line.strip_prefix("RPC:") {
                rpc = Some(url.trim().to_owned());
            } else if let Some(url) = line.strip_prefix("WebSocket:") {
                ws = Some(url.trim().to_owned());
            }
        }
        (rpc.zip(ws), lines)
    })
    .await
    .expect("read the localnet's output");
    let Some((rpc_url, ws_url)) = urls else {
        panic!("the localnet exited before it served: {:?}", child.wait());
    };
    // Its logs go on to stdout (surfpool logs every failed simulation, which the tests
    // cause on purpose): drained unread, so that its writes never block.
    std::thread::spawn(move || lines.for_each(drop));
    (child, rpc_url, ws_url)
}

pub async fn wait_for<T>(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How the services reach the chain.
#[derive(Default)]
pub struct Options {
    /// Faults a proxy injects into every JSON-RPC call of the orchestrator and the
    /// workers (`Network::proxy` counts them); the orchestrator then polls instead of
    /// following the websocket.
    pub rpc_faults: Option<FaultPlan>,
    /// `Params::job_retention_seconds` (the default, an hour, if not given): how soon
    /// the orchestrator closes settled jobs.
    pub job_retention_seconds: Option<i64>,
    /// `Params::orchestrator_timeout_seconds` (the default, two minutes, if not given):
    /// how long the orchestrator may be silent before workers claim jobs themselves.
    pub orchestrator_timeout_seconds: Option<i64>,
    /// Orchestrators besides the first, with the same key, each with its own API:
    /// standbys for availability; the chain arbitrates between them.
    pub standby_orchestrators: usize,
    /// The history database every orchestrator shares (PostgreSQL); without it each
    /// has a SQLite file of its own.
    pub database_url: Option<String>,
    /// Capacity challenges as (`challenge_interval_seconds`,
    /// `challenge_work_seconds`), cranked by the orchestrator; without them the
    /// orchestrator cranks none (`--no-challenges`), so the tests of jobs measure jobs.
    pub challenges: Option<(i64, i64)>,
    /// Hashrates workers publish instead of measuring (`--hashrate`), by index; a
    /// worker not listed, or `None`, measures its own.
    pub worker_hashrates: Vec<Option<u64>>,
}

/// A service process and how to start it again.
struct Service {
    name: &'static str,
    args: Vec<String>,
    child: Option<Child>,
}

impl Service {
    fn start(name: &'static str, args: Vec<String>, env: &[(&str, &str)]) -> Service {
        let mut service = Service { name, args, child: None };
        service.restart(env);
        service
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn restart(&mut self, env: &[(&str, &str)]) {
        self.kill();
        let refs: Vec<&str> = self.args.iter().map(String::as_str).collect();
        self.child = Some(spawn_with(self.name, &refs, env));
    }

    /// Whether the process has exited (e.g. aborted by an injected fault).
    fn exited(&mut self) -> bool {
        self.child.as_mut().is_none_or(|child| child.try_wait().ok().flatten().is_some())
    }
}

pub struct Network {
    pub client: IgnisClient,
    pub protocol: Protocol,
    pub admin: Keypair,
    pub rpc_url: String,
    pub ws_url: String,
    pub api_url: String,
    pub operators: Vec<Pubkey>,
    localnet: Child,
    orchestrator: Option<Service>,
    standbys: Vec<Service>,
    workers: Vec<Service>,
    /// The fault proxy between the services and the chain, with `Options::rpc_faults`.
    pub proxy: Option<FaultProxy>,
}

impl Drop for Network {
    fn drop(&mut self) {
        let orchestrators = self.orchestrator.iter_mut().chain(self.standbys.iter_mut());
        for service in self.workers.iter_mut().chain(orchestrators) {
            service.kill();
        }
        let _ = self.localnet.kill();
        let _ = self.localnet.wait();
    }
}

impl Network {
    /// Localnet (50 ms slots), protocol, orchestrator, and `workers` staked CPU workers
    /// that register themselves; returns once all are up.
    pub async fn start(workers: usize, dir: &Path) -> Network {
        Network::start_with(workers, dir, Options::default()).await
    }

    pub async fn start_with(workers: usize, dir: &Path, options: Options) -> Network {
        let api_port = free_port();
        let (localnet, rpc_url, ws_url) = start_localnet().await;
        let proxy = match options.rpc_faults {
            Some(plan) => Some(FaultProxy::start(rpc_url.clone(), plan).await),
            None => None,
        };
        let client = IgnisClient::new(&rpc_url);
        let mut network = Network {
            client,
            protocol: Protocol::new(Pubkey::default(), token::TOKEN_PROGRAM_ID),
            admin: Keypair::new(),
            rpc_url: rpc_url.clone(),
            ws_url,
            api_url: format!("http://127.0.0.1:{api_port}"),
            operators: vec![],
            localnet,
            orchestrator: None,
            standbys: vec![],
            workers: vec![],
            proxy,
        };
        let services_url =
            network.proxy.as_ref().map_or_else(|| rpc_url.clone(), |proxy| proxy.url.clone());
        let client = &network.client;
        wait_for("the localnet", Duration::from_secs(60), async || {
            client.rpc().get_slot().await.ok()
        })
        .await;
        let admin_file = dir.join("admin.json");
        write_keypair_file(&network.admin, &admin_file).expect("write admin key");
        bootstrap::airdrop(client, &network.admin.pubkey(), 1_000 * IGN).await.expect("airdrop");
        let genesis = Genesis {
            decimals: 9,
            supply: 10_000_000 * IGN,
            token_program: token::TOKEN_PROGRAM_ID,
            orchestrator: network.admin.pubkey(),
            verifier: network.admin.pubkey(),
            params: Params {
                job_retention_seconds: options
                    .job_retention_seconds
                    .unwrap_or(ignis::constants::defaults::JOB_RETENTION_SECONDS),
                orchestrator_timeout_seconds: options
                    .orchestrator_timeout_seconds
                    .unwrap_or(ignis::constants::defaults::ORCHESTRATOR_TIMEOUT_SECONDS),
                challenge_interval_seconds: options
                    .challenges
                    .map_or(ignis::constants::defaults::CHALLENGE_INTERVAL_SECONDS, |c| c.0),
                challenge_work_seconds: options
                    .challenges
                    .map_or(ignis::constants::defaults::CHALLENGE_WORK_SECONDS, |c| c.1),
                ..Params::default()
            },
            emission: EmissionSchedule::default(),
        };
        network.protocol =
            bootstrap::initialize_protocol(client, &network.admin, genesis).await.expect("init");
        let mut orchestrator_args: Vec<String> = [
            "run",
            "--url",
            &services_url,
            "--ws-url",
            &network.ws_url,
            "--keypair",
            admin_file.to_str().unwrap(),
            "--api-addr",
            &format!("127.0.0.1:{api_port}"),
            "--poll-ms",
            "200",
        ]
        .map(String::from)
        .to_vec();
        if network.proxy.is_some() {
            orchestrator_args.push("--no-websocket".into());
        }
        if options.challenges.is_none() {
            orchestrator_args.push("--no-challenges".into());
        }
        // The history database: the one given, shared, or a SQLite file each.
        let database = |index: usize| match &options.database_url {
            Some(url) => ["--database-url".to_string(), url.clone()],
            None => {
                let data_dir = dir.join(format!("orchestrator-{index}"));
                ["--data-dir".to_string(), data_dir.to_string_lossy().into_owned()]
            }
        };
        // Workers upload to the first orchestrator API that takes it.
        let mut api_urls = vec![network.api_url.clone()];
        for index in 1..=options.standby_orchestrators {
            let mut args = orchestrator_args.clone();
            args.extend(database(index));
            let api = args.iter().position(|arg| arg == "--api-addr").expect("--api-addr") + 1;
            args[api] = format!("127.0.0.1:{}", free_port());
            api_urls.push(format!("http://{}", args[api]));
            network.standbys.push(Service::start("ignis-orchestrator", args, &[]));
        }
        let api_urls = api_urls.join(",");
        orchestrator_args.extend(database(0));
        network.orchestrator = Some(Service::start("ignis-orchestrator", orchestrator_args, &[]));
        for index in 0..workers {
            let operator = Keypair::new();
            let file = dir.join(format!("worker-{index}.json"));
            write_keypair_file(&operator, &file).expect("write worker key");
            bootstrap::airdrop(&network.client, &operator.pubkey(), 10 * IGN)
                .await
                .expect("airdrop");
            bootstrap::transfer_ign(
                &network.client,
                &network.protocol,
                &network.admin,
                &operator.pubkey(),
                1_000 * IGN,
            )
            .await
            .expect("fund");
            let from = token::associated_account(
                &operator.pubkey(),
                &network.protocol.mint,
                &network.protocol.token_program,
            );
            network
                .client
                .send(&[network.protocol.stake(operator.pubkey(), from, 200 * IGN)], &[&operator])
                .await
                .expect("stake");
            let journal = dir.join(format!("journal-{index}"));
            let args = [
                "run",
                "--register",
                "--backend",
                "cpu",
                "--max-jobs",
                "64",
                "--poll-ms",
                "100",
                "--url",
                &services_url,
                "--ws-url",
                &network.ws_url,
                "--keypair",
                file.to_str().unwrap(),
                "--orchestrator",
                &api_urls,
                "--journal-dir",
                journal.to_str().unwrap(),
            ];
            let mut args = args.map(String::from).to_vec();
            if let Some(hashrate) = options.worker_hashrates.get(index).copied().flatten() {
                args.extend(["--hashrate".to_string(), hashrate.to_string()]);
            }
            network.workers.push(Service::start("ignis-worker", args, &[]));
            network.operators.push(operator.pubkey());
        }
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let api = &network.api_url;
            let healthy = http
                .get(format!("{api}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            let registered = network
                .client
                .all::<ignis::state::Worker>(vec![])
                .await
                .map(|w| w.len())
                .unwrap_or(0);
            if healthy && registered == workers {
                break;
            }
            if Instant::now() >= deadline {
                // Say which part did not come up, so a failure can be acted on.
                let orchestrator_exited =
                    network.orchestrator.as_mut().is_some_and(Service::exited);
                let workers_exited =
                    network.workers.iter_mut().map(Service::exited).filter(|gone| *gone).count();
                panic!(
                    "timed out waiting for the orchestrator and every worker: orchestrator healthy {healthy} (exited: {orchestrator_exited}), {registered} of {workers} workers registered ({workers_exited} exited)"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        network
    }

    pub fn worker_count(&self) -> usize {
        self.workers.len()
    }

    /// SIGKILLs worker `index` (no cleanup, like a power cut).
    pub fn kill_worker(&mut self, index: usize) {
        self.workers[index].kill();
    }

    /// Starts worker `index` again (same key and journal), with `IGNIS_WORKER_FAULT` set
    /// to `fault` if given.
    pub fn restart_worker(&mut self, index: usize, fault: Option<&str>) {
        let env: Vec<(&str, &str)> =
            fault.map(|fault| ("IGNIS_WORKER_FAULT", fault)).into_iter().collect();
        self.workers[index].restart(&env);
    }

    pub fn worker_exited(&mut self, index: usize) -> bool {
        self.workers[index].exited()
    }

    pub fn kill_orchestrator(&mut self) {
        self.orchestrator.as_mut().expect("an orchestrator").kill();
    }

    /// SIGKILLs every orchestrator, standbys included.
    pub fn kill_every_orchestrator(&mut self) {
        self.kill_orchestrator();
        for standby in &mut self.standbys {
            standby.kill();
        }
    }

    pub fn restart_orchestrator(&mut self) {
        self.orchestrator.as_mut().expect("an orchestrator").restart(&[]);
    }

    /// Restarts the first orchestrator on another history database.
    pub fn restart_orchestrator_on(&mut self, database_url: &str) {
        let service = self.orchestrator.as_mut().expect("an orchestrator");
        let database = service
            .args
            .iter()
            .position(|arg| arg == "--database-url" || arg == "--data-dir")
            .expect("a database argument");
        service.args.splice(database..database + 2, ["--database-url".into(), database_url.into()]);
        service.restart(&[]);
    }

    /// Posts jobs `first..first + count` (ids are sequential) with `post_jobs`: the ids
    /// of each shard together, as many to an instruction as fit a transaction
    /// (`rpc::batches`), one instruction to a transaction, sent back to back and then
    /// confirmed. Returns when each job's post was sent.
    pub async fn post(
        &self,
        poster: &Keypair,
        first: u64,
        count: u64,
        job: impl Fn(u64) -> PostJobArgs,
    ) -> HashMap<u64, Instant> {
        let poster_token = token::associated_account(
            &poster.pubkey(),
            &self.protocol.mint,
            &self.protocol.token_program,
        );
        let mut jobs: Vec<PostJobArgs> = (first..first + count).map(job).collect();
        jobs.sort_by_key(|args| (ignis::state::Shard::index_of(args.job_id), args.job_id));
        let budget = self.client.compute_budget();
        let post_jobs =
            |batch: &[PostJobArgs]| self.protocol.post_jobs(poster.pubkey(), poster_token, batch);
        let mut batches: Vec<Vec<PostJobArgs>> = Vec::new();
        for shard in jobs.chunk_by(|a, b| {
            ignis::state::Shard::index_of(a.job_id) == ignis::state::Shard::index_of(b.job_id)
        }) {
            batches.extend(ignis_client::rpc::batches(
                &poster.pubkey(),
                &budget,
                shard.iter().copied(),
                post_jobs,
            ));
        }
        let mut pipeline = self.client.pipeline();
        let mut sent_at = HashMap::new();
        for batch in batches {
            let sent = Instant::now();
            pipeline.send(&[post_jobs(&batch)], &[poster]).await.expect("post jobs");
            sent_at.extend(batch.iter().map(|args| (args.job_id, sent)));
        }
        pipeline.confirm().await.expect("posts confirmed");
        sent_at
    }

    /// Waits until jobs `first..first + count` are all completed or refunded.
    pub async fn settled(&self, first: u64, count: u64, within: Duration) -> Vec<Job> {
        let client = &self.client;
        wait_for("every job to settle", within, async || {
            let jobs: Vec<Job> =
                client.all::<Job>(vec![]).await.ok()?.into_iter().map(|(_, job)| job).collect();
            let ours: Vec<Job> =
                jobs.into_iter().filter(|job| (first..first + count).contains(&job.id)).collect();
            let settled = ours
                .iter()
                .filter(|j| matches!(j.status, JobStatus::Completed | JobStatus::Refunded))
                .count();
            (settled as u64 == count).then_some(ours)
        })
        .await
    }

    /// Checks on chain that every job ever posted settled exactly once (completed with
    /// a valid proof or the right product, or refunded), that each completed replica
    /// was paid once, and that every vault and the supply reconcile.
    pub async fn audit(&self) -> Audit {
        let client = &self.client;
        // Everything the vaults reconcile against, read in one call (one bank): the
        // crank's syncs keep moving tokens between the shards and the reward vault.
        let snapshot = self.ledger_snapshot().await;
        let (config, shards) = (&snapshot.config, &snapshot.shards);
        let totals = ignis_client::accounts::ShardTotals::sum(shards);
        let jobs: Vec<Job> = client
            .all::<Job>(vec![])
            .await
            .expect("jobs")
            .into_iter()
            .map(|(_, job)| job)
            .collect();
        assert_eq!(jobs.len() as u64, totals.jobs_posted, "one account per posted job");
        let mut audit = Audit::default();
        for job in &jobs {
            match (job.status, job.kind) {
                (JobStatus::Completed, JobKind::Pow { difficulty }) => {
                    let worker = job.assignments[0].worker;
                    let hash = ignis::pow::pow_hash(&job.seed, &worker, job.pow_nonce);
                    assert!(
                        ignis::pow::meets_difficulty(&hash, difficulty),
                        "job {} paid for a valid proof",
                        job.id
                    );
                    audit.completed += 1;
                    audit.completed_replicas += 1;
                }
                (JobStatus::Completed, JobKind::Kernel { size, .. }) => {
                    let expected = ignis_kernels::matmul::result_hash(
                        &ignis_kernels::matmul::compute(&job.seed, size),
                    );
                    assert_eq!(
                        job.result_hash, expected,
                        "job {} agreed on the right product",
                        job.id
                    );
                    audit.completed += 1;
                    // Paid: the replicas that revealed the right product. Any other live
                    // replica must have a proven fault: it never committed (missed) or
                    // committed and never revealed (withheld), and was slashed for it.
                    let live = job.live_assignments();
                    let winners =
                        live.iter().filter(|a| a.revealed && a.result_hash == expected).count();
                    assert!(winners > 0, "job {} completed with nobody paid", job.id);
                    for a in live.iter().filter(|a| !(a.revealed && a.result_hash == expected)) {
                        assert!(!a.revealed, "job {}: a replica revealed a wrong product and the job still completed", job.id);
                        audit.withheld += u64::from(a.committed);
                    }
                    audit.completed_replicas += winners as u64;
                }
                (JobStatus::Completed, JobKind::Tensor { .. }) => {
                    // The root the job settled on: the tests check the output under it
                    // against a local reference. Paid are the replicas that revealed it;
                    // any other was slashed for a proven fault.
                    audit.completed += 1;
                    let live = job.live_assignments();
                    let winners = live
                        .iter()
                        .filter(|a| a.revealed && a.result_hash == job.result_hash)
                        .count();
                    assert!(winners > 0, "job {} completed with nobody paid", job.id);
                    audit.completed_replicas += winners as u64;
                }
                (JobStatus::Refunded, _) => audit.refunded += 1,
                other => panic!("job {} ended as {other:?}", job.id),
            }
        }
        assert_eq!(totals.jobs_completed, audit.completed, "each job completed once");
        assert_eq!(totals.jobs_refunded, audit.refunded, "each job refunded once");
        assert_eq!(totals.escrowed, 0, "no escrow is left behind");
        for (shard, balance) in shards.iter().zip(&snapshot.shard_vaults) {
            assert_eq!(
                *balance,
                shard.vault_owes().unwrap(),
                "shard {}'s vault reconciles",
                shard.index
            );
        }
        let workers = client.all::<ignis::state::Worker>(vec![]).await.expect("workers");
        let (mut paid_replicas, mut earned) = (0, 0);
        for (_, worker) in &workers {
            assert_eq!(worker.active_jobs, 0, "no worker holds a settled job");
            paid_replicas += worker.jobs_completed;
            earned += worker.earned_total;
        }
        assert_eq!(paid_replicas, audit.completed_replicas, "one payment per completed replica");
        // Workers earn their share of rewards plus pay for verified work from the pool.
        assert_eq!(
            earned,
            totals.paid_to_workers + totals.work_paid,
            "workers earned what was paid out"
        );
        let staking = &config.totals;
        assert_eq!(
            snapshot.stake_vault,
            staking.staked + staking.unbonding + staking.activating,
            "the stake vault reconciles"
        );
        let rewards = &config.rewards;
        let stakes = client.all::<ignis::state::Stake>(vec![]).await.expect("stakes");
        let claimed: u64 = stakes.iter().map(|(_, s)| s.claimed_total).sum();
        assert_eq!(
            snapshot.reward_vault,
            rewards.minted + staking.fees + staking.slashed
                - rewards.work_allotted
                - rewards.claimed_closed
                - claimed,
            "the reward vault reconciles"
        );
        assert_eq!(
            snapshot.supply,
            config.genesis_supply + rewards.minted,
            "supply is genesis plus emission"
        );
        audit.slashed = config.totals.slashed;
        audit
    }

    /// A poster funded with SOL and `ign` IGN.
    pub async fn poster(&self, ign: u64) -> Keypair {
        let poster = Keypair::new();
        bootstrap::airdrop(&self.client, &poster.pubkey(), 100 * IGN).await.expect("airdrop");
        bootstrap::transfer_ign(
            &self.client,
            &self.protocol,
            &self.admin,
            &poster.pubkey(),
            ign * IGN,
        )
        .await
        .expect("fund");
        poster
    }

    /// The config, the shards and every vault's balance and the supply, from one
    /// `getMultipleAccounts` (so from one moment).
    pub async fn ledger_snapshot(&self) -> LedgerSnapshot {
        let shards = 0..ignis::constants::SHARDS;
        let mut keys =
            vec![pda::config(), pda::stake_vault(), pda::reward_vault(), self.protocol.mint];
        keys.extend(shards.clone().map(pda::shard));
        keys.extend(shards.map(pda::shard_vault));
        let rpc = self.client.rpc();
        let accounts = rpc
            .get_multiple_accounts_with_commitment(&keys, rpc.commitment())
            .await
            .expect("getMultipleAccounts")
            .value;
        let data = |i: usize| accounts[i].as_ref().map(|a| a.data.clone()).unwrap_or_default();
        let balance = |i: usize| token::balance_of(&data(i)).unwrap_or(0);
        let n = usize::from(ignis::constants::SHARDS);
        let mint = data(3);
        LedgerSnapshot {
            config: ignis_client::accounts::decode(&data(0)).expect("config"),
            stake_vault: balance(1),
            reward_vault: balance(2),
            supply: u64::from_le_bytes(mint[36..44].try_into().expect("a mint")),
            shards: (0..n)
                .map(|i| ignis_client::accounts::decode(&data(4 + i)).expect("shard"))
                .collect(),
            shard_vaults: (0..n).map(|i| balance(4 + n + i)).collect(),
        }
    }

    pub async fn balance(&self, account: &Pubkey) -> u64 {
        self.client
            .account_data(account)
            .await
            .unwrap()
            .as_deref()
            .and_then(token::balance_of)
            .unwrap_or(0)
    }
}

/// The ledger at one moment: see [`Network::ledger_snapshot`].
pub struct LedgerSnapshot {
    pub config: ignis::state::Config,
    pub stake_vault: u64,
    pub reward_vault: u64,
    pub supply: u64,
    pub shards: Vec<ignis::state::Shard>,
    pub shard_vaults: Vec<u64>,
}

/// What `Network::audit` counted.
#[derive(Debug, Default)]
pub struct Audit {
    pub completed: u64,
    pub refunded: u64,
    pub completed_replicas: u64,
    /// Replicas of completed jobs that committed and never revealed (slashed).
    pub withheld: u64,
    pub slashed: u64,
}

impl std::fmt::Display for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} completed and {} refunded, each exactly once; {} replicas paid once; {} committed and never revealed; {} base units slashed; vaults and supply reconcile",
            self.completed, self.refunded, self.completed_replicas, self.withheld, self.slashed
        )
    }
}
