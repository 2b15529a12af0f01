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

    pub fn initialize(
        ctx: Context<Initialize>,
        params: Params,
        emission: EmissionSchedule,
        orchestrator: Pubkey,
        verifier: Pubkey,
    ) -> Result<()> {
        Initialize::initialize(ctx, params, emission, orchestrator, verifier)
    }

    pub fn update_params(ctx: Context<UpdateParams>, params: Params) -> Result<()> {
        UpdateParams::update_params(ctx, params)
    }

    pub fn set_authorities(
        ctx: Context<SetAuthorities>,
        orchestrator: Pubkey,
        verifier: Pubkey,
    ) -> Result<()> {
        SetAuthorities::set_authorities(ctx, orchestrator, verifier)
    }

    pub fn set_paused(ctx: Context<SetPaused>, paused: bool) -> Result<()> {
        SetPaused::set_paused(ctx, paused)
    }

    // --- staking --------------------------------------------------------------------

    pub fn stake(ctx: Context<StakeTokens>, amount: u64) -> Result<()> {
        StakeTokens::stake(ctx, amount)
    }

    pub fn request_unstake(ctx: Context<RequestUnstake>, amount: u64) -> Result<()> {
        RequestUnstake::request_unstake(ctx, amount)
    }

    pub fn withdraw(ctx: Context<Withdraw>) -> Result<()> {
        Withdraw::withdraw(ctx)
    }

    pub fn claim_rewards(ctx: Context<ClaimRewards>) -> Result<()> {
        ClaimRewards::claim_rewards(ctx)
    }

    // --- workers --------------------------------------------------------------------

    pub fn register_worker(ctx: Context<RegisterWorker>, settings: WorkerSettings) -> Result<()> {
        RegisterWorker::register_worker(ctx, settings)
    }

    pub fn update_worker(ctx: Context<UpdateWorker>, settings: WorkerSettings) -> Result<()> {
        UpdateWorker::update_worker(ctx, settings)
    }

    pub fn deregister_worker(ctx: Context<DeregisterWorker>) -> Result<()> {
        DeregisterWorker::deregister_worker(ctx)
    }

    // --- jobs -----------------------------------------------------------------------

    pub fn post_job(ctx: Context<PostJob>, args: PostJobArgs) -> Result<()> {
        PostJob::post_job(ctx, args)
    }

    pub fn cancel_job(ctx: Context<CancelJob>) -> Result<()> {
        CancelJob::cancel_job(ctx)
    }

    pub fn assign_job(ctx: Context<AssignJob>) -> Result<()> {
        AssignJob::assign_job(ctx)
    }

    pub fn submit_pow(ctx: Context<SubmitPow>, nonce: u64) -> Result<()> {
        SubmitPow::submit_pow(ctx, nonce)
    }

    pub fn expire_assignment(ctx: Context<ExpireAssignment>) -> Result<()> {
        ExpireAssignment::expire_assignment(ctx)
    }

    pub fn refund_job(ctx: Context<RefundJob>) -> Result<()> {
        RefundJob::refund_job(ctx)
    }

    // --- kernel jobs: commit, reveal, settle ------------------------------------------

    pub fn commit_result(ctx: Context<CommitResult>, commitment: [u8; 32]) -> Result<()> {
        CommitResult::commit_result(ctx, commitment)
    }

    pub fn reveal_result(ctx: Context<RevealResult>, result_hash: [u8; 32], salt: [u8; 32]) -> Result<()> {
        RevealResult::reveal_result(ctx, result_hash, salt)
    }

    pub fn finalize_job<'info>(ctx: Context<'info, FinalizeJob<'info>>) -> Result<()> {
        FinalizeJob::finalize_job(ctx)
    }

    pub fn attest_result<'info>(ctx: Context<'info, VerifyResult<'info>>) -> Result<()> {
        VerifyResult::attest_result(ctx)
    }

    pub fn dispute_result<'info>(ctx: Context<'info, VerifyResult<'info>>) -> Result<()> {
        VerifyResult::dispute_result(ctx)
    }
}
