//! Emission, the stakers' reward-per-share accumulator and the work pool: pure
//! integer bookkeeping on the config and stakes. Token movements live in `vault.rs`.

use anchor_lang::prelude::*;

use crate::{
    constants::{MIN_REWARD_STAKE, REWARD_SHIFT, WORK_RATE_SHIFT},
    errors::IgnisError,
    math,
    state::{Config, EmissionSchedule, Stake},
};

impl EmissionSchedule {
    /// Tokens the schedule has released `elapsed` seconds after its start: the rate is
    /// `initial_rate >> k` per second during the k-th halving interval, and the total
    /// never exceeds the cap. This is the closed form every accrual follows exactly.
    pub fn emitted_after(&self, elapsed: i64) -> u64 {
        if elapsed <= 0 || self.initial_rate == 0 {
            return 0;
        }
        let elapsed = elapsed as u128;
        let interval = self.halving_interval_seconds.max(1) as u128;
        let rate = u128::from(self.initial_rate);
        let (full, rest) = (elapsed / interval, elapsed % interval);
        // Bounded by elapsed * initial_rate < 2^63 * 2^64: no u128 overflow.
        let mut total: u128 = 0;
        // After 64 halvings the rate is zero whatever it started at.
        for k in 0..full.min(64) {
            total += interval * (rate >> k);
        }
        if full < 64 {
            total += rest * (rate >> full);
        }
        total.min(u128::from(self.cap)) as u64
    }

    /// Base units per second the schedule releases at wall time `now`: `initial_rate >>
    /// k` in the k-th halving interval; 0 before the start and once the cap is reached.
    pub fn rate_at(&self, now: i64) -> u64 {
        let elapsed = now.saturating_sub(self.start);
        if elapsed < 0 || self.emitted_after(elapsed) >= self.cap {
            return 0;
        }
        let halvings = elapsed / self.halving_interval_seconds.max(1);
        if halvings >= 64 {
            0
        } else {
            self.initial_rate >> halvings
        }
    }
}

impl Config {
    /// Brings emission accounting up to `now`: what the schedule released since the last
    /// accrual is owed to the reward vault (minted by `vault::mint_emission`), split
    /// between stakers and the work pool. Also rolls the work-rate epoch.
    pub fn accrue(&mut self, now: i64) -> Result<()> {
        let released = self.emission.emitted_after(now.saturating_sub(self.emission.start));
        let delta = math::sub(released, self.rewards.accrued)?;
        self.rewards.accrued = released;
        let to_stakers = math::bps_of(delta, self.params.staker_emission_bps)?;
        let to_work = math::sub(delta, to_stakers)?;
        self.distribute_to_stakers(to_stakers)?;
        self.rewards.work_pool = math::add(self.rewards.work_pool, to_work)?;
        self.rewards.epoch_work_accrued = math::add(self.rewards.epoch_work_accrued, to_work)?;
        self.roll_epoch(now)
    }

    /// Adds `amount` to every bonded stake pro rata.
    pub fn distribute_to_stakers(&mut self, amount: u64) -> Result<()> {
        self.distribute_excluding(amount, 0)
    }

    /// Adds `amount` pro rata to every bonded stake but `excluded` bonded base units
    /// (a slashed operator's own stake, whose caller then resets its debt so it gets
    /// nothing of its own slash). With (almost) nobody else bonded it goes to the work
    /// pool instead: held back, it would go whole to the first dust staker.
    pub fn distribute_excluding(&mut self, amount: u64, excluded: u64) -> Result<()> {
        let rewards = &mut self.rewards;
        let sharing = self.totals.staked.saturating_sub(excluded);
        if sharing < MIN_REWARD_STAKE {
            rewards.to_work_pool_unstaked = math::add(rewards.to_work_pool_unstaked, amount)?;
            rewards.work_pool = math::add(rewards.work_pool, amount)?;
            return Ok(());
        }
        let increment = (u128::from(amount) << REWARD_SHIFT) / u128::from(sharing);
        rewards.reward_per_share =
            rewards.reward_per_share.checked_add(increment).ok_or(IgnisError::MathOverflow)?;
        rewards.distributed = math::add(rewards.distributed, amount)?;
        Ok(())
    }

    /// Pays `work_units` of verified work from the pool at the current rate (capped by
    /// what the pool holds) and counts them towards the epoch's retarget. The work is
    /// paid once per job however many replicas did it: replicas that share one
    /// computation across several keys earn no more than one worker would.
    /// Returns each of the `winners`' share; the rounding remainder stays in the pool.
    pub fn take_work_payment(&mut self, work_units: u64, winners: u64) -> Result<u64> {
        require!(winners > 0, IgnisError::MathOverflow);
        let rewards = &mut self.rewards;
        let owed = (u128::from(work_units) * u128::from(rewards.work_rate)) >> WORK_RATE_SHIFT;
        let share = u64::try_from(owed).unwrap_or(u64::MAX).min(rewards.work_pool) / winners;
        let paid = share.checked_mul(winners).ok_or(IgnisError::MathOverflow)?;
        rewards.work_pool = math::sub(rewards.work_pool, paid)?;
        rewards.work_paid = math::add(rewards.work_paid, paid)?;
        rewards.epoch_work_units = rewards.epoch_work_units.saturating_add(work_units);
        Ok(share)
    }

    /// Bonds `stake`'s deposit from an earlier slot, if any (see [`Stake::activate`]).
    pub fn activate_stake(&mut self, stake: &mut Stake, slot: u64) -> Result<u64> {
        let amount = stake.activate(slot, self.rewards.reward_per_share)?;
        self.totals.activating = math::sub(self.totals.activating, amount)?;
        self.totals.staked = math::add(self.totals.staked, amount)?;
        Ok(amount)
    }

    /// At the end of an epoch, sets the work rate to what would have paid out exactly
    /// the epoch's accrual for the work done, moved at most x2 or /2.
    fn roll_epoch(&mut self, now: i64) -> Result<()> {
        let rewards = &mut self.rewards;
        let epoch_end = math::add_i64(rewards.epoch_start, self.params.epoch_seconds)?;
        if now < epoch_end {
            return Ok(());
        }
        let old = rewards.work_rate;
        let target = if rewards.epoch_work_units == 0 {
            u128::MAX // no work at all: raise as far as allowed
        } else {
            (u128::from(rewards.epoch_work_accrued) << WORK_RATE_SHIFT)
                / u128::from(rewards.epoch_work_units)
        };
        let (low, high) = ((old / 2).max(1), old.saturating_mul(2).max(1));
        rewards.work_rate = target.clamp(u128::from(low), u128::from(high)) as u64;
        rewards.epoch = math::add(rewards.epoch, 1)?;
        rewards.epoch_start = now;
        rewards.epoch_work_units = 0;
        rewards.epoch_work_accrued = 0;
        Ok(())
    }
}

/// `amount * reward_per_share / 2^64` as (floor, whether it was inexact), computed in
/// two halves so it cannot overflow: amount * (rps >> 64) + (amount * low(rps)) >> 64.
fn scale(amount: u64, reward_per_share: u128) -> Result<(u128, bool)> {
    let amount = u128::from(amount);
    let high =
        amount.checked_mul(reward_per_share >> REWARD_SHIFT).ok_or(IgnisError::MathOverflow)?;
    let low = amount * (reward_per_share & u128::from(u64::MAX));
    let floor = high.checked_add(low >> REWARD_SHIFT).ok_or(IgnisError::MathOverflow)?;
    Ok((floor, low as u64 != 0))
}

impl Stake {
    /// Rewards this stake earned at `reward_per_share` and has not yet booked: the
    /// floor of its share less a debt booked as a ceiling, so no stake ever gets more
    /// than its exact share and stakers together never more than was distributed.
    fn earned(&self, reward_per_share: u128) -> Result<u64> {
        let (total, _) = scale(self.amount, reward_per_share)?;
        u64::try_from(total.saturating_sub(self.reward_debt))
            .map_err(|_| error!(IgnisError::MathOverflow))
    }

    /// Books earned rewards into `pending`. Call before `amount` changes, then
    /// [`Stake::reset_debt`] after.
    pub fn settle(&mut self, reward_per_share: u128) -> Result<()> {
        self.pending_rewards = math::add(self.pending_rewards, self.earned(reward_per_share)?)?;
        self.reset_debt(reward_per_share)
    }

    pub fn reset_debt(&mut self, reward_per_share: u128) -> Result<()> {
        let (floor, inexact) = scale(self.amount, reward_per_share)?;
        self.reward_debt = floor + u128::from(inexact);
        Ok(())
    }

    /// Booked plus not-yet-booked rewards: what `claim_rewards` would pay now.
    pub fn claimable(&self, reward_per_share: u128) -> Result<u64> {
        math::add(self.pending_rewards, self.earned(reward_per_share)?)
    }

    /// What `claim_rewards` would pay at wall time `now` (the chain's clock), with
    /// emission accrued up to then: for clients, which read `config` as last written.
    pub fn claimable_at(&self, config: &Config, now: i64) -> Result<u64> {
        let mut accrued = config.clone();
        accrued.accrue(now)?;
        self.claimable(accrued.rewards.reward_per_share)
    }
}
