//! Ignis: a GPU compute network. Operators stake IGN and run workers; users escrow job
//! rewards; the orchestrator assigns; workers prove their work on chain and are paid.
//!
//! This file only routes: each instruction lives in `instructions/<name>.rs` with its
//! accounts, checks and handler.

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod kernels;
pub mod math;
pub mod pow;
pub mod rewards;
pub mod settlement;
pub mod state;
mod vault;

use instructions::*;
use state::{EmissionSchedule, Params, WorkerSettings};

declare_id!("iPbJ57FE6bF5H861Tb5z2WF56k1Jq9pX1BECoAFtPG4");

#[program]
pub mod ignis {
    use super::*;

    // --- administration -------------------------------------------------------------

    /// Sets the protocol up on the IGN mint and takes over its mint authority, in one
    /// instruction signed by that authority. Parameters and emission are bounded.
    pub fn initialize(
        ctx: Context<Initialize>,
        params: Params,
        emission: EmissionSchedule,
        orchestrator: Pubkey,
        verifier: Pubkey,
    ) -> Result<()> {
        Initialize::initialize(ctx, params, emission, orchestrator, verifier)
    }

    /// Anyone: creates shard `index` (of `SHARDS`) and its vault; the deploy creates
    /// them all after `initialize`.
    pub fn init_shard(ctx: Context<InitShard>, index: u8) -> Result<()> {
        InitShard::init_shard(ctx, index)
    }

    /// Admin: replaces the tunable parameters (validated as a whole).
    pub fn update_params(ctx: Context<UpdateParams>, params: Params) -> Result<()> {
        UpdateParams::update_params(ctx, params)
    }

    /// Admin: sets the orchestrator and verifier keys.
    pub fn set_authorities(
        ctx: Context<SetAuthorities>,
        orchestrator: Pubkey,
        verifier: Pubkey,
    ) -> Result<()> {
        SetAuthorities::set_authorities(ctx, orchestrator, verifier)
    }

    /// Admin: pauses or resumes the protocol. A pause stops the protocol clock, so
    /// every deadline, window and unbonding period gets the paused time back.
    pub fn set_paused(ctx: Context<SetPaused>, paused: bool) -> Result<()> {
        SetPaused::set_paused(ctx, paused)
    }

    // --- staking --------------------------------------------------------------------

    /// Deposits IGN as stake; it is bonded (earning, counting for eligibility) from the
    /// next slot on.
    pub fn stake(ctx: Context<StakeTokens>, amount: u64) -> Result<()> {
        StakeTokens::stake(ctx, amount)
    }

    /// Starts unbonding bonded stake; it stays slashable until withdrawn.
    pub fn request_unstake(ctx: Context<RequestUnstake>, amount: u64) -> Result<()> {
        RequestUnstake::request_unstake(ctx, amount)
    }

    /// Withdraws unbonded stake once unlocked and once the owner's worker has no live job.
    pub fn withdraw(ctx: Context<Withdraw>) -> Result<()> {
        Withdraw::withdraw(ctx)
    }

    /// Anyone: accrues emission, hands a shard's fees to the stakers, reports its work
    /// units and tops its work pool up (the orchestrator's crank).
    pub fn sync_shard(ctx: Context<SyncShard>) -> Result<()> {
        SyncShard::sync_shard(ctx)
    }

    /// Anyone, about once an epoch: mints the emission schedule's release up to one
    /// epoch ahead into the reward vault.
    pub fn mint_emission(ctx: Context<MintEmission>) -> Result<()> {
        MintEmission::mint_emission(ctx)
    }

    /// Claims the staker's share of emission, fees and slashes.
    pub fn claim_rewards(ctx: Context<ClaimRewards>) -> Result<()> {
        ClaimRewards::claim_rewards(ctx)
    }

    /// Anyone: bonds a deposit made in an earlier slot.
    pub fn activate_stake(ctx: Context<ActivateStake>) -> Result<()> {
        ActivateStake::activate_stake(ctx)
    }

    /// Closes an empty stake account; rent back to its owner.
    pub fn close_stake(ctx: Context<CloseStake>) -> Result<()> {
        CloseStake::close_stake(ctx)
    }

    // --- workers --------------------------------------------------------------------

    /// Registers (or registers again, keeping its record) the operator's worker.
    pub fn register_worker(ctx: Context<RegisterWorker>, settings: WorkerSettings) -> Result<()> {
        RegisterWorker::register_worker(ctx, settings)
    }

    /// Changes a worker's published settings.
    pub fn update_worker(ctx: Context<UpdateWorker>, settings: WorkerSettings) -> Result<()> {
        UpdateWorker::update_worker(ctx, settings)
    }

    /// Takes a worker with no live job out of matching; its record stays.
    pub fn deregister_worker(ctx: Context<DeregisterWorker>) -> Result<()> {
        DeregisterWorker::deregister_worker(ctx)
    }

    /// Closes a deregistered worker with a clean record and returns its rent; a record
    /// with faults on it keeps its account.
    pub fn close_worker(ctx: Context<CloseWorker>) -> Result<()> {
        CloseWorker::close_worker(ctx)
    }

    /// Anyone (the crank): books a worker's open capacity challenge as missed once its
    /// deadline passed, or issues the next once due, at a moment and with a seed drawn
    /// from the newest slot hash.
    pub fn challenge_worker(ctx: Context<ChallengeWorker>) -> Result<()> {
        ChallengeWorker::challenge_worker(ctx)
    }

    /// The challenged worker answers with `CHALLENGE_PROOFS` nonces: its proven and
    /// rated hashrate and uptime are updated, and the work is paid from the work pool.
    pub fn answer_challenge(ctx: Context<AnswerChallenge>, nonces: Vec<u64>) -> Result<()> {
        AnswerChallenge::answer_challenge(ctx, nonces)
    }

    // --- jobs -----------------------------------------------------------------------

    /// Posts a job and escrows its reward; the fee on it must be at least one base
    /// unit per replica.
    pub fn post_job(ctx: Context<PostJob>, args: PostJobArgs) -> Result<()> {
        PostJob::post_job(ctx, args)
    }

    /// Posts up to `MAX_BATCH_JOBS` jobs of one shard, each under `post_job`'s rules,
    /// with one escrow transfer; the jobs' accounts are the remaining accounts.
    pub fn post_jobs<'info>(
        ctx: Context<'info, PostJobs<'info>>,
        jobs: Vec<PostJobArgs>,
    ) -> Result<()> {
        PostJobs::post_jobs(ctx, jobs)
    }

    /// The poster buys a service level for its PoW job before its first assignment,
    /// paying a premium priced from the network's uptime (at most `max_premium`).
    pub fn buy_sla(ctx: Context<BuySla>, max_premium: u64) -> Result<()> {
        BuySla::buy_sla(ctx, max_premium)
    }

    /// The poster takes back a job nobody is assigned to.
    pub fn cancel_job(ctx: Context<CancelJob>) -> Result<()> {
        CancelJob::cancel_job(ctx)
    }

    /// Orchestrator: assigns one replica of a job to a worker that can finish it in time.
    pub fn assign_job(ctx: Context<AssignJob>) -> Result<()> {
        AssignJob::assign_job(ctx)
    }

    /// Orchestrator: assigns one worker a replica of each of up to `MAX_BATCH_JOBS`
    /// jobs (remaining accounts); jobs lost to a race (`Job::lost_to_race`) are skipped.
    pub fn assign_jobs<'info>(ctx: Context<'info, AssignJobs<'info>>) -> Result<()> {
        AssignJobs::assign_jobs(ctx)
    }

    /// A staked worker claims a replica of an open job itself, under `assign_job`'s
    /// rules, once the orchestrator has been silent for `orchestrator_timeout_seconds`.
    pub fn claim_job(ctx: Context<ClaimJob>) -> Result<()> {
        ClaimJob::claim_job(ctx)
    }

    /// Orchestrator: says it is alive, so that workers leave the assigning to it.
    pub fn heartbeat(ctx: Context<Heartbeat>) -> Result<()> {
        Heartbeat::heartbeat(ctx)
    }

    /// The assigned worker submits its nonce; checked on chain and paid at once, with
    /// work-pool pay.
    pub fn submit_pow(ctx: Context<SubmitPow>, nonce: u64) -> Result<()> {
        SubmitPow::submit_pow(ctx, nonce)
    }

    /// The assigned worker submits up to `MAX_BATCH_JOBS` nonces, each checked and paid
    /// as `submit_pow`, with one transfer per shard; all or nothing. Remaining accounts:
    /// the jobs, then a `[shard, shard_vault]` pair per distinct shard.
    pub fn submit_pows<'info>(
        ctx: Context<'info, SubmitPows<'info>>,
        nonces: Vec<u64>,
    ) -> Result<()> {
        SubmitPows::submit_pows(ctx, nonces)
    }

    /// Anyone: slashes a worker that let its deadline pass and re-queues the replica.
    pub fn expire_assignment(ctx: Context<ExpireAssignment>) -> Result<()> {
        ExpireAssignment::expire_assignment(ctx)
    }

    /// Anyone: returns the escrow of an unassignable job (expired, or re-queued too often).
    pub fn refund_job(ctx: Context<RefundJob>) -> Result<()> {
        RefundJob::refund_job(ctx)
    }

    /// The assigned worker turns an assignment down at no cost within its decline window.
    pub fn decline_assignment(ctx: Context<DeclineAssignment>) -> Result<()> {
        DeclineAssignment::decline_assignment(ctx)
    }

    /// Anyone: closes a job settled more than the retention period ago; rent to the poster.
    pub fn close_job(ctx: Context<CloseJob>) -> Result<()> {
        CloseJob::close_job(ctx)
    }

    /// Anyone: closes up to `MAX_BATCH_JOBS` such jobs in one instruction, `[job,
    /// poster]` pairs as remaining accounts; jobs already closed are skipped.
    pub fn close_jobs<'info>(ctx: Context<'info, CloseJobs<'info>>) -> Result<()> {
        CloseJobs::close_jobs(ctx)
    }

    // --- kernel jobs: commit, reveal, settle ------------------------------------------

    /// A kernel replica commits to its result.
    pub fn commit_result(ctx: Context<CommitResult>, commitment: [u8; 32]) -> Result<()> {
        CommitResult::commit_result(ctx, commitment)
    }

    /// A kernel replica opens its commitment.
    pub fn reveal_result(
        ctx: Context<RevealResult>,
        result_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Result<()> {
        RevealResult::reveal_result(ctx, result_hash, salt)
    }

    /// Anyone: settles a kernel job the verifier did not rule on, once its window passed.
    pub fn finalize_job<'info>(ctx: Context<'info, FinalizeJob<'info>>) -> Result<()> {
        FinalizeJob::finalize_job(ctx)
    }

    /// Verifier: names a kernel job's right result; its replicas are paid (with
    /// work-pool pay), every other revealed result is slashed.
    pub fn attest_result<'info>(
        ctx: Context<'info, VerifyResult<'info>>,
        result_hash: [u8; 32],
    ) -> Result<()> {
        VerifyResult::attest_result(ctx, result_hash)
    }

    /// Verifier: finds every revealed result of a kernel job wrong; they are slashed.
    pub fn dispute_result<'info>(ctx: Context<'info, VerifyResult<'info>>) -> Result<()> {
        VerifyResult::dispute_result(ctx)
    }
}
