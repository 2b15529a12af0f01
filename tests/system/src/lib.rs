//! The network as separate processes, for the system test and `ignis-bench`:
//! `ignis-localnet`, `ignis-orchestrator` and N `ignis-worker`s, started from the same
//! target directory as the caller, and killed when dropped.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use ignis::state::{EmissionSchedule, Params};
use ignis_client::{
    bootstrap::{self, Genesis},
    instructions::Protocol,
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
    assert!(path.exists(), "{} is missing: build the binaries first (`cargo b`, which scripts/test runs)", path.display());
    path
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
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

pub async fn wait_for<T>(what: &str, within: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub struct Network {
    pub client: IgnisClient,
    pub protocol: Protocol,
    pub admin: Keypair,
    pub rpc_url: String,
    pub api_url: String,
    pub operators: Vec<Pubkey>,
    processes: Vec<Child>,
}

impl Drop for Network {
    fn drop(&mut self) {
        for child in &mut self.processes {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Network {
    /// Localnet (50 ms slots), protocol, orchestrator, and `workers` staked CPU workers
    /// that register themselves; returns once all are up.
    pub async fn start(workers: usize, dir: &Path) -> Network {
        let (rpc_port, api_port) = (free_port(), free_port());
        let rpc_url = format!("http://127.0.0.1:{rpc_port}");
        let localnet = spawn(
            "ignis-localnet",
            &["--rpc-port", &rpc_port.to_string(), "--ws-port", &(rpc_port + 1).to_string(), "--slot-time-ms", "50"],
        );
        let client = IgnisClient::new(&rpc_url);
        let mut network = Network {
            client,
            protocol: Protocol::new(Pubkey::default(), token::TOKEN_PROGRAM_ID),
            admin: Keypair::new(),
            rpc_url: rpc_url.clone(),
            api_url: format!("http://127.0.0.1:{api_port}"),
            operators: vec![],
            processes: vec![localnet],
        };
        let client = &network.client;
        wait_for("the localnet", Duration::from_secs(60), async || client.rpc().get_slot().await.ok()).await;
        let admin_file = dir.join("admin.json");
        write_keypair_file(&network.admin, &admin_file).expect("write admin key");
        bootstrap::airdrop(client, &network.admin.pubkey(), 1_000 * IGN).await.expect("airdrop");
        let genesis = Genesis {
            decimals: 9,
            supply: 10_000_000 * IGN,
            token_program: token::TOKEN_PROGRAM_ID,
            orchestrator: network.admin.pubkey(),
            verifier: network.admin.pubkey(),
            params: Params::default(),
            emission: EmissionSchedule::default(),
        };
        network.protocol = bootstrap::initialize_protocol(client, &network.admin, genesis).await.expect("init");
        network.processes.push(spawn(
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
        for index in 0..workers {
            let operator = Keypair::new();
            let file = dir.join(format!("worker-{index}.json"));
            write_keypair_file(&operator, &file).expect("write worker key");
            bootstrap::airdrop(&network.client, &operator.pubkey(), 10 * IGN).await.expect("airdrop");
            bootstrap::transfer_ign(&network.client, &network.protocol, &network.admin, &operator.pubkey(), 1_000 * IGN)
                .await
                .expect("fund");
            let from = token::associated_account(&operator.pubkey(), &network.protocol.mint, &network.protocol.token_program);
            network
                .client
                .send(&[network.protocol.stake(operator.pubkey(), from, 200 * IGN)], &[&operator])
                .await
                .expect("stake");
            let journal = dir.join(format!("journal-{index}"));
            network.processes.push(spawn(
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
                    &network.api_url,
                    "--journal-dir",
                    journal.to_str().unwrap(),
                ],
            ));
            network.operators.push(operator.pubkey());
        }
        let http = reqwest::Client::new();
        let (client, api) = (&network.client, &network.api_url);
        wait_for("the orchestrator and every worker", Duration::from_secs(120), async || {
            let healthy = http.get(format!("{api}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
            let registered = client.all::<ignis::state::Worker>(vec![]).await.map(|w| w.len()).unwrap_or(0);
            (healthy && registered == workers).then_some(())
        })
        .await;
        network
    }

    /// A poster funded with SOL and `ign` IGN.
    pub async fn poster(&self, ign: u64) -> Keypair {
        let poster = Keypair::new();
        bootstrap::airdrop(&self.client, &poster.pubkey(), 100 * IGN).await.expect("airdrop");
        bootstrap::transfer_ign(&self.client, &self.protocol, &self.admin, &poster.pubkey(), ign * IGN).await.expect("fund");
        poster
    }

    pub async fn balance(&self, account: &Pubkey) -> u64 {
        self.client.account_data(account).await.unwrap().as_deref().and_then(token::balance_of).unwrap_or(0)
    }
}
