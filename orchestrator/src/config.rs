//! Settings, from flags or environment variables.

use std::{net::SocketAddr, time::Duration};

use clap::Args;

use crate::blobs::BlobLimits;

#[derive(Args, Clone, Debug)]
pub struct Config {
    /// JSON-RPC endpoint of the cluster.
    #[arg(long, env = "IGNIS_URL", default_value = "http://127.0.0.1:8899")]
    pub url: String,

    /// Websocket endpoint for account subscriptions [default: --url with ws:// and port + 1].
    #[arg(long, env = "IGNIS_WS_URL")]
    pub ws_url: Option<String>,

    /// Orchestrator (and verifier) keypair, Solana CLI JSON format.
    #[arg(long, env = "IGNIS_KEYPAIR", default_value = "~/.config/solana/id.json")]
    pub keypair: String,
    #[command(flatten)]
    pub budget: ignis_client::rpc::ComputeBudget,
    #[command(flatten)]
    pub preflight: ignis_client::rpc::Preflight,

    /// Where the HTTP API and /metrics listen (port 0 picks a free one).
    #[arg(long, env = "IGNIS_API_ADDR", default_value = "127.0.0.1:8080")]
    pub api_addr: SocketAddr,

    /// How often to poll the chain when the websocket is down, and to run the crank.
    #[arg(long, env = "IGNIS_POLL_MS", default_value_t = 1_000)]
    pub poll_ms: u64,

    /// How often to re-read every account even while the websocket is up (safety net).
    #[arg(long, env = "IGNIS_RESYNC_MS", default_value_t = 5_000)]
    pub resync_ms: u64,

    /// Follow accounts by polling only, never the websocket.
    #[arg(long, env = "IGNIS_NO_WEBSOCKET")]
    pub no_websocket: bool,

    /// Do not crank capacity challenges (`challenge_worker` is permissionless: another
    /// crank may); for benchmarks and tests that measure jobs alone.
    #[arg(long, env = "IGNIS_NO_CHALLENGES")]
    pub no_challenges: bool,

    /// Do not read the program's transactions since the last scan at start (jobs that
    /// closed while no orchestrator ran are then missing from the history).
    #[arg(long, env = "IGNIS_NO_HISTORY_SCAN")]
    pub no_history_scan: bool,

    /// The job history database: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`
    /// (which several orchestrators may share) [default: a SQLite file in --data-dir,
    /// one per deployment].
    #[arg(long, env = "IGNIS_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Where the orchestrator keeps its files (the default history database).
    #[arg(long, env = "IGNIS_DATA_DIR", default_value = "~/.local/share/ignis")]
    pub data_dir: String,

    /// Where blobs (job inputs, models, outputs) are stored: `file:///DIR` or
    /// `s3://BUCKET[/PREFIX]`, configured by the AWS_* environment variables
    /// (AWS_ENDPOINT for an S3-compatible server) [default: a directory in --data-dir,
    /// one per deployment].
    #[arg(long, env = "IGNIS_BLOB_STORE")]
    pub blob_store: Option<String>,

    /// Largest blob accepted, in bytes.
    #[arg(long, env = "IGNIS_BLOB_MAX_BYTES", default_value_t = BlobLimits::default().max_blob_bytes)]
    pub blob_max_bytes: u64,

    /// Most bytes one key may store.
    #[arg(long, env = "IGNIS_BLOB_QUOTA_BYTES", default_value_t = BlobLimits::default().quota_bytes)]
    pub blob_quota_bytes: u64,

    /// Upload chunk size in bytes (an interrupted upload resumes at chunk boundaries).
    #[arg(long, env = "IGNIS_BLOB_CHUNK_BYTES", default_value_t = BlobLimits::default().chunk_bytes)]
    pub blob_chunk_bytes: u64,

    /// How often to send the on-chain heartbeat that keeps workers from claiming jobs
    /// themselves (they do after the program's `orchestrator_timeout_seconds`).
    #[arg(long, env = "IGNIS_HEARTBEAT_MS", default_value_t = 3_000)]
    pub heartbeat_ms: u64,

    /// Largest matmul size the verifier recomputes itself when no output was uploaded.
    #[arg(long, env = "IGNIS_VERIFY_RECOMPUTE_MAX_N", default_value_t = 512)]
    pub verify_recompute_max_n: u32,

    /// Tensor jobs (gemm-i8, mlp-i8) with at most this many multiply-adds are recomputed
    /// by the verifier when a revealed result has no upload.
    #[arg(long, env = "IGNIS_VERIFY_RECOMPUTE_MAX_MACS", default_value_t = 1 << 32)]
    pub verify_recompute_max_macs: u64,

    /// Rows of an uploaded mlp-i8 output the verifier opens and recomputes (besides
    /// every row where replicas disagree): one wrong row of N escapes with
    /// probability 1 - rows/N.
    #[arg(long, env = "IGNIS_VERIFY_SAMPLE_ROWS", default_value_t = 64)]
    pub verify_sample_rows: usize,

    /// Rounds of Freivalds' test on an uploaded output (false-accept chance 2^-rounds).
    #[arg(long, env = "IGNIS_FREIVALDS_ROUNDS", default_value_t = 20)]
    pub freivalds_rounds: u32,
    /// Keys, derived from the orchestrator's, that pay its transactions' fees in turn:
    /// a fee payer is written by every transaction it pays, so one payer would cap the
    /// network's assignments at one account's limit. Topped up from the orchestrator
    /// key. 0: the orchestrator key pays.
    #[arg(long, env = "IGNIS_FEE_PAYERS", default_value_t = 8)]
    pub fee_payers: usize,
}

impl Config {
    /// Defaults for a local network, for embedding (`ignis up`, tests).
    pub fn local(url: impl Into<String>, keypair: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            ws_url: None,
            keypair: keypair.into(),
            budget: Default::default(),
            preflight: Default::default(),
            api_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            poll_ms: 1_000,
            resync_ms: 5_000,
            no_websocket: false,
            no_challenges: false,
            no_history_scan: false,
            database_url: None,
            blob_store: None,
            blob_max_bytes: BlobLimits::default().max_blob_bytes,
            blob_quota_bytes: BlobLimits::default().quota_bytes,
            blob_chunk_bytes: BlobLimits::default().chunk_bytes,
            data_dir: "~/.local/share/ignis".into(),
            heartbeat_ms: 3_000,
            verify_recompute_max_n: 512,
            verify_recompute_max_macs: 1 << 32,
            verify_sample_rows: 64,
            freivalds_rounds: 20,
            fee_payers: 8,
        }
    }

    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.max(100))
    }

    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_ms.max(10))
    }

    pub fn resync_interval(&self) -> Duration {
        Duration::from_millis(self.resync_ms.max(100))
    }

    /// The websocket URL: given, or the RPC URL with ws(s):// and the port plus one
    /// (the Solana convention, which the localnet follows).
    pub fn ws_url(&self) -> String {
        if let Some(url) = &self.ws_url {
            return url.clone();
        }
        ignis_client::rpc::websocket_url(&self.url)
    }

    /// The history database's URL: given, or a SQLite file in the data directory named
    /// by the deployment's IGN mint, so each deployment (a fresh localnet is a new one)
    /// has its own.
    pub fn database_url(&self, mint: &anchor_lang::prelude::Pubkey) -> String {
        if let Some(url) = &self.database_url {
            return url.clone();
        }
        let dir = ignis_client::process::expand_home(&self.data_dir);
        format!("sqlite://{}/history-{mint}.sqlite", dir.trim_end_matches('/'))
    }

    /// The blob store's URL: given, or a directory in the data directory named by the
    /// deployment's IGN mint (like the default history database, whose records it needs).
    pub fn blob_store_url(&self, mint: &anchor_lang::prelude::Pubkey) -> String {
        if let Some(url) = &self.blob_store {
            return url.clone();
        }
        let dir = ignis_client::process::expand_home(&self.data_dir);
        let dir = std::path::absolute(&dir).unwrap_or_else(|_| dir.into());
        format!("file://{}/blobs-{mint}", dir.display().to_string().trim_end_matches('/'))
    }

    pub fn blob_limits(&self) -> BlobLimits {
        BlobLimits {
            max_blob_bytes: self.blob_max_bytes,
            quota_bytes: self.blob_quota_bytes,
            // Below 64 KiB an upload is mostly request overhead.
            chunk_bytes: self.blob_chunk_bytes.max(64 << 10),
        }
    }

    pub fn keypair_path(&self) -> String {
        ignis_client::process::expand_home(&self.keypair)
    }
}
