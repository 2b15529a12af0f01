//! The command line, as clap parses it.

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// The localnet `ignis-localnet` and `ignis up` serve by default.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8899";

#[derive(Parser)]
#[command(
    name = "ignis",
    version,
    about = "Stake IGN, register GPU workers, post compute jobs and claim rewards on Ignis"
)]
pub struct Cli {
    /// JSON-RPC URL of the cluster.
    #[arg(long, short = 'u', global = true, env = "IGNIS_URL", default_value = DEFAULT_URL)]
    pub url: String,
    /// Signer keypair file (Solana CLI format).
    #[arg(
        long,
        short = 'k',
        global = true,
        env = "IGNIS_KEYPAIR",
        default_value = "~/.config/solana/id.json"
    )]
    pub keypair: String,
    /// Output for people (text) or programs (json).
    #[arg(long, short = 'o', global = true, value_enum, default_value = "text")]
    pub output: Format,
    #[command(flatten)]
    pub budget: ignis_client::rpc::ComputeBudget,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Deploy-time setup of the protocol (the signer becomes admin).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Bond IGN: it earns rewards and lets your worker take jobs.
    Stake { amount: String },
    /// Start unbonding IGN; withdraw it after the unbonding period.
    Unstake { amount: String },
    /// Close your empty stake account (nothing staked, unbonding or to claim; worker
    /// deregistered) and take its rent back.
    CloseStake,
    /// Take back IGN whose unbonding period has ended.
    Withdraw,
    /// Your GPU worker: register, update, deregister, show.
    #[command(subcommand)]
    Worker(WorkerCommand),
    /// Compute jobs: post, show, list, cancel, refund, close, decline.
    #[command(subcommand)]
    Job(JobCommand),
    /// Staking rewards: see what you earned, claim it.
    #[command(subcommand)]
    Rewards(RewardsCommand),
    /// The data plane: store files (job inputs, models) by their SHA-256, fetch them
    /// back checked, list yours. Requests are signed with --keypair.
    Blob(BlobArgs),
    /// A summary of the network: workers, jobs, stake, emission.
    Status,
    /// Create a new keypair at --keypair's path (Solana CLI format).
    Keygen {
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Run the whole network on this machine: localnet, protocol, orchestrator,
    /// workers, web app and a funded demo wallet. Ctrl-C stops it.
    Up(UpArgs),
    /// Request SOL for fees (localnet only).
    Airdrop {
        /// SOL to request.
        #[arg(default_value = "10")]
        sol: f64,
        /// Recipient (default: the signer).
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Args)]
pub struct BlobArgs {
    /// The orchestrator's HTTP API, which serves the data plane.
    #[arg(long, env = "IGNIS_API_URL", default_value = "http://127.0.0.1:8080")]
    pub api: String,
    #[command(subcommand)]
    pub command: BlobCommand,
}

#[derive(Subcommand)]
pub enum BlobCommand {
    /// Upload files (resumable: run it again after an interruption); prints each hash.
    Put {
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Download a blob, checked against its hash before it is written.
    Get {
        sha256: String,
        /// Where to write it.
        #[arg(long = "out", short = 'O')]
        out: std::path::PathBuf,
    },
    /// The blobs you stored.
    Ls,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create the IGN mint, hand its authority to the protocol, and initialise the
    /// config and vaults with the default parameters.
    Init {
        #[arg(long, default_value_t = 9)]
        decimals: u8,
        /// IGN minted to the admin before the protocol takes over the mint.
        #[arg(long, default_value = "1000000")]
        genesis_supply: String,
        /// Key allowed to assign jobs (default: the admin).
        #[arg(long)]
        orchestrator: Option<String>,
        /// Key allowed to attest or dispute results (default: the admin).
        #[arg(long)]
        verifier: Option<String>,
        /// Use the Token-2022 program for IGN.
        #[arg(long)]
        token_2022: bool,
    },
    /// Send IGN from the signer to someone (e.g. to fund a test user).
    Transfer { to: String, amount: String },
}

#[derive(Args, Clone, Default)]
pub struct WorkerFlags {
    /// GPU model, e.g. "NVIDIA H100 80GB HBM3" (or "cpu").
    #[arg(long)]
    pub gpu: Option<String>,
    /// Device memory in MiB.
    #[arg(long)]
    pub vram_mb: Option<u32>,
    /// Compute capability times ten (9.0 -> 90; 0 for CPU).
    #[arg(long)]
    pub compute_capability: Option<u16>,
    /// Kernels this worker runs: comma separated from pow-sha256, matmul-u32.
    #[arg(long, value_delimiter = ',')]
    pub kernels: Option<Vec<String>>,
    /// Measured SHA-256 hashrate, hashes per second.
    #[arg(long)]
    pub hashrate: Option<u64>,
    /// Smallest reward per replica you accept, in IGN.
    #[arg(long)]
    pub min_price: Option<String>,
    /// Most jobs at once.
    #[arg(long)]
    pub max_jobs: Option<u16>,
    /// Stop (false) or resume (true) taking new jobs.
    #[arg(long)]
    pub accepting: Option<bool>,
}

#[derive(Subcommand)]
pub enum WorkerCommand {
    /// Register your worker (needs the minimum stake).
    Register(WorkerFlags),
    /// Change your worker's settings; unspecified ones stay.
    Update(WorkerFlags),
    /// Take your worker out of matching (no active jobs); its record stays.
    Deregister,
    /// Close your deregistered worker for its rent (only with a clean record: no
    /// missed, disputed or slashed job).
    Close,
    /// Show a worker (default: yours).
    Show { operator: Option<String> },
}

#[derive(Subcommand)]
pub enum JobCommand {
    /// Post a job; its reward is escrowed until paid or refunded.
    Post {
        /// A proof-of-work job of this difficulty (leading zero bits).
        #[arg(long, conflicts_with_all = ["matmul", "kernel"], required_unless_present_any = ["matmul", "kernel"])]
        pow: Option<u8>,
        /// A matmul-u32 job of this size n (n x n).
        #[arg(long, conflicts_with = "kernel")]
        matmul: Option<u32>,
        /// A kernel on your data: gemm-i8 (--input A.npy --input B.npy) or mlp-i8
        /// (--model model.safetensors --input batch.npy). The files are checked here,
        /// uploaded to the data plane, then the job is posted.
        #[arg(long)]
        kernel: Option<String>,
        /// An input file (.npy, int8): A then B for gemm-i8, the batch for mlp-i8.
        #[arg(long = "input")]
        inputs: Vec<std::path::PathBuf>,
        /// The model for mlp-i8 (.safetensors, as examples/digits/train.py writes it).
        #[arg(long)]
        model: Option<std::path::PathBuf>,
        /// The orchestrator's HTTP API, whose data plane takes the files.
        #[arg(long, env = "IGNIS_API_URL", default_value = "http://127.0.0.1:8080")]
        api: String,
        /// Replicas for a kernel job (1 to 3).
        #[arg(long, default_value_t = 1)]
        replicas: u8,
        /// Reward in IGN.
        #[arg(long)]
        reward: String,
        /// Seconds a worker has per assignment.
        #[arg(long, default_value_t = 300)]
        execution_seconds: i64,
        /// Seconds before an unfinished job can be refunded.
        #[arg(long, default_value_t = 3600)]
        ttl_seconds: i64,
        /// Post this many such jobs, each with its own reward, as many to a transaction
        /// as fit (`post_jobs`).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
        count: u16,
        /// Buy a service level with the job (PoW jobs): only proven workers with the
        /// network's minimum uptime take it, and if its worker misses the deadline you
        /// receive a share of that worker's slash, automatically. The premium is priced
        /// from the network's uptime; the guarantee is shown before anything is paid.
        #[arg(long, conflicts_with_all = ["matmul", "kernel"])]
        sla: bool,
        /// Show what posting would cost and guarantee, and send nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Cancel your job while nobody is assigned; the escrow comes back.
    Cancel { id: u64 },
    /// Return an unassignable job's escrow to its poster (anyone may): expired, or
    /// re-queued too often.
    Refund { id: u64 },
    /// Close a job settled more than a day ago; its rent goes back to its poster
    /// (anyone may). Its outcome stays in the chain's transaction history.
    Close { id: u64 },
    /// Turn down your worker's assignment of a job at no cost, within its decline
    /// window (60 s, at most half the execution window), before committing.
    Decline { id: u64 },
    /// Show one job.
    Show { id: u64 },
    /// Download a completed gemm-i8 or mlp-i8 job's output (int32 .npy), checked
    /// against its hash and against the Merkle root the job settled on.
    Result {
        id: u64,
        /// Where to write the output.
        #[arg(long = "out", short = 'O')]
        out: std::path::PathBuf,
        /// The orchestrator's HTTP API.
        #[arg(long, env = "IGNIS_API_URL", default_value = "http://127.0.0.1:8080")]
        api: String,
    },
    /// List jobs.
    List {
        /// Only jobs in this status (open, running, completed, cancelled, refunded, revealing, challenge).
        #[arg(long)]
        status: Option<String>,
        /// Only jobs posted by this address.
        #[arg(long)]
        poster: Option<String>,
    },
    /// Assign a job to a worker (the orchestrator's key only).
    Assign {
        id: u64,
        /// The worker's operator address.
        #[arg(long)]
        worker: String,
    },
    /// Submit a proof-of-work nonce for a job assigned to your worker.
    SubmitPow {
        id: u64,
        #[arg(long)]
        nonce: u64,
    },
}

#[derive(Subcommand)]
pub enum RewardsCommand {
    /// Your stake, unbonding and claimable rewards.
    Show,
    /// Claim your rewards.
    Claim,
}

#[derive(Args, Debug)]
pub struct UpArgs {
    #[arg(long, default_value_t = 8899)]
    pub rpc_port: u16,
    #[arg(long, default_value_t = 8900)]
    pub ws_port: u16,
    /// The orchestrator's HTTP API and metrics.
    #[arg(long, default_value_t = 8080)]
    pub api_port: u16,
    /// Where the web app is served.
    #[arg(long, default_value_t = 5173)]
    pub app_port: u16,
    /// The web app's source (its built `dist/` is served; built with npm if missing).
    #[arg(long, default_value = "app")]
    pub app_dir: std::path::PathBuf,
    /// Serve the API without building a missing web app.
    #[arg(long)]
    pub skip_app_build: bool,
    /// Keys, journals and network.json of this run.
    #[arg(long, default_value = ".ignis")]
    pub state_dir: std::path::PathBuf,
    /// Workers to run (default: one per available backend).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Backend of the first worker: auto uses the GPU when there is one.
    #[arg(long, default_value_t = ignis_kernels::BackendChoice::Auto)]
    pub backend: ignis_kernels::BackendChoice,
    /// Milliseconds per slot.
    #[arg(long, default_value_t = 400)]
    pub slot_time_ms: u64,
    /// Largest blob the data plane accepts, in bytes.
    #[arg(long, default_value_t = ignis_orchestrator::blobs::BlobLimits::default().max_blob_bytes)]
    pub blob_max_bytes: u64,
}
