use anchor_lang::prelude::*;

use crate::{errors::IgnisError, instructions::finalize_job::*, settlement, state::*};

/// The verifier rules on a kernel job's revealed results during its window, whatever
/// the replicas' majority: `attest_result` names the right result, whose replicas are
/// paid at once with work-pool pay while every other revealed result is slashed at the
/// fraud rate; `dispute_result` finds them all wrong, slashes them and re-queues the
/// job. Withheld reveals and missed commitments are slashed either way.
/// `remaining_accounts` as for `finalize_job`.
#[event_cpi]
#[derive(Accounts)]
pub struct VerifyResult<'info> {
    #[account(address = settle.config.verifier @ IgnisError::NotVerifier)]
    pub verifier: Signer<'info>,

    pub settle: SettleAccounts<'info>,
}

impl<'info> VerifyResult<'info> {
    fn validate(&self, ruling: Ruling) -> Result<()> {
        let (config, job) = (&self.settle.config, &self.settle.job);
        config.require_not_paused()?;
        require!(matches!(job.kind, JobKind::Kernel { .. }), IgnisError::NotKernelJob);
        let now = config.clock()?;
        let end =
            job.verification_deadline_at(now, &config.params).ok_or(IgnisError::NotInChallenge)?;
        require!(now <= end, IgnisError::ChallengeWindowClosed);
        require!(job.revealed_count() > 0, IgnisError::NothingRevealed);
        if let Ruling::Attested(hash) = ruling {
            require!(
                job.live_assignments().iter().any(|a| a.revealed && a.result_hash == hash),
                IgnisError::NoReplicaRevealedResult
            );
        }
        Ok(())
    }

    fn rule(ctx: Context<'info, Self>, ruling: Ruling) -> Result<()> {
        ctx.accounts.validate(ruling)?;
        let settle = &mut ctx.accounts.settle;
        let (verdicts, winner) = settlement::verdicts(&settle.job, ruling);
        let event = settle.settle(ctx.remaining_accounts, &verdicts, winner, true)?;
        emit_cpi!(event);
        Ok(())
    }

    pub fn attest_result(ctx: Context<'info, Self>, result_hash: [u8; 32]) -> Result<()> {
        Self::rule(ctx, Ruling::Attested(result_hash))
    }

    pub fn dispute_result(ctx: Context<'info, Self>) -> Result<()> {
        Self::rule(ctx, Ruling::Disputed)
    }
}
