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
        let config = &self.settle.config;
        self.settle.job.check_ruling(config, ruling, config.clock()?)
    }

    fn rule(ctx: Context<'info, Self>, ruling: Ruling) -> Result<()> {
        let settle = &mut ctx.accounts.settle;
        let (verdicts, winner) = settlement::verdicts(&settle.job, ruling);
        let event = settle.settle(ctx.remaining_accounts, &verdicts, winner, true)?;
        emit_cpi!(event);
        Ok(())
    }

    #[access_control(ctx.accounts.validate(Ruling::Attested(result_hash)))]
    pub fn attest_result(ctx: Context<'info, Self>, result_hash: [u8; 32]) -> Result<()> {
        Self::rule(ctx, Ruling::Attested(result_hash))
    }

    #[access_control(ctx.accounts.validate(Ruling::Disputed))]
    pub fn dispute_result(ctx: Context<'info, Self>) -> Result<()> {
        Self::rule(ctx, Ruling::Disputed)
    }
}
