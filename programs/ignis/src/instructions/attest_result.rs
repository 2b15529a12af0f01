use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    constants::*,
    errors::IgnisError,
    instructions::finalize_job::settle,
    settlement::{Fault, SettlementVaults, Verdict},
    state::*,
};

/// The verifier rules on a single-replica kernel result during its challenge window:
/// `attest_result` pays it at once, `dispute_result` slashes it at the fraud rate and
/// re-queues the job. `remaining_accounts` as for `finalize_job`.
#[event_cpi]
#[derive(Accounts)]
pub struct VerifyResult<'info> {
    #[account(address = config.verifier @ IgnisError::NotVerifier)]
    pub verifier: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    #[account(mut, address = config.job_vault)]
    pub job_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.stake_vault)]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// CHECK: the mint authority, checked by seeds; signs the emission mint.
    #[account(seeds = [EMISSION_SEED], bump = config.emission_bump)]
    pub emission: UncheckedAccount<'info>,

    #[account(mut, address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl<'info> VerifyResult<'info> {
    fn verify(&self, now: i64) -> Result<()> {
        self.config.require_not_paused()?;
        require!(self.job.status == JobStatus::Challenge, IgnisError::NotInChallenge);
        require!(now <= self.job.challenge_deadline, IgnisError::ChallengeWindowClosed);
        Ok(())
    }

    fn rule(ctx: Context<'info, Self>, correct: bool) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let accounts = &mut *ctx.accounts;
        accounts.verify(now)?;
        let (verdict, winner) = if correct {
            (Verdict::Paid, Some(accounts.job.assignments[0].result_hash))
        } else {
            (Verdict::Slashed(Fault::WrongResult), None)
        };
        let event = settle(&mut accounts.config, &mut accounts.job, ctx.remaining_accounts, &[verdict], winner, now, &SettlementVaults {
            token_program: &accounts.token_program,
            mint: &accounts.mint,
            job_vault: &accounts.job_vault,
            reward_vault: &accounts.reward_vault,
            stake_vault: &accounts.stake_vault,
            emission: &accounts.emission,
        })?;
        emit_cpi!(event);
        Ok(())
    }

    pub fn attest_result(ctx: Context<'info, Self>) -> Result<()> {
        Self::rule(ctx, true)
    }

    pub fn dispute_result(ctx: Context<'info, Self>) -> Result<()> {
        Self::rule(ctx, false)
    }
}
