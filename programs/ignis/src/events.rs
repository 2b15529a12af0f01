//! One event per state change, emitted through self-CPI (`emit_cpi!`) so that they are
//! in the transaction's inner instructions: immune to log truncation, and visible in
//! the natively run program too.

use anchor_lang::prelude::*;

use crate::state::{JobKind, Params, WorkerSettings};

#[event]
pub struct ConfigInitialized {
    pub admin: Pubkey,
    pub mint: Pubkey,
    pub genesis_supply: u64,
}

#[event]
pub struct ParamsUpdated {
    pub params: Params,
}

#[event]
pub struct AuthoritiesUpdated {
    pub admin: Pubkey,
    pub orchestrator: Pubkey,
    pub verifier: Pubkey,
}

#[event]
pub struct PausedSet {
    pub paused: bool,
}

#[event]
pub struct Staked {
    pub owner: Pubkey,
    pub amount: u64,
    /// Bonded stake after this deposit (which is not bonded yet).
    pub total: u64,
    /// Deposits waiting for a later slot to be bonded, this one included.
    pub activating: u64,
}

#[event]
pub struct StakeActivated {
    pub owner: Pubkey,
    pub amount: u64,
    pub total: u64,
}

#[event]
pub struct StakeClosed {
    pub owner: Pubkey,
}

#[event]
pub struct AssignmentDeclined {
    pub job_id: u64,
    pub worker: Pubkey,
}

#[event]
pub struct JobClosed {
    pub job_id: u64,
    pub poster: Pubkey,
}

/// One job of a `JobsClosed` batch.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosedJob {
    pub job_id: u64,
    pub poster: Pubkey,
}

/// `close_jobs`: the jobs it closed, skipped ones left out.
#[event]
pub struct JobsClosed {
    pub jobs: Vec<ClosedJob>,
}

#[event]
pub struct UnstakeRequested {
    pub owner: Pubkey,
    pub amount: u64,
    pub unbonding: u64,
    pub unlock_at: i64,
}

#[event]
pub struct Withdrawn {
    pub owner: Pubkey,
    pub amount: u64,
}

#[event]
pub struct WorkerRegistered {
    pub worker: Pubkey,
    pub operator: Pubkey,
    pub settings: WorkerSettings,
}

#[event]
pub struct WorkerUpdated {
    pub worker: Pubkey,
    pub settings: WorkerSettings,
}

#[event]
pub struct WorkerDeregistered {
    pub worker: Pubkey,
    pub operator: Pubkey,
}

#[event]
pub struct WorkerClosed {
    pub worker: Pubkey,
    pub operator: Pubkey,
}

#[event]
pub struct JobPosted {
    pub job_id: u64,
    pub poster: Pubkey,
    pub kind: JobKind,
    pub reward: u64,
    pub replicas: u8,
    pub expires_at: i64,
    /// Protocol time of the post: with the settlement events, what an indexer needs to
    /// show a job whose account was closed.
    pub posted_at: i64,
}

/// `post_jobs`: the jobs one poster posted in one shard, each as `post_job` tells it.
#[event]
pub struct JobsPosted {
    pub jobs: Vec<JobPosted>,
}

#[event]
pub struct JobCancelled {
    pub job_id: u64,
    pub refunded: u64,
    pub completed_at: i64,
}

#[event]
pub struct JobAssigned {
    pub job_id: u64,
    pub worker: Pubkey,
    pub deadline: i64,
}

/// One job of a `JobsAssigned` batch.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssignedJob {
    pub job_id: u64,
    pub deadline: i64,
}

/// `assign_jobs`: the jobs `worker` was given, skipped ones left out.
#[event]
pub struct JobsAssigned {
    pub worker: Pubkey,
    pub jobs: Vec<AssignedJob>,
}

#[event]
pub struct PowSubmitted {
    pub job_id: u64,
    pub worker: Pubkey,
    pub nonce: u64,
    pub hash: [u8; 32],
    /// From escrow, after the fee.
    pub paid: u64,
    /// From the work pool.
    pub work_reward: u64,
    pub fee: u64,
    pub completed_at: i64,
}

/// `submit_pows`: one worker's proofs, each as `submit_pow` tells it.
#[event]
pub struct PowsSubmitted {
    pub proofs: Vec<PowSubmitted>,
}

#[event]
pub struct ResultCommitted {
    pub job_id: u64,
    pub worker: Pubkey,
    /// Every replica has committed: the reveal phase has begun.
    pub revealing: bool,
}

#[event]
pub struct ResultRevealed {
    pub job_id: u64,
    pub worker: Pubkey,
    pub result_hash: [u8; 32],
}

/// A kernel job settled, by `finalize_job`, `attest_result` or `dispute_result`.
#[event]
pub struct JobFinalized {
    pub job_id: u64,
    /// False when no result won and the job went back to the queue.
    pub completed: bool,
    pub result_hash: [u8; 32],
    pub winners: u8,
    pub paid_per_winner: u64,
    /// Work-pool pay, summed over winners.
    pub work_reward: u64,
    pub fee: u64,
    pub slashed: u64,
    /// Protocol time of the settlement (0 when nothing won and the job was re-queued).
    pub completed_at: i64,
}

#[event]
pub struct RewardsClaimed {
    pub owner: Pubkey,
    pub amount: u64,
}

#[event]
pub struct AssignmentExpired {
    pub job_id: u64,
    pub worker: Pubkey,
    pub slashed: u64,
    /// The part of `slashed` paid to an SLA job's poster.
    pub compensation: u64,
}

#[event]
pub struct JobRefunded {
    pub job_id: u64,
    pub poster: Pubkey,
    pub amount: u64,
    pub completed_at: i64,
}

#[event]
pub struct ShardInitialized {
    pub index: u8,
    pub vault: Pubkey,
}

/// `sync_shard`: the shard's fees went to the stakers, its work units to the retarget
/// and its due share of the work pool into its vault.
#[event]
pub struct ShardSynced {
    pub index: u8,
    pub fees: u64,
    pub work_units: u64,
    pub work_allotted: u64,
}

/// `mint_emission`: the schedule's release up to one epoch ahead was minted into the
/// reward vault.
#[event]
pub struct EmissionMinted {
    pub amount: u64,
    pub minted: u64,
}

/// `challenge_worker`: a capacity challenge was issued; the worker answers it with
/// `CHALLENGE_PROOFS` nonces by `deadline`.
#[event]
pub struct ChallengeIssued {
    pub worker: Pubkey,
    pub seed: [u8; 32],
    pub difficulty: u8,
    pub work_units: u64,
    pub issued_at: i64,
    pub deadline: i64,
}

/// `challenge_worker`: a challenge's deadline passed unanswered.
#[event]
pub struct ChallengeMissed {
    pub worker: Pubkey,
    pub rated_hashrate: u64,
    pub uptime_bps: u16,
    pub consecutive_misses: u8,
}

/// `answer_challenge`: a challenge was answered in time and paid from the work pool.
#[event]
pub struct ChallengeAnswered {
    pub worker: Pubkey,
    pub work_units: u64,
    pub elapsed: i64,
    /// The rate this answer proved.
    pub rate: u64,
    pub proven_hashrate: u64,
    pub rated_hashrate: u64,
    pub uptime_bps: u16,
    pub paid: u64,
}

/// `buy_sla`: a job's poster bought its service level.
#[event]
pub struct SlaBought {
    pub job_id: u64,
    pub poster: Pubkey,
    pub premium: u64,
    pub compensation_bps: u16,
    pub min_uptime_bps: u16,
    /// What the poster receives at least for each replica that misses its deadline.
    pub min_compensation: u64,
}
