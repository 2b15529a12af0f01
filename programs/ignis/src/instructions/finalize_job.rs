use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    constants::*,
    errors::IgnisError,
    events::JobFinalized,
    settlement::{self, Fault, SettlementVaults, Verdict},
    state::*,
};

/// Anyone settles a kernel job once its reveals are in (or due), or once a
/// single-replica result has outlived the challenge window. The majority hash is paid
/// in equal shares; replicas that revealed another hash are slashed at the fraud rate,
/// those that never revealed at the miss rate. Without a majority nobody is paid and
/// the job is re-queued.
///
/// `remaining_accounts`: `[worker, operator_stake, payout_token]` for every assigned
/// replica, in assignment order; each payout account must be owned by its operator.
#[event_cpi]
#[derive(Accounts)]
pub struct FinalizeJob<'info> {
    pub settle: SettleAccounts<'info>,
}

/// The accounts every settlement of a kernel job reads and moves funds between; shared
/// by `finalize_job`, `attest_result` and `dispute_result`.
#[derive(Accounts)]
pub struct SettleAccounts<'info> {
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

/// The verdict on every live replica and the agreed result, if any.
pub fn judge(job: &Job, now: i64, reveal_window: i64) -> Result<(Vec<Verdict>, Option<[u8; 32]>)> {
    let live = job.live_assignments();
    if job.status == JobStatus::Challenge {
        require!(now > job.challenge_deadline, IgnisError::ChallengeWindowOpen);
        return Ok((vec![Verdict::Paid], Some(live[0].result_hash)));
    }
    let deadline = job.reveal_deadline_at(now, reveal_window).ok_or(IgnisError::NotFinalizable)?;
    let every_commitment_revealed = live.iter().filter(|a| a.committed).all(|a| a.revealed);
    require!(now > deadline || every_commitment_revealed, IgnisError::RevealStillOpen);

    // A result wins with a strict majority of all replicas, not just of those revealed.
    let revealed = || live.iter().filter(|a| a.revealed).map(|a| a.result_hash);
    let winner = revealed()
        .find(|hash| 2 * revealed().filter(|other| other == hash).count() > usize::from(job.replicas));
    let verdicts = live
        .iter()
        .map(|a| match (a.revealed, winner) {
            (false, _) => Verdict::Slashed(Fault::Missed),
            (true, Some(hash)) if a.result_hash == hash => Verdict::Paid,
            (true, Some(_)) => Verdict::Slashed(Fault::WrongResult),
            (true, None) => Verdict::Released,
        })
        .collect();
    Ok((verdicts, winner))
}

impl FinalizeJob<'_> {
    pub fn finalize_job<'info>(ctx: Context<'info, FinalizeJob<'info>>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let settle = &mut ctx.accounts.settle;
        settle.config.require_not_paused()?;
        require!(matches!(settle.job.kind, JobKind::Kernel { .. }), IgnisError::NotKernelJob);
        let (verdicts, winner) = judge(&settle.job, now, settle.config.params.reveal_window_seconds)?;
        let event = settle.settle(ctx.remaining_accounts, &verdicts, winner, now)?;
        emit_cpi!(event);
        Ok(())
    }
}

impl<'info> SettleAccounts<'info> {
    /// Applies `verdicts` to the job's replicas; with a winner the job completes,
    /// without one it goes back to the queue.
    pub fn settle(
        &mut self,
        replica_accounts: &'info [AccountInfo<'info>],
        verdicts: &[Verdict],
        winner: Option<[u8; 32]>,
        now: i64,
    ) -> Result<JobFinalized> {
        self.config.accrue(now)?;
        let mut replicas = settlement::load_replicas(replica_accounts, &self.job, &self.config.mint)?;
        let vaults = SettlementVaults {
            token_program: &self.token_program,
            mint: &self.mint,
            job_vault: &self.job_vault,
            reward_vault: &self.reward_vault,
            stake_vault: &self.stake_vault,
            emission: &self.emission,
        };
        let settled = settlement::apply_verdicts(&mut self.config, &self.job, &mut replicas, verdicts, &vaults)?;
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
        })
    }
}
