//! What happens to a replica when its job settles: paid, slashed or released. The
//! bookkeeping functions only count; `apply_verdicts` also moves the tokens.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    errors::IgnisError,
    math,
    state::{Config, Job, JobStatus, Stake, Worker},
    vault,
};

/// Why a worker is slashed, which sets the rate and the reputation counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Missed a deadline (no submission, no commitment, no reveal).
    Missed,
    /// Revealed a result the majority or the verifier showed to be wrong.
    WrongResult,
}

/// What one paid replica receives: its share of the escrow (from `job_vault`) and of
/// the work pool (from `reward_vault`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Payment {
    pub from_escrow: u64,
    pub from_work_pool: u64,
}

/// Splits a job's reward: the protocol fee goes to stakers, the rest in equal shares to
/// the `winners`; the rounding remainder joins the fee so the escrow empties exactly.
/// Returns (share per winner, fee).
pub fn split_reward(config: &mut Config, reward: u64, winners: u64) -> Result<(u64, u64)> {
    require!(winners > 0, IgnisError::MathOverflow);
    let fee = config.fee_on(reward)?;
    let net = math::sub(reward, fee)?;
    let share = net / winners;
    let fee = math::sub(reward, share.checked_mul(winners).ok_or(IgnisError::MathOverflow)?)?;
    config.distribute_to_stakers(fee)?;
    let totals = &mut config.totals;
    totals.fees = math::add(totals.fees, fee)?;
    totals.escrowed = math::sub(totals.escrowed, reward)?;
    totals.jobs_completed = math::add(totals.jobs_completed, 1)?;
    Ok((share, fee))
}

/// Books a winning replica: escrow share plus work-pool pay for `work_units`.
pub fn pay(config: &mut Config, worker: &mut Worker, share: u64, work_units: u64) -> Result<Payment> {
    let from_work_pool = config.take_work_payment(work_units)?;
    config.totals.paid_to_workers = math::add(config.totals.paid_to_workers, share)?;
    release(worker)?;
    worker.jobs_completed = math::add(worker.jobs_completed, 1)?;
    worker.earned_total = math::add(worker.earned_total, math::add(share, from_work_pool)?)?;
    Ok(Payment { from_escrow: share, from_work_pool })
}

/// Books a slash of the worker's operator at the fault's rate; the slashed stake goes
/// to the other stakers. Returns the amount to move from `stake_vault` to `reward_vault`.
pub fn slash(config: &mut Config, worker: &mut Worker, stake: &mut Stake, fault: Fault) -> Result<u64> {
    let bps = match fault {
        Fault::Missed => config.params.miss_slash_bps,
        Fault::WrongResult => config.params.fraud_slash_bps,
    };
    let slashed = stake.slash(bps, config.rewards.reward_per_share)?;
    let amount = slashed.total()?;
    let totals = &mut config.totals;
    totals.staked = math::sub(totals.staked, slashed.from_bonded)?;
    totals.unbonding = math::sub(totals.unbonding, slashed.from_unbonding)?;
    totals.slashed = math::add(totals.slashed, amount)?;
    config.distribute_to_stakers(amount)?;

    release(worker)?;
    worker.slashed_total = math::add(worker.slashed_total, amount)?;
    match fault {
        Fault::Missed => worker.jobs_missed = math::add(worker.jobs_missed, 1)?,
        Fault::WrongResult => worker.jobs_disputed = math::add(worker.jobs_disputed, 1)?,
    }
    Ok(amount)
}

/// Books a job's whole escrow going back to its poster (cancelled or refunded) and
/// returns the amount to move from `job_vault`.
pub fn return_escrow(config: &mut Config, job: &mut Job, outcome: JobStatus, now: i64) -> Result<u64> {
    let totals = &mut config.totals;
    totals.escrowed = math::sub(totals.escrowed, job.reward)?;
    match outcome {
        JobStatus::Cancelled => totals.jobs_cancelled = math::add(totals.jobs_cancelled, 1)?,
        JobStatus::Refunded => totals.jobs_refunded = math::add(totals.jobs_refunded, 1)?,
        _ => return err!(IgnisError::JobNotOpen),
    }
    job.status = outcome;
    job.completed_at = now;
    Ok(job.reward)
}

/// The worker is done with one job, whatever the outcome.
pub fn release(worker: &mut Worker) -> Result<()> {
    worker.active_jobs = worker.active_jobs.checked_sub(1).ok_or(IgnisError::MathOverflow)?;
    Ok(())
}

/// The accounts of one assigned replica, passed as `remaining_accounts` triples
/// `[worker, operator_stake, payout_token]` in assignment order.
pub struct Replica<'info> {
    pub worker: Account<'info, Worker>,
    pub stake: Account<'info, Stake>,
    pub payout: InterfaceAccount<'info, TokenAccount>,
}

/// Loads and checks one triple per live assignment of `job`.
pub fn load_replicas<'info>(
    accounts: &'info [AccountInfo<'info>],
    job: &Job,
    mint: &Pubkey,
) -> Result<Vec<Replica<'info>>> {
    let live = job.live_assignments();
    require!(accounts.len() == 3 * live.len(), IgnisError::ReplicaAccountsMismatch);
    live.iter()
        .zip(accounts.chunks_exact(3))
        .map(|(assignment, triple)| {
            let (worker, stake, payout) = (&triple[0], &triple[1], &triple[2]);
            require!(
                worker.is_writable && stake.is_writable && payout.is_writable,
                IgnisError::ReplicaAccountsMismatch
            );
            let worker = Account::<Worker>::try_from(worker)?;
            require_keys_eq!(worker.key(), assignment.worker, IgnisError::ReplicaAccountsMismatch);
            // Stake accounts exist only at ["stake", owner], so a program-owned Stake
            // whose owner is the operator is the operator's stake.
            let stake = Account::<Stake>::try_from(stake)?;
            require_keys_eq!(stake.owner, worker.operator, IgnisError::StakeOperatorMismatch);
            let payout = InterfaceAccount::<TokenAccount>::try_from(payout)?;
            require_keys_eq!(payout.mint, *mint, IgnisError::WrongMint);
            require_keys_eq!(payout.owner, worker.operator, IgnisError::WrongTokenOwner);
            Ok(Replica { worker, stake, payout })
        })
        .collect()
}

/// What settling does to one replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Paid,
    Slashed(Fault),
    /// Done with the job, neither paid nor slashed (no majority to judge by).
    Released,
}

/// Token accounts a settlement moves funds between.
pub struct SettlementVaults<'a, 'info> {
    pub token_program: &'a Interface<'info, TokenInterface>,
    pub mint: &'a InterfaceAccount<'info, Mint>,
    pub job_vault: &'a InterfaceAccount<'info, TokenAccount>,
    pub reward_vault: &'a InterfaceAccount<'info, TokenAccount>,
    pub stake_vault: &'a InterfaceAccount<'info, TokenAccount>,
    pub emission: &'a UncheckedAccount<'info>,
}

/// Totals of one settlement, for its event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    pub winners: u8,
    pub share: u64,
    pub fee: u64,
    pub work_reward: u64,
    pub slashed: u64,
}

/// Applies one verdict per replica: books everything first, mints pending emission,
/// then moves the tokens, and writes the replica accounts back.
pub fn apply_verdicts<'info>(
    config: &mut Account<'info, Config>,
    job: &Job,
    replicas: &mut [Replica<'info>],
    verdicts: &[Verdict],
    vaults: &SettlementVaults<'_, 'info>,
) -> Result<Settled> {
    let mut settled = Settled {
        winners: verdicts.iter().filter(|v| **v == Verdict::Paid).count() as u8,
        ..Settled::default()
    };
    if settled.winners > 0 {
        (settled.share, settled.fee) = split_reward(config, job.reward, u64::from(settled.winners))?;
    }
    let mut moves = Vec::with_capacity(replicas.len());
    for (replica, verdict) in replicas.iter_mut().zip(verdicts) {
        let amount = match verdict {
            Verdict::Paid => {
                let payment = pay(config, &mut replica.worker, settled.share, job.kind.work_units())?;
                settled.work_reward = math::add(settled.work_reward, payment.from_work_pool)?;
                payment.from_work_pool
            }
            Verdict::Slashed(fault) => {
                let amount = slash(config, &mut replica.worker, &mut replica.stake, *fault)?;
                settled.slashed = math::add(settled.slashed, amount)?;
                amount
            }
            Verdict::Released => {
                release(&mut replica.worker)?;
                0
            }
        };
        moves.push(amount);
    }

    vault::mint_emission(config, vaults.token_program, vaults.mint, vaults.reward_vault, vaults.emission)?;
    let pay = |from: &InterfaceAccount<'info, TokenAccount>, to: &InterfaceAccount<'info, TokenAccount>, amount| {
        vault::pay_out(config, vaults.token_program, vaults.mint, from, to, amount)
    };
    pay(vaults.job_vault, vaults.reward_vault, settled.fee)?;
    for ((replica, verdict), amount) in replicas.iter().zip(verdicts).zip(moves) {
        match verdict {
            Verdict::Paid => {
                pay(vaults.job_vault, &replica.payout, settled.share)?;
                pay(vaults.reward_vault, &replica.payout, amount)?;
            }
            Verdict::Slashed(_) => pay(vaults.stake_vault, vaults.reward_vault, amount)?,
            Verdict::Released => {}
        }
    }
    for replica in replicas.iter() {
        replica.worker.exit(&crate::ID)?;
        replica.stake.exit(&crate::ID)?;
    }
    Ok(settled)
}
