use anchor_lang::prelude::*;

use crate::{
    errors::IgnisError,
    instructions::finalize_job::*,
    settlement::{Fault, Verdict},
    state::*,
};

/// The verifier rules on a single-replica kernel result during its challenge window:
/// `attest_result` pays it at once, `dispute_result` slashes it at the fraud rate and
/// re-queues the job. `remaining_accounts` as for `finalize_job`.
#[event_cpi]
#[derive(Accounts)]
pub struct VerifyResult<'info> {
    #[account(address = settle.config.verifier @ IgnisError::NotVerifier)]
    pub verifier: Signer<'info>,

    pub settle: SettleAccounts<'info>,
}

impl<'info> VerifyResult<'info> {
    fn verify(&self, now: i64) -> Result<()> {
        let (config, job) = (&self.settle.config, &self.settle.job);
        config.require_not_paused()?;
        require!(job.status == JobStatus::Challenge, IgnisError::NotInChallenge);
        require!(now <= job.challenge_deadline, IgnisError::ChallengeWindowClosed);
        Ok(())
    }

    fn rule(ctx: Context<'info, Self>, correct: bool) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        ctx.accounts.verify(now)?;
        let settle = &mut ctx.accounts.settle;
        let (verdict, winner) = if correct {
            (Verdict::Paid, Some(settle.job.assignments[0].result_hash))
        } else {
            (Verdict::Slashed(Fault::WrongResult), None)
        };
        let event = settle.settle(ctx.remaining_accounts, &[verdict], winner, now)?;
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
