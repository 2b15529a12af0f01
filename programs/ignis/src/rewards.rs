//! Emission, the stakers' reward-per-share accumulator and the work pool: pure
//! integer bookkeeping on the config, shards and stakes. Token movements live in
//! `vault.rs`.

use anchor_lang::prelude::*;

use crate::{
    constants::{MIN_REWARD_STAKE, REWARD_SHIFT, SHARDS, WORK_RATE_SHIFT},
    errors::IgnisError,
    math,
    state::{Config, EmissionSchedule, Shard, Stake},
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
    /// Brings emission accounting up to wall time `now`: what the schedule released
    /// since the last accrual, as far as it was minted, is split between stakers and the
    /// work pool. Also rolls the work-rate epoch. Only instructions that write the
    /// config accrue: staking, slashes and the cranks (`sync_shard`, `mint_emission`).
    pub fn accrue(&mut self, now: i64) -> Result<()> {
        let released = self.emission_bookable(now).max(self.rewards.accrued);
        let delta = math::sub(released, self.rewards.accrued)?;
        self.rewards.accrued = released;
        let to_stakers = math::bps_of(delta, self.params.staker_emission_bps)?;
        let to_work = math::sub(delta, to_stakers)?;
        self.distribute_to_stakers(to_stakers)?;
        self.add_to_work_pool(to_work)?;
        self.rewards.epoch_work_accrued = math::add(self.rewards.epoch_work_accrued, to_work)?;
        self.roll_epoch(now)
    }

    /// Emission `mint_emission` mints at wall time `now`: nothing while the minted
    /// emission still covers what the schedule has released; once it does not, the
    /// schedule's release up to one epoch past `now`. So the mint is written about once
    /// an epoch, and accrual (capped by what was minted) never waits for it when the
    /// crank runs on time.
    pub fn emission_to_mint(&self, now: i64) -> u64 {
        let elapsed = now.saturating_sub(self.emission.start);
        let minted = self.rewards.minted;
        if self.emission.emitted_after(elapsed) < minted {
            return 0;
        }
        let ahead = elapsed.saturating_add(self.params.epoch_seconds);
        self.emission.emitted_after(ahead).saturating_sub(minted)
    }

    /// Emission released by wall time `now` and minted, but not yet booked to the
    /// stakers and the work pool: the next config write (`sync_shard`) books it, so the
    /// crank syncs while this is above zero, busy network or not.
    pub fn emission_unbooked(&self, now: i64) -> u64 {
        self.emission_bookable(now).saturating_sub(self.rewards.accrued)
    }

    /// What accrual may have booked by wall time `now`: the schedule's release, as far
    /// as it was minted.
    fn emission_bookable(&self, now: i64) -> u64 {
        let released = self.emission.emitted_after(now.saturating_sub(self.emission.start));
        released.min(self.rewards.minted)
    }

    /// What `sync_shard` moves from the unallotted work pool into `shard`: every shard
    /// is due an equal share of all that ever entered the pool, so no shard's jobs are
    /// favoured; the rounding remainder waits in the pool.
    pub fn work_due(&self, shard: &Shard) -> u64 {
        (self.rewards.work_into_pool / u64::from(SHARDS))
            .saturating_sub(shard.work_allotted)
            .min(self.rewards.work_pool)
    }

    fn add_to_work_pool(&mut self, amount: u64) -> Result<()> {
        let rewards = &mut self.rewards;
        rewards.work_pool = math::add(rewards.work_pool, amount)?;
        rewards.work_into_pool = math::add(rewards.work_into_pool, amount)?;
        Ok(())
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
        let sharing = self.totals.staked.saturating_sub(excluded);
        if sharing < MIN_REWARD_STAKE {
            let rewards = &mut self.rewards;
            rewards.to_work_pool_unstaked = math::add(rewards.to_work_pool_unstaked, amount)?;
            return self.add_to_work_pool(amount);
        }
        let rewards = &mut self.rewards;
        let increment = (u128::from(amount) << REWARD_SHIFT) / u128::from(sharing);
        rewards.reward_per_share =
            rewards.reward_per_share.checked_add(increment).ok_or(IgnisError::MathOverflow)?;
        rewards.distributed = math::add(rewards.distributed, amount)?;
        Ok(())
    }

    /// `sync_shard`'s bookkeeping at wall time `now` in `slot`. First the shard's work
    /// units go to the retarget, before accruing (which may roll the epoch), so they
    /// count towards the epoch they were paid in unless reported only after it ended
    /// (then towards the next one). Then emission is accrued, the shard's fees go to the
    /// stakers and its due share of the work pool into its pool. Returns (fees to move
    /// to `reward_vault`, work pool to move into the shard).
    pub fn sync(&mut self, shard: &mut Shard, now: i64, slot: u64) -> Result<(u64, u64)> {
        let rewards = &mut self.rewards;
        rewards.epoch_work_units =
            rewards.epoch_work_units.saturating_add(shard.work_units_unreported);
        shard.work_units_unreported = 0;
        self.accrue(now)?;

        let synced = self
            .shard_synced_slots
            .get_mut(usize::from(shard.index))
            .ok_or(IgnisError::InvalidShardIndex)?;
        *synced = slot;
        self.network_uptime
            .fold(shard.challenges_answered_unreported, shard.challenges_missed_unreported)?;
        shard.challenges_answered_unreported = 0;
        shard.challenges_missed_unreported = 0;
        let fees = shard.fees_pending;
        shard.fees_pending = 0;
        shard.fees_swept = math::add(shard.fees_swept, fees)?;
        self.totals.fees = math::add(self.totals.fees, fees)?;
        self.distribute_to_stakers(fees)?;

        let due = self.work_due(shard);
        let rewards = &mut self.rewards;
        rewards.work_pool = math::sub(rewards.work_pool, due)?;
        rewards.work_allotted = math::add(rewards.work_allotted, due)?;
        shard.work_allotted = math::add(shard.work_allotted, due)?;
        shard.work_pool = math::add(shard.work_pool, due)?;
        Ok((fees, due))
    }

    /// Bonds `stake`'s deposit if [`Config::activation_due`] (see [`Stake::activate`]).
    pub fn activate_stake(&mut self, stake: &mut Stake, slot: u64) -> Result<u64> {
        if !self.activation_due(stake, slot) {
            return Ok(0);
        }
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

    /// What `claim_rewards` pays now: the rewards booked to the accumulator as the
    /// config was last written (`claim_rewards` does not accrue, so the config stays
    /// read-only; emission reaches the accumulator at the next config write, at the
    /// latest the next `sync_shard`).
    pub fn claimable_now(&self, config: &Config) -> Result<u64> {
        self.claimable(config.rewards.reward_per_share)
    }
}
