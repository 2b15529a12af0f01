use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    constants::*,
    errors::IgnisError,
    events::JobFinalized,
    settlement::{self, SettlementVaults, Verdict},
    state::*,
};

/// Anyone settles a kernel job the verifier did not rule on, once its window passed (or
/// nothing was revealed). Replicas that agree unanimously by a strict majority of the
/// job's replicas get their escrow share, but nothing from the work pool: nobody
/// checked the work. A disagreement is nobody's proven fault: those replicas are
/// released and the job is re-queued. Replicas that missed their commit deadline are
/// slashed at the miss rate, those that committed and never revealed at the fraud rate.
///
/// `remaining_accounts`: `[worker, operator_stake, payout_token]` for every assigned
/// replica, in assignment order; each payout account must be owned by its operator.
#[event_cpi]
#[derive(Accounts)]
pub struct FinalizeJob<'info> {
    pub settle: SettleAccounts<'info>,
}

/// The accounts every settlement of a kernel job reads and moves funds between; shared
/// by `finalize_job`, `attest_result` and `dispute_result`. The config, the stake vault
/// and the reward vault are written only when a replica is slashed
/// (`settlement::slashes`): pass them writable then, read-only otherwise, so that
/// settlements without a fault never serialize on protocol-wide accounts.
#[derive(Accounts)]
pub struct SettleAccounts<'info> {
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    /// The job's shard, which keeps its escrow and pays its winners.
    #[account(mut, constraint = shard.index == Shard::index_of(job.id) @ IgnisError::WrongShard)]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.stake_vault)]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl FinalizeJob<'_> {
    fn validate(&self) -> Result<()> {
        let config = &self.settle.config;
        self.settle.job.check_finalize(config, config.clock()?)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn finalize_job<'info>(ctx: Context<'info, FinalizeJob<'info>>) -> Result<()> {
        let settle = &mut ctx.accounts.settle;
        let (verdicts, winner) = settlement::verdicts(&settle.job, Ruling::Unverified);
        let event = settle.settle(ctx.remaining_accounts, &verdicts, winner, false)?;
        emit_cpi!(event);
        Ok(())
    }
}

impl<'info> SettleAccounts<'info> {
    /// Applies `verdicts` to the job's replicas (`verified`: the verifier checked the
    /// winning result, so it earns work-pool pay); with a winner the job completes,
    /// without one it goes back to the queue.
    pub fn settle(
        &mut self,
        replica_accounts: &'info [AccountInfo<'info>],
        verdicts: &[Verdict],
        winner: Option<[u8; 32]>,
        verified: bool,
    ) -> Result<JobFinalized> {
        let now = self.config.clock()?;
        let mut replicas =
            settlement::load_replicas(replica_accounts, &self.job, &self.config.mint)?;
        let vaults = SettlementVaults {
            token_program: &self.token_program,
            mint: &self.mint,
            shard_vault: &self.shard_vault,
            reward_vault: &self.reward_vault,
            stake_vault: &self.stake_vault,
        };
        let settled = settlement::apply_verdicts(
            &mut self.config,
            &mut self.shard,
            &self.job,
            &mut replicas,
            verdicts,
            verified,
            &vaults,
        )?;
        let job = &mut self.job;
        match winner {
            Some(hash) => {
                job.status = JobStatus::Completed;
                job.result_hash = hash;
                job.completed_at = now;
            }
            None => job.requeue()?,
        }
        Ok(JobFinalized {
            job_id: job.id,
            completed: winner.is_some(),
            result_hash: winner.unwrap_or_default(),
            winners: settled.winners,
            paid_per_winner: settled.share,
            work_reward: settled.work_reward,
            fee: settled.fee,
            slashed: settled.slashed,
            completed_at: if winner.is_some() { job.completed_at } else { 0 },
        })
    }
}
