//! Command-line flags (each also an environment variable).

use std::{path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};
use ignis_kernels::BackendChoice;

#[derive(Parser, Debug)]
#[command(
    name = "ignis-worker",
    version,
    about = "Runs Ignis compute jobs on this machine's GPU (or CPU) and submits the proofs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Find the jobs assigned to this worker, run them, submit the results.
    Run(RunConfig),
    /// Measure hashrate and matmul throughput on every available backend.
    Bench(BenchConfig),
}

#[derive(Args, Debug, Clone)]
pub struct RunConfig {
    /// JSON-RPC URL of the cluster (the localnet by default).
    #[arg(long, env = "IGNIS_URL", default_value = "http://127.0.0.1:8899")]
    pub url: String,
    /// The cluster's websocket, which pushes newly assigned jobs (default: the RPC URL
    /// with ws:// and the port plus one).
    #[arg(long, env = "IGNIS_WS_URL")]
    pub ws_url: Option<String>,
    /// The operator keypair (Solana CLI JSON format) that registered the worker.
    #[arg(long, env = "IGNIS_KEYPAIR", default_value = "~/.config/solana/id.json")]
    pub keypair: String,
    #[command(flatten)]
    pub budget: ignis_client::rpc::ComputeBudget,
    #[command(flatten)]
    pub preflight: ignis_client::rpc::Preflight,
    /// The orchestrators' APIs, where single-replica kernel outputs are uploaded for
    /// verification: repeat the flag (or separate with commas) for standbys; the
    /// first that takes the upload is enough.
    #[arg(long, env = "IGNIS_ORCHESTRATOR", value_delimiter = ',')]
    pub orchestrator: Vec<String>,
    /// auto: CUDA when a GPU is usable, else the CPU.
    #[arg(long, env = "IGNIS_BACKEND", default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Where found nonces and result salts are kept across restarts
    /// (default: ~/.local/share/ignis/worker-<operator>).
    #[arg(long, env = "IGNIS_JOURNAL_DIR")]
    pub journal_dir: Option<PathBuf>,
    /// How often to look for newly assigned jobs, in milliseconds.
    #[arg(long, env = "IGNIS_POLL_MS", default_value_t = 250)]
    pub poll_ms: u64,
    /// Register this operator's worker with the detected device when it has none
    /// (the operator must have staked the minimum first).
    #[arg(long)]
    pub register: bool,
    /// With --register: the smallest reward per replica accepted, in IGN base units.
    #[arg(long, default_value_t = 0)]
    pub min_price: u64,
    /// With --register: jobs run at once.
    #[arg(long, default_value_t = 16)]
    pub max_jobs: u16,
    /// With --register: the hashrate to publish, in H/s, instead of measuring it.
    /// Capacity challenges check it: a claim the worker cannot prove is cut to what it
    /// proves.
    #[arg(long)]
    pub hashrate: Option<u64>,
}

impl RunConfig {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_ms.max(10))
    }

    pub fn ws_url(&self) -> String {
        self.ws_url.clone().unwrap_or_else(|| ignis_client::rpc::websocket_url(&self.url))
    }

    /// A config for the given cluster and keypair file with every other flag at its
    /// default (for embedding, e.g. `ignis up`).
    pub fn new(url: impl Into<String>, keypair: impl Into<String>) -> Self {
        RunConfig {
            url: url.into(),
            keypair: keypair.into(),
            budget: Default::default(),
            preflight: Default::default(),
            ws_url: None,
            orchestrator: vec![],
            backend: BackendChoice::Auto,
            journal_dir: None,
            poll_ms: 250,
            register: false,
            min_price: 0,
            max_jobs: 16,
            hashrate: None,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct BenchConfig {
    /// Backends to measure: auto measures the CPU and, when present, CUDA.
    #[arg(long, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// Matrix size for the CPU matmul figure (the GPU uses 8x this).
    #[arg(long, default_value_t = 512)]
    pub matmul_n: u32,
}
