//! The worker binary against a real localnet: it finds its assigned jobs, runs them
//! and is paid; killed right after finding a nonce (or after committing a kernel
//! result) and restarted, it completes the job exactly once from its journal.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use ignis::{
    instructions::PostJobArgs,
    state::{Job, JobKind, JobStatus},
};
use ignis_client::{
    bootstrap::{self},
    instructions::{self},
    token,
};
use ignis_test_support::{TestNet, IGN};
use solana_keypair::{write_keypair_file, Keypair};
use solana_signer::Signer;

/// The shared test network (`ignis-test-support`) and this file's scenarios on it.
struct Net(TestNet);

impl std::ops::Deref for Net {
    type Target = TestNet;

    fn deref(&self) -> &TestNet {
        &self.0
    }
}

impl Net {
    async fn start() -> Net {
        Net(TestNet::start(50, 0).await)
    }

    /// A staked operator whose worker is registered by the worker binary itself.
    async fn operator(&self, name: &str) -> (Keypair, PathBuf) {
        let operator = Keypair::new();
        bootstrap::airdrop(&self.client, &operator.pubkey(), 10 * IGN).await.unwrap();
        self.stake(&operator, 200 * IGN).await;
        let file = self.keypair_file(&operator, name);
        (operator, file)
    }

    fn worker(&self, keypair: &Path, journal: &Path, fault: Option<&str>) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ignis-worker"));
        command
            .args(["run", "--register", "--backend", "cpu", "--poll-ms", "100"])
            .args(["--url", &self.localnet.rpc_url(), "--keypair", keypair.to_str().unwrap()])
            .arg("--journal-dir")
            .arg(journal)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(fault) = fault {
            command.env("IGNIS_WORKER_FAULT", fault);
        }
        command.spawn().expect("worker starts")
    }

    async fn wait_registered(&self, operator: &Pubkey) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.client.worker(operator).await.unwrap().is_none() {
            assert!(Instant::now() < deadline, "the worker never registered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Posts a job from the admin and assigns it (the admin is the orchestrator here).
    /// Returns the job id (ids are sequential: the jobs posted so far).
    async fn post_and_assign(&self, kind: JobKind, reward: u64, operator: &Pubkey) -> u64 {
        let id = self.client.shard_totals().await.unwrap().jobs_posted;
        let poster_token = token::associated_account(
            &self.admin.pubkey(),
            &self.protocol.mint,
            &self.protocol.token_program,
        );
        let args = PostJobArgs {
            job_id: id,
            kind,
            client_seed: [7; 32],
            reward,
            replicas: 1,
            execution_seconds: 600,
            ttl_seconds: 3600,
        };
        let post = self.protocol.post_job(self.admin.pubkey(), poster_token, args);
        let assign = instructions::assign_job(self.admin.pubkey(), id, *operator);
        self.client.send(&[post, assign], &[&*self.admin]).await.unwrap();
        id
    }

    async fn job(&self, id: u64) -> Job {
        self.client.job(id).await.unwrap().expect("job exists")
    }

    async fn wait_status(&self, id: u64, status: JobStatus, within: Duration) -> Job {
        let deadline = Instant::now() + within;
        loop {
            let job = self.job(id).await;
            if job.status == status {
                return job;
            }
            assert!(Instant::now() < deadline, "job {id} is {:?}, expected {status:?}", job.status);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the worker did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(mut child: Child) {
    // SIGTERM: the graceful path.
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let status = wait_exit(&mut child, Duration::from_secs(30));
    assert!(status.success(), "the worker exits cleanly on SIGTERM: {status}");
}

fn journal_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn pow_and_kernel_jobs_are_run_and_paid() {
    let net = Net::start().await;
    let (operator, keypair) = net.operator("op").await;
    let journal = net.dir.path().join("journal");
    let worker = net.worker(&keypair, &journal, None);
    net.wait_registered(&operator.pubkey()).await;
    let registered = net.client.worker(&operator.pubkey()).await.unwrap().unwrap();
    assert!(registered.settings.hashrate > 0, "registration measured the hashrate");
    assert_eq!(registered.settings.gpu.compute_capability, 0, "a CPU worker says so");

    let before = net.balance(&operator.pubkey()).await;
    let id =
        net.post_and_assign(JobKind::Pow { difficulty: 12 }, 5 * IGN, &operator.pubkey()).await;
    let job = net.wait_status(id, JobStatus::Completed, Duration::from_secs(60)).await;
    assert!(ignis::pow::meets_difficulty(
        &ignis::pow::pow_hash(
            &job.seed,
            &ignis_client::pda::worker(&operator.pubkey()),
            job.pow_nonce
        ),
        12
    ));
    assert!(net.balance(&operator.pubkey()).await > before, "the worker was paid");

    // A single-replica kernel job: committed, revealed, then in its challenge window.
    let id = net
        .post_and_assign(JobKind::Kernel { kernel: 1, size: 64 }, 5 * IGN, &operator.pubkey())
        .await;
    let job = net.wait_status(id, JobStatus::Challenge, Duration::from_secs(60)).await;
    let expected =
        ignis_kernels::matmul::result_hash(&ignis_kernels::matmul::compute(&job.seed, 64));
    assert_eq!(
        job.assignments[0].result_hash, expected,
        "the revealed result is the product's hash"
    );
    stop(worker);
    assert!(
        journal_files(&journal).is_empty(),
        "finished jobs leave no journal: {:?}",
        journal_files(&journal)
    );
    net.0.localnet.shutdown().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_after_finding_a_nonce_submits_it_once_after_restart() {
    let net = Net::start().await;
    let (operator, keypair) = net.operator("op").await;
    let journal = net.dir.path().join("journal");
    let mut crashing = net.worker(&keypair, &journal, Some("after-nonce-found"));
    net.wait_registered(&operator.pubkey()).await;
    let id =
        net.post_and_assign(JobKind::Pow { difficulty: 14 }, 5 * IGN, &operator.pubkey()).await;

    let status = wait_exit(&mut crashing, Duration::from_secs(60));
    assert!(!status.success(), "the injected fault aborts the worker");
    // The nonce is on disk and nothing reached the chain.
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(journal.join(format!("job-{id}.json"))).unwrap())
            .unwrap();
    assert_eq!(saved["progress"]["state"], "found");
    let nonce = saved["progress"]["nonce"].as_u64().unwrap();
    assert_eq!(net.job(id).await.status, JobStatus::Running);
    let before = net.balance(&operator.pubkey()).await;

    let worker = net.worker(&keypair, &journal, None);
    let job = net.wait_status(id, JobStatus::Completed, Duration::from_secs(60)).await;
    assert_eq!(
        job.pow_nonce, nonce,
        "the restart submitted the journaled nonce instead of searching again"
    );
    let paid = net.balance(&operator.pubkey()).await - before;
    assert!(paid > 0);
    // Give a double submission every chance to happen, then check it did not.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stats = net.client.worker(&operator.pubkey()).await.unwrap().unwrap();
    assert_eq!(stats.jobs_completed, 1);
    assert_eq!(stats.active_jobs, 0);
    assert_eq!(net.balance(&operator.pubkey()).await - before, paid, "paid exactly once");
    stop(worker);
    assert!(journal_files(&journal).is_empty());
    net.0.localnet.shutdown().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_between_commit_and_reveal_reveals_after_restart() {
    let net = Net::start().await;
    let (operator, keypair) = net.operator("op").await;
    let journal = net.dir.path().join("journal");
    let mut crashing = net.worker(&keypair, &journal, Some("after-commit"));
    net.wait_registered(&operator.pubkey()).await;
    let id = net
        .post_and_assign(JobKind::Kernel { kernel: 1, size: 40 }, 5 * IGN, &operator.pubkey())
        .await;
    assert!(!wait_exit(&mut crashing, Duration::from_secs(60)).success());
    let job = net.job(id).await;
    assert!(job.assignments[0].committed && !job.assignments[0].revealed);

    let worker = net.worker(&keypair, &journal, None);
    let job = net.wait_status(id, JobStatus::Challenge, Duration::from_secs(60)).await;
    let expected =
        ignis_kernels::matmul::result_hash(&ignis_kernels::matmul::compute(&job.seed, 40));
    assert_eq!(job.assignments[0].result_hash, expected);
    stop(worker);
    net.0.localnet.shutdown().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unregistered_operator_gets_an_error_that_says_what_to_do() {
    let net = Net::start().await;
    let operator = Keypair::new();
    let file = net.dir.path().join("nobody.json");
    write_keypair_file(&operator, &file).unwrap();
    bootstrap::airdrop(&net.client, &operator.pubkey(), IGN).await.unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ignis-worker"))
        .args([
            "run",
            "--backend",
            "cpu",
            "--url",
            &net.localnet.rpc_url(),
            "--keypair",
            file.to_str().unwrap(),
        ])
        .arg("--journal-dir")
        .arg(net.dir.path().join("j"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("has no registered worker") && stderr.contains("ignis worker register"),
        "{stderr}"
    );

    // --register without stake: told to stake first.
    let out = Command::new(env!("CARGO_BIN_EXE_ignis-worker"))
        .args([
            "run",
            "--register",
            "--backend",
            "cpu",
            "--url",
            &net.localnet.rpc_url(),
            "--keypair",
            file.to_str().unwrap(),
        ])
        .arg("--journal-dir")
        .arg(net.dir.path().join("j"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("ignis stake"), "{stderr}");
    net.0.localnet.shutdown().unwrap();
}

#[test]
fn an_unreachable_cluster_is_reported_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.json");
    write_keypair_file(&Keypair::new(), &file).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ignis-worker"))
        .args([
            "run",
            "--backend",
            "cpu",
            "--url",
            "http://127.0.0.1:9",
            "--keypair",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("cargo localnet"), "{stderr}");
}
