//! Every seed, limit and default of the protocol, in one place.

use anchor_lang::prelude::*;

#[constant]
pub const CONFIG_SEED: &[u8] = b"config";
#[constant]
pub const EMISSION_SEED: &[u8] = b"emission";
#[constant]
pub const STAKE_VAULT_SEED: &[u8] = b"stake_vault";
#[constant]
pub const REWARD_VAULT_SEED: &[u8] = b"reward_vault";
#[constant]
pub const STAKE_SEED: &[u8] = b"stake";
#[constant]
pub const WORKER_SEED: &[u8] = b"worker";
#[constant]
pub const JOB_SEED: &[u8] = b"job";
#[constant]
pub const SHARD_SEED: &[u8] = b"shard";
#[constant]
pub const SHARD_VAULT_SEED: &[u8] = b"shard_vault";

/// Jobs are spread over this many shards (job id mod `SHARDS`), each with its own
/// running totals and vault, so that posts and payouts of different jobs write
/// disjoint accounts and the config stays read-only on the hot paths. 16 shards keep
/// each one under a sixth of Solana's per-account limit when the whole network runs at
/// its block limit (12M of 60M CU per block), with room for uneven load.
#[constant]
pub const SHARDS: u8 = 16;

/// Basis points: 10_000 = 100%.
pub const BPS_DENOMINATOR: u64 = 10_000;

/// A job runs on one to three replicas, each on a distinct operator.
pub const MAX_REPLICAS: usize = 3;

/// Work units of a PoW job are 2^difficulty and must fit a u64.
pub const MAX_POW_DIFFICULTY: u8 = 63;

/// A work unit is one SHA-256 compression, the cost of one PoW nonce. A `matmul-u32`
/// multiply-add is far cheaper: `ignis-worker bench` measured about 300 of them per
/// compression on the CPU (same run), and GPUs have a wider gap (integer multiply-adds
/// issue at many times their SHA-256 rate). 1024 multiply-adds per unit sits between
/// the two, so a matmul job is never paid more per unit of real cost than PoW by more
/// than a small factor, and never by the ~1000x that counting each one as a unit paid.
pub const MATMUL_MACS_PER_WORK_UNIT: u64 = 1_024;

/// A worker is only assigned a job it can finish in its execution window this many
/// times over at its published hashrate. For PoW (a geometric search) the chance that
/// an honest worker misses is then about e^-8 = 0.03%.
pub const FEASIBILITY_MARGIN: u64 = 8;

/// How long after an assignment its worker may decline it at no cost (at most half
/// of the job's execution window).
#[constant]
pub const DECLINE_WINDOW_SECONDS: i64 = 60;

/// Assignments of one job that may be expired, declined or overturned before it is no
/// longer assigned and its poster can take the escrow back.
#[constant]
pub const MAX_REQUEUES: u16 = 16;

/// The most jobs one batch instruction (`post_jobs`, `assign_jobs`, `submit_pows`,
/// `close_jobs`) carries (`Job::check_batch_size`): a transaction holds about 30
/// closes of one poster's jobs.
#[constant]
pub const MAX_BATCH_JOBS: u8 = 32;

/// Longest a settled job may be kept on chain before it can be closed
/// (`Params::job_retention_seconds`): state stays bounded whatever the setting.
#[constant]
pub const MAX_JOB_RETENTION_SECONDS: i64 = 30 * 24 * 3600;

/// The shortest `Params::orchestrator_timeout_seconds`: workers may claim jobs only
/// after the orchestrator has been silent at least this long.
#[constant]
pub const MIN_ORCHESTRATOR_TIMEOUT_SECONDS: i64 = 10;

/// Bounds on `Params` that keep every setting meaningful: a fee must exist (it is what
/// makes self-dealing cost money) but leave workers most of the reward.
pub const MAX_PROTOCOL_FEE_BPS: u16 = 2_000;

/// Longest GPU model name a worker may publish, in bytes.
#[constant]
pub const MAX_GPU_MODEL_LEN: u32 = 32;

/// Kernel catalog: bit `1 << id` in a worker's `supported_kernels`.
#[constant]
pub const KERNEL_POW_SHA256: u8 = 0;
#[constant]
pub const KERNEL_MATMUL_U32: u8 = 1;
/// int8 A (m x k) times int8 B (k x n) into int32, on the poster's `.npy` inputs.
#[constant]
pub const KERNEL_GEMM_I8: u8 = 2;
/// Quantized inference of an int8 MLP (`.safetensors`) on a batch (`.npy`).
#[constant]
pub const KERNEL_MLP_I8: u8 = 3;
/// Bitmask of every kernel the program knows; workers may not claim others.
pub const KNOWN_KERNELS_MASK: u32 = (1 << KERNEL_POW_SHA256)
    | (1 << KERNEL_MATMUL_U32)
    | (1 << KERNEL_GEMM_I8)
    | (1 << KERNEL_MLP_I8);

/// Bounds on a tensor job (gemm-i8, mlp-i8): its output rows, the bytes of one output
/// row, and its multiply-adds in all (what its work units are priced by).
#[constant]
pub const MAX_TENSOR_ROWS: u32 = 1_048_576;
#[constant]
pub const MAX_TENSOR_ROW_BYTES: u32 = 1_048_576;
/// 2^42. Not in the IDL's constants: anchor's IDL build reads a u64 literal this big as
/// an i32 and fails.
pub const MAX_TENSOR_MACS: u64 = 4_398_046_511_104;

/// Fixed-point shift of the stakers' reward-per-share accumulator (u128, Q64): the
/// rounding loss per distribution stays below one base unit for any u64 total stake.
pub const REWARD_SHIFT: u32 = 64;
/// Staker rewards go to the work pool while less than this is bonded in total (so they
/// are never handed to the first dust staker); it also bounds the accumulator (an increment is at most value * 2^64 / this), so products
/// with any u64 stake fit a u128.
pub const MIN_REWARD_STAKE: u64 = 1_000_000;
/// Fixed-point shift of the work pool's rate (base units per work unit, Q32).
pub const WORK_RATE_SHIFT: u32 = 32;

/// Bounds on what a poster may choose for a job's timing, so that no job can lock a
/// worker for ever nor be unworkable.
pub const MIN_EXECUTION_SECONDS: i64 = 10;
pub const MIN_JOB_TTL_SECONDS: i64 = 60;

/// The SlotHashes sysvar, whose newest hash draws when a challenge comes and its seed.
pub const SLOT_HASHES_SYSVAR: Pubkey = pubkey!("SysvarS1otHashes111111111111111111111111111");

/// Capacity challenges (`challenge_worker`, `answer_challenge`). An answer is this many
/// nonces, strictly increasing, each meeting the challenge's difficulty: the time to
/// find 32 is an Erlang(32) sum, so an honest worker's time is within about 35% of
/// its mean nine times in ten (one nonce alone is off by 2x or more one time in
/// seven), and at twice the mean it misses less than once in a million.
#[constant]
pub const CHALLENGE_PROOFS: u8 = 32;
/// The shortest `Params::challenge_work_seconds`: the clock counts whole seconds, so a
/// challenge of 5 s measures a rate to within about 20%, one of 30 s to within 3%.
#[constant]
pub const MIN_CHALLENGE_WORK_SECONDS: i64 = 5;
/// The uptime window: a worker's last this many challenges.
#[constant]
pub const UPTIME_WINDOW: u8 = 64;
/// Challenges missed in a row before a worker is suspended from new assignments
/// (until it answers one). Each miss also halves its rated hashrate; no stake is
/// slashed for a missed challenge.
#[constant]
pub const CHALLENGE_MISSES_TO_SUSPEND: u8 = 3;
/// A claim stands while the proven hashrate is at least this share of it; below, the
/// rated hashrate is cut to the proven one. The margin covers an honest worker's
/// noise: the Erlang spread of 32 nonces and a second or two of landing time.
#[constant]
pub const CLAIM_TOLERANCE_BPS: u16 = 7_500;
/// The proven hashrate is a moving average: each answer moves it this fraction
/// (1/4) of the way to the rate that answer proved.
pub const PROVEN_EMA_DIVISOR: u64 = 4;
/// The network uptime that prices SLAs moves this fraction (1/8) of the way to each
/// shard's challenge results at every `sync_shard`.
pub const NETWORK_UPTIME_EMA_DIVISOR: u64 = 8;
/// SLA premium: this many times the expected compensation at the network's miss
/// rate, and never priced as if fewer than `SLA_MIN_MISS_BPS` of deadlines were
/// missed.
pub const SLA_PREMIUM_MARKUP: u64 = 2;
pub const SLA_MIN_MISS_BPS: u64 = 100;

/// Defaults used by `ignis admin init`; all can be changed with `update_params`.
pub mod defaults {
    /// 100 IGN at 9 decimals.
    pub const MIN_WORKER_STAKE: u64 = 100_000_000_000;
    pub const UNBONDING_SECONDS: i64 = 7 * 24 * 3600;
    pub const MISS_SLASH_BPS: u16 = 100;
    pub const FRAUD_SLASH_BPS: u16 = 1_000;
    pub const PROTOCOL_FEE_BPS: u16 = 250;
    pub const MAX_EXECUTION_SECONDS: i64 = 3_600;
    pub const MAX_JOB_TTL_SECONDS: i64 = 7 * 24 * 3600;
    pub const REVEAL_WINDOW_SECONDS: i64 = 300;
    pub const CHALLENGE_WINDOW_SECONDS: i64 = 600;
    /// Share of emission that goes to stakers; the rest is the work pool.
    pub const STAKER_EMISSION_BPS: u16 = 5_000;
    pub const EPOCH_SECONDS: i64 = 24 * 3600;
    /// A settled job stays an hour for clients to read before anyone may close it
    /// and return its rent; its outcome stays in the events, and the orchestrator's
    /// API keeps its history.
    pub const JOB_RETENTION_SECONDS: i64 = 3_600;
    /// Two minutes without a heartbeat from the orchestrator (which sends one every
    /// ten seconds) and staked workers start claiming open jobs themselves.
    pub const ORCHESTRATOR_TIMEOUT_SECONDS: i64 = 120;
    /// 1 IGN per second at first, halving every year, at most 100 million IGN.
    pub const EMISSION_INITIAL_RATE: u64 = 1_000_000_000;
    pub const EMISSION_HALVING_SECONDS: i64 = 365 * 24 * 3600;
    pub const EMISSION_CAP: u64 = 100_000_000 * 1_000_000_000;
    /// Work pool rate before the first retarget, Q32 base units per work unit: one
    /// base unit per 2^20 work units (a difficulty-20 hash search). Retargeting finds
    /// the real price within a few epochs.
    pub const INITIAL_WORK_RATE: u64 = 1 << 12;
    /// A worker is challenged between 0.5 and 1.5 times this after its last challenge
    /// ended, at a moment drawn from the slot hash when the crank calls: about 144
    /// challenges a day, 3-5% of a GPU's time, paid from the work pool.
    pub const CHALLENGE_INTERVAL_SECONDS: i64 = 600;
    /// A challenge is sized to at most this much work at the worker's rated hashrate
    /// (between half and all of it: the difficulty is a power of two), and must be
    /// answered within twice this.
    pub const CHALLENGE_WORK_SECONDS: i64 = 30;
    /// Share of a missing replica's slash that an SLA job's poster receives.
    pub const SLA_COMPENSATION_BPS: u16 = 5_000;
    /// Uptime a worker needs over its window to be assigned an SLA job.
    pub const SLA_MIN_UPTIME_BPS: u16 = 9_500;
}
