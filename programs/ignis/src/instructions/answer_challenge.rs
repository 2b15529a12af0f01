use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::ChallengeAnswered, math, state::*, vault};

/// The challenged worker answers its open capacity challenge: the nonces are checked
/// for its own key, the rate they prove updates its proven and rated hashrate and its
/// uptime, and the work is paid from its challenge shard's work pool at the pool's
/// rate, like any verified work.
#[event_cpi]
#[derive(Accounts)]
pub struct AnswerChallenge<'info> {
    pub operator: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        mut,
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump = worker.bump,
        has_one = operator @ IgnisError::Unauthorized,
    )]
    pub worker: Box<Account<'info, Worker>>,

    /// Where the pay goes: any token account of the mint the operator chooses.
    #[account(mut, constraint = payout_token.mint == config.mint @ IgnisError::WrongMint)]
    pub payout_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The worker's challenge shard (`Worker::challenge_shard`), whose pool pays.
    #[account(
        mut,
        constraint = shard.index == Worker::challenge_shard(&worker.key()) @ IgnisError::WrongShard,
    )]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl AnswerChallenge<'_> {
    fn validate(&self, nonces: &[u64]) -> Result<()> {
        self.config.require_not_paused()?;
        let challenge = self.worker.capacity.open.ok_or(IgnisError::NoOpenChallenge)?;
        challenge.check_answer(&self.worker.key(), nonces, self.config.clock()?)
    }

    #[access_control(ctx.accounts.validate(&nonces))]
    pub fn answer_challenge(mut ctx: Context<Self>, nonces: Vec<u64>) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let config = &accounts.config;
        let now = config.clock()?;
        let worker = &mut accounts.worker;
        let claim = worker.settings.hashrate;
        let proven = worker.capacity.record_answer(claim, now)?;
        let shard = &mut accounts.shard;
        // Verified work, paid at the pool's rate like a PoW job's.
        let paid = shard.take_work_payment(config.rewards.work_rate, proven.work_units, 1)?;
        shard.challenges_answered_unreported = math::add(shard.challenges_answered_unreported, 1)?;
        worker.earned_total = math::add(worker.earned_total, paid)?;
        vault::pay_out(
            config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.shard_vault,
            &accounts.payout_token,
            paid,
        )?;
        let worker = &accounts.worker;
        let event = ChallengeAnswered {
            worker: worker.key(),
            work_units: proven.work_units,
            elapsed: proven.elapsed,
            rate: proven.rate,
            proven_hashrate: worker.capacity.proven_hashrate,
            rated_hashrate: worker.capacity.rated_hashrate,
            uptime_bps: worker.capacity.uptime_bps(),
            paid,
        };
        emit_cpi!(event);
        Ok(())
    }
}
