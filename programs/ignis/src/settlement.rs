//! What happens to a replica when its job settles: paid, slashed or released. The
//! bookkeeping functions only count; `apply_verdicts` also moves the tokens.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    errors::IgnisError,
    math,
    state::{Config, Job, JobStatus, Ruling, Shard, Stake, Worker},
    vault,
};

/// Why a worker is slashed, which sets the rate and the reputation counter. Each is a
/// fault the chain can prove of that worker: a deadline it let pass, a commitment it
/// never opened, or a result the verifier showed wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Missed its deadline: no PoW submission or no commitment.
    Missed,
    /// Committed and then never revealed: hiding a result is treated as a wrong one
    /// (otherwise a replica that sees it is outvoted would withhold at the miss rate).
    Withheld,
    /// Revealed a result the verifier showed to be wrong.
    WrongResult,
}

impl Fault {
    pub fn slash_bps(self, params: &crate::state::Params) -> u16 {
        match self {
            Fault::Missed => params.miss_slash_bps,
            Fault::Withheld | Fault::WrongResult => params.fraud_slash_bps,
        }
    }
}

/// What one paid replica receives: its share of the escrow and of the work pool, both
/// from its job's shard vault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Payment {
    pub from_escrow: u64,
    pub from_work_pool: u64,
}

/// Splits a job's reward: the protocol fee stays in the shard for the stakers (until
/// `sync_shard` hands it over), the rest goes in equal shares to the `winners`; the
/// rounding remainder joins the fee so the escrow empties exactly.
/// Returns (share per winner, fee).
pub fn split_reward(
    config: &Config,
    shard: &mut Shard,
    reward: u64,
    winners: u64,
) -> Result<(u64, u64)> {
    require!(winners > 0, IgnisError::MathOverflow);
    let fee = config.fee_on(reward)?;
    let net = math::sub(reward, fee)?;
    let share = net / winners;
    let fee = math::sub(reward, share.checked_mul(winners).ok_or(IgnisError::MathOverflow)?)?;
    shard.fees_pending = math::add(shard.fees_pending, fee)?;
    shard.escrowed = math::sub(shard.escrowed, reward)?;
    shard.jobs_completed = math::add(shard.jobs_completed, 1)?;
    Ok((share, fee))
}

/// Books a winning replica of a job of `work_units`: its escrow share plus
/// `from_work_pool` (taken from the shard's pool by the caller, only for verified
/// work).
pub fn pay(
    shard: &mut Shard,
    worker: &mut Worker,
    work_units: u64,
    share: u64,
    from_work_pool: u64,
) -> Result<Payment> {
    shard.paid_to_workers = math::add(shard.paid_to_workers, share)?;
    release(worker)?;
    worker.jobs_completed = math::add(worker.jobs_completed, 1)?;
    let served = &mut worker.capacity.work_units_served;
    *served = served.saturating_add(work_units);
    worker.earned_total = math::add(worker.earned_total, math::add(share, from_work_pool)?)?;
    Ok(Payment { from_escrow: share, from_work_pool })
}

/// A slash, split between the stakers and (for an SLA job) its poster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slashed {
    /// All the stake taken from the operator.
    pub total: u64,
    /// Its share paid to the SLA job's poster; the rest goes to `reward_vault`.
    pub compensation: u64,
}

impl Slashed {
    pub fn to_stakers(&self) -> Result<u64> {
        math::sub(self.total, self.compensation)
    }
}

/// Books a slash of the worker's operator at the fault's rate. `compensation_bps` of it
/// goes to an SLA job's poster (0 for other jobs); the rest goes to the other stakers:
/// the operator's own remaining stake gets none of it, or a big staker would take most
/// of its own slash back. The caller moves `to_stakers()` from `stake_vault` to
/// `reward_vault` and the compensation to the poster.
pub fn slash(
    config: &mut Config,
    worker: &mut Worker,
    stake: &mut Stake,
    fault: Fault,
    compensation_bps: u16,
) -> Result<Slashed> {
    let slashed = stake.slash(fault.slash_bps(&config.params), config.rewards.reward_per_share)?;
    let amount = slashed.total()?;
    let compensation = math::bps_of(amount, compensation_bps)?;
    let to_stakers = math::sub(amount, compensation)?;
    let totals = &mut config.totals;
    totals.staked = math::sub(totals.staked, slashed.from_bonded)?;
    totals.unbonding = math::sub(totals.unbonding, slashed.from_unbonding)?;
    totals.slashed = math::add(totals.slashed, to_stakers)?;
    totals.sla_compensated = math::add(totals.sla_compensated, compensation)?;
    config.distribute_excluding(to_stakers, stake.amount)?;
    // Booked at the new accumulator: the operator forfeits its share of its own slash.
    stake.reset_debt(config.rewards.reward_per_share)?;

    release(worker)?;
    worker.slashed_total = math::add(worker.slashed_total, amount)?;
    match fault {
        Fault::Missed => worker.jobs_missed = math::add(worker.jobs_missed, 1)?,
        Fault::Withheld | Fault::WrongResult => {
            worker.jobs_disputed = math::add(worker.jobs_disputed, 1)?
        }
    }
    Ok(Slashed { total: amount, compensation })
}

/// Books a job's whole escrow going back to its poster (cancelled or refunded) and
/// returns the amount to move from its shard's vault.
pub fn return_escrow(
    shard: &mut Shard,
    job: &mut Job,
    outcome: JobStatus,
    now: i64,
) -> Result<u64> {
    shard.escrowed = math::sub(shard.escrowed, job.reward)?;
    match outcome {
        JobStatus::Cancelled => shard.jobs_cancelled = math::add(shard.jobs_cancelled, 1)?,
        JobStatus::Refunded => shard.jobs_refunded = math::add(shard.jobs_refunded, 1)?,
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

/// Settles a PoW job on its assigned worker's proof (`Job::check_pow`): the job is
/// completed and the worker is owed its escrow share after the fee plus the work pool's
/// pay for the job's work units, both from the job's shard vault. Only counts: the
/// caller moves `paid + work_reward` from that vault. For `submit_pow` and
/// `submit_pows` alike.
pub fn settle_pow(
    config: &Config,
    shard: &mut Shard,
    worker: &mut Worker,
    worker_key: Pubkey,
    job: &mut Job,
    nonce: u64,
    now: i64,
) -> Result<crate::events::PowSubmitted> {
    let hash = job.check_pow(&worker_key, nonce, now)?;
    require!(shard.index == Shard::index_of(job.id), IgnisError::WrongShard);
    // The hash was checked on chain: verified work, paid from the work pool too.
    let (share, fee) = split_reward(config, shard, job.reward, 1)?;
    let from_work_pool =
        shard.take_work_payment(config.rewards.work_rate, job.kind.work_units(), 1)?;
    let payment = pay(shard, worker, job.kind.work_units(), share, from_work_pool)?;
    job.status = JobStatus::Completed;
    job.completed_at = now;
    job.result_hash = hash;
    job.pow_nonce = nonce;
    Ok(crate::events::PowSubmitted {
        job_id: job.id,
        worker: worker_key,
        nonce,
        hash,
        paid: payment.from_escrow,
        work_reward: payment.from_work_pool,
        fee,
        completed_at: now,
    })
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

/// The verdict on every live replica of a kernel job under `ruling`, and the result
/// it completes with (none: the job goes back to the queue). Only proven faults are
/// slashed: a missed deadline, a commitment never opened, or a result other than the
/// one the verifier attested (or any, when it disputed them all). A disagreement the
/// verifier did not settle is released, neither paid nor slashed.
pub fn verdicts(job: &Job, ruling: Ruling) -> (Vec<Verdict>, Option<[u8; 32]>) {
    let live = job.live_assignments();
    let winner = match ruling {
        Ruling::Attested(hash) => Some(hash),
        Ruling::Disputed => None,
        Ruling::Unverified => {
            // Unanimous among those revealed, by a strict majority of all replicas.
            let mut revealed = live.iter().filter(|a| a.revealed).map(|a| a.result_hash);
            let first = revealed.clone().next();
            first.filter(|hash| {
                let count = revealed.clone().count();
                revealed.all(|other| other == *hash) && 2 * count > usize::from(job.replicas)
            })
        }
    };
    let verdicts = live
        .iter()
        .map(|a| match (a.committed, a.revealed) {
            (false, _) => Verdict::Slashed(Fault::Missed),
            (true, false) => Verdict::Slashed(Fault::Withheld),
            (true, true) => match (ruling, winner) {
                (_, Some(hash)) if a.result_hash == hash => Verdict::Paid,
                (Ruling::Attested(_) | Ruling::Disputed, _) => Verdict::Slashed(Fault::WrongResult),
                (Ruling::Unverified, _) => Verdict::Released,
            },
        })
        .collect();
    (verdicts, winner)
}

/// Token accounts a settlement moves funds between. `stake_vault` and `reward_vault`
/// (and the config) need only be writable when a replica is slashed.
pub struct SettlementVaults<'a, 'info> {
    pub token_program: &'a Interface<'info, TokenInterface>,
    pub mint: &'a InterfaceAccount<'info, Mint>,
    pub shard_vault: &'a InterfaceAccount<'info, TokenAccount>,
    pub reward_vault: &'a InterfaceAccount<'info, TokenAccount>,
    pub stake_vault: &'a InterfaceAccount<'info, TokenAccount>,
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

/// Whether settling with `verdicts` slashes anyone: only then does it write the
/// config, the stake vault and the reward vault. Clients pass those writable exactly
/// when this says so (they call it on the job as they read it).
pub fn slashes(verdicts: &[Verdict]) -> bool {
    verdicts.iter().any(|v| matches!(v, Verdict::Slashed(_)))
}

/// Applies one verdict per replica: books everything first, then moves the tokens,
/// and writes the replica accounts back (and the config, when someone was slashed).
/// With `verified`, the job's work units are paid from the shard's work pool once,
/// split among the winners.
pub fn apply_verdicts<'info>(
    config: &mut Account<'info, Config>,
    shard: &mut Shard,
    job: &Job,
    replicas: &mut [Replica<'info>],
    verdicts: &[Verdict],
    verified: bool,
    vaults: &SettlementVaults<'_, 'info>,
) -> Result<Settled> {
    let slashing = slashes(verdicts);
    if slashing {
        // A slash changes the bonded total and the stakers' accumulator: the only
        // settlement that writes the config, so only a proven fault serializes on it.
        require!(
            config.to_account_info().is_writable
                && vaults.stake_vault.to_account_info().is_writable
                && vaults.reward_vault.to_account_info().is_writable,
            IgnisError::SlashAccountsReadOnly
        );
        config.accrue(Clock::get()?.unix_timestamp)?;
    }
    let mut settled = Settled {
        winners: verdicts.iter().filter(|v| **v == Verdict::Paid).count() as u8,
        ..Settled::default()
    };
    let mut work_share = 0;
    if settled.winners > 0 {
        (settled.share, settled.fee) =
            split_reward(config, shard, job.reward, u64::from(settled.winners))?;
        if verified {
            work_share = shard.take_work_payment(
                config.rewards.work_rate,
                job.kind.work_units(),
                u64::from(settled.winners),
            )?;
        }
    }
    let mut moves = Vec::with_capacity(replicas.len());
    for (replica, verdict) in replicas.iter_mut().zip(verdicts) {
        let amount = match verdict {
            Verdict::Paid => {
                let units = job.kind.work_units();
                let payment = pay(shard, &mut replica.worker, units, settled.share, work_share)?;
                settled.work_reward = math::add(settled.work_reward, payment.from_work_pool)?;
                math::add(payment.from_escrow, payment.from_work_pool)?
            }
            Verdict::Slashed(fault) => {
                let amount =
                    slash(config, &mut replica.worker, &mut replica.stake, *fault, 0)?.total;
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

    let pay = |from: &InterfaceAccount<'info, TokenAccount>,
               to: &InterfaceAccount<'info, TokenAccount>,
               amount| {
        vault::pay_out(config, vaults.token_program, vaults.mint, from, to, amount)
    };
    for ((replica, verdict), amount) in replicas.iter().zip(verdicts).zip(moves) {
        match verdict {
            // Escrow share and work-pool pay sit in the same shard vault: one transfer.
            Verdict::Paid => pay(vaults.shard_vault, &replica.payout, amount)?,
            Verdict::Slashed(_) => pay(vaults.stake_vault, vaults.reward_vault, amount)?,
            Verdict::Released => {}
        }
    }
    for (replica, verdict) in replicas.iter().zip(verdicts) {
        replica.worker.exit(&crate::ID)?;
        if matches!(verdict, Verdict::Slashed(_)) {
            replica.stake.exit(&crate::ID)?;
        }
    }
    if slashing {
        config.exit(&crate::ID)?;
    }
    Ok(settled)
}
