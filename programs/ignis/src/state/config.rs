use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError};

/// Tunable protocol parameters; validated as a whole by [`Params::validate`].
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct Params {
    /// Stake an operator must keep (not unbonding) for its worker to be assigned jobs.
    pub min_worker_stake: u64,
    /// Seconds between `request_unstake` and `withdraw`.
    pub unbonding_seconds: i64,
    /// Share of a worker operator's stake slashed when it misses a deadline.
    pub miss_slash_bps: u16,
    /// Share slashed when a worker submits a provably wrong result.
    pub fraud_slash_bps: u16,
    /// Share of every paid job reward kept by the protocol for stakers.
    pub protocol_fee_bps: u16,
    /// Longest execution window a poster may ask for, per assignment.
    pub max_execution_seconds: i64,
    /// Longest a posted job may wait for completion before it can be refunded.
    pub max_job_ttl_seconds: i64,
    /// Time replicas have to reveal once every commitment is in.
    pub reveal_window_seconds: i64,
    /// Time the verifier has to dispute a single-replica result before it stands.
    pub challenge_window_seconds: i64,
    /// Share of emission that goes to stakers; the rest pays verified work.
    pub staker_emission_bps: u16,
    /// Length of a work-rate epoch.
    pub epoch_seconds: i64,
    /// How long a settled job stays on chain before anyone may close it and return
    /// its rent to the poster. Every dispute and ruling happens before a job settles,
    /// so this only serves readers: clients and indexers.
    pub job_retention_seconds: i64,
    /// How long the orchestrator may go unheard (no `heartbeat`) before staked workers
    /// may claim open jobs themselves (`claim_job`), under the same rules as its
    /// assignments: the network keeps working while its workers live.
    pub orchestrator_timeout_seconds: i64,
    /// Mean time between a worker's capacity challenges; each comes between 0.5 and
    /// 1.5 times this after the last one ended, at a moment nobody knows in advance.
    pub challenge_interval_seconds: i64,
    /// A challenge is sized to at most this much work at the worker's rated hashrate
    /// and must be answered within twice this.
    pub challenge_work_seconds: i64,
    /// Share of a missing replica's slash paid to an SLA job's poster, fixed on the
    /// job when the SLA is bought.
    pub sla_compensation_bps: u16,
    /// Uptime over its window a worker needs to be assigned an SLA job.
    pub sla_min_uptime_bps: u16,
}

impl Params {
    pub fn validate(&self) -> Result<()> {
        let bps_ok = |bps: u16| u64::from(bps) <= BPS_DENOMINATOR;
        // A wrong or withheld result must cost at least as much as a miss, or hiding a
        // wrong result would be the cheaper fault.
        require!(
            bps_ok(self.miss_slash_bps)
                && bps_ok(self.fraud_slash_bps)
                && self.miss_slash_bps <= self.fraud_slash_bps,
            IgnisError::InvalidSlashRate
        );
        // The fee is what makes posting to one's own workers cost money; it must exist
        // and leave workers most of the reward.
        require!(
            (1..=MAX_PROTOCOL_FEE_BPS).contains(&self.protocol_fee_bps),
            IgnisError::InvalidProtocolFee
        );
        require!(self.unbonding_seconds >= 0, IgnisError::InvalidUnbondingPeriod);
        require!(
            self.max_execution_seconds >= MIN_EXECUTION_SECONDS,
            IgnisError::InvalidExecutionWindow
        );
        require!(self.max_job_ttl_seconds >= MIN_JOB_TTL_SECONDS, IgnisError::InvalidJobTtl);
        require!(
            self.reveal_window_seconds >= MIN_EXECUTION_SECONDS
                && self.challenge_window_seconds >= MIN_EXECUTION_SECONDS,
            IgnisError::InvalidVerificationWindow
        );
        require!(
            u64::from(self.staker_emission_bps) <= BPS_DENOMINATOR,
            IgnisError::InvalidEmissionShare
        );
        require!(self.epoch_seconds > 0, IgnisError::InvalidEpoch);
        require!(
            (0..=MAX_JOB_RETENTION_SECONDS).contains(&self.job_retention_seconds),
            IgnisError::InvalidRetention
        );
        require!(
            self.orchestrator_timeout_seconds >= MIN_ORCHESTRATOR_TIMEOUT_SECONDS,
            IgnisError::InvalidOrchestratorTimeout
        );
        // A challenge closes (answered or missed) before the next one can come.
        require!(
            self.challenge_work_seconds >= MIN_CHALLENGE_WORK_SECONDS
                && self.challenge_interval_seconds >= self.challenge_work_seconds.saturating_mul(4),
            IgnisError::InvalidChallengeTiming
        );
        require!(
            bps_ok(self.sla_compensation_bps) && bps_ok(self.sla_min_uptime_bps),
            IgnisError::InvalidSlaTerms
        );
        Ok(())
    }
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_worker_stake: defaults::MIN_WORKER_STAKE,
            unbonding_seconds: defaults::UNBONDING_SECONDS,
            miss_slash_bps: defaults::MISS_SLASH_BPS,
            fraud_slash_bps: defaults::FRAUD_SLASH_BPS,
            protocol_fee_bps: defaults::PROTOCOL_FEE_BPS,
            max_execution_seconds: defaults::MAX_EXECUTION_SECONDS,
            max_job_ttl_seconds: defaults::MAX_JOB_TTL_SECONDS,
            reveal_window_seconds: defaults::REVEAL_WINDOW_SECONDS,
            challenge_window_seconds: defaults::CHALLENGE_WINDOW_SECONDS,
            staker_emission_bps: defaults::STAKER_EMISSION_BPS,
            epoch_seconds: defaults::EPOCH_SECONDS,
            job_retention_seconds: defaults::JOB_RETENTION_SECONDS,
            orchestrator_timeout_seconds: defaults::ORCHESTRATOR_TIMEOUT_SECONDS,
            challenge_interval_seconds: defaults::CHALLENGE_INTERVAL_SECONDS,
            challenge_work_seconds: defaults::CHALLENGE_WORK_SECONDS,
            sla_compensation_bps: defaults::SLA_COMPENSATION_BPS,
            sla_min_uptime_bps: defaults::SLA_MIN_UPTIME_BPS,
        }
    }
}

/// Emission schedule, fixed at `initialize`: changing it later would break the promise
/// made to holders.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub struct EmissionSchedule {
    /// When emission starts (set to the `initialize` time).
    pub start: i64,
    /// Base units per second during the first halving interval.
    pub initial_rate: u64,
    pub halving_interval_seconds: i64,
    /// Most the schedule will ever mint.
    pub cap: u64,
    /// Work pool rate (Q32 base units per work unit) until the first retarget.
    pub initial_work_rate: u64,
}

impl EmissionSchedule {
    /// Bounded so that minting can never overflow the mint (`supply` is the mint's
    /// supply before emission) and the first halving interval releases no more than
    /// the cap.
    pub fn validate(&self, supply: u64) -> Result<()> {
        require!(self.halving_interval_seconds > 0, IgnisError::InvalidEmissionSchedule);
        require!(self.cap <= u64::MAX - supply, IgnisError::InvalidEmissionSchedule);
        let first_interval = u128::from(self.initial_rate) * self.halving_interval_seconds as u128;
        require!(first_interval <= u128::from(self.cap), IgnisError::InvalidEmissionSchedule);
        Ok(())
    }
}

impl Default for EmissionSchedule {
    fn default() -> Self {
        Self {
            start: 0,
            initial_rate: defaults::EMISSION_INITIAL_RATE,
            halving_interval_seconds: defaults::EMISSION_HALVING_SECONDS,
            cap: defaults::EMISSION_CAP,
            initial_work_rate: defaults::INITIAL_WORK_RATE,
        }
    }
}

/// Where every rewarded token stands. `reward_vault` holds `minted + fees + slashed -
/// work_allotted - claimed_closed - (every live stake's claimed_total)`; the shards'
/// vaults hold what was allotted to them and not yet paid.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct RewardState {
    /// Emission booked to stakers and the work pool so far: what the schedule has
    /// released, but never more than was minted.
    pub accrued: u64,
    /// Emission minted into `reward_vault` by `mint_emission`, about once an epoch and
    /// an epoch ahead of the schedule.
    pub minted: u64,
    /// Q64 rewards per bonded base unit, ever increasing.
    pub reward_per_share: u128,
    /// Staker rewards (emission share, fees, slashes) added to the accumulator.
    pub distributed: u64,
    /// Staker rewards that arrived while (almost) nobody was staked and went to the
    /// work pool instead, so no late dust staker collects them.
    pub to_work_pool_unstaked: u64,
    /// Staker rewards paid out by `claim_rewards` to stakes since closed. A live
    /// stake counts its own (`Stake::claimed_total`): claims leave the config unwritten.
    pub claimed_closed: u64,
    /// Work-pool emission not yet allotted to a shard.
    pub work_pool: u64,
    /// Everything that ever entered the work pool: each shard is due an equal share.
    pub work_into_pool: u64,
    /// Moved from `reward_vault` into the shards' work pools.
    pub work_allotted: u64,
    /// Base units per work unit, Q32.
    pub work_rate: u64,
    pub epoch: u64,
    pub epoch_start: i64,
    /// Work units the shards reported (`sync_shard`) during this epoch.
    pub epoch_work_units: u64,
    pub epoch_work_accrued: u64,
}

/// Protocol-wide running totals, written only off the hot paths (staking, slashes,
/// `sync_shard`); the jobs' totals live in their shards.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Totals {
    /// Sum of every `Stake::amount`.
    pub staked: u64,
    /// Sum of every `Stake::unbonding_amount`.
    pub unbonding: u64,
    /// Sum of every `Stake::activating_amount`: deposits not yet bonded.
    pub activating: u64,
    /// Protocol fees swept from the shards into `reward_vault`.
    pub fees: u64,
    /// Stake slashed and moved into `reward_vault`.
    pub slashed: u64,
    pub workers_registered: u32,
    /// Stake slashed and paid to SLA jobs' posters as compensation.
    pub sla_compensated: u64,
}

/// The worker set's challenge record, folded in from the shards by `sync_shard`: what
/// SLA premiums are priced by.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct NetworkUptime {
    /// Moving average of the share of challenges answered in time, in basis points.
    pub uptime_bps: u16,
    pub challenges_answered: u64,
    pub challenges_missed: u64,
}

impl NetworkUptime {
    /// Folds in one shard's challenge results since its last sync.
    pub fn fold(&mut self, answered: u64, missed: u64) -> Result<()> {
        self.challenges_answered = crate::math::add(self.challenges_answered, answered)?;
        self.challenges_missed = crate::math::add(self.challenges_missed, missed)?;
        let issued = u128::from(answered) + u128::from(missed);
        if let Some(sample) =
            (u128::from(answered) * u128::from(BPS_DENOMINATOR)).checked_div(issued)
        {
            let old = u128::from(self.uptime_bps);
            let divisor = u128::from(NETWORK_UPTIME_EMA_DIVISOR);
            // Both terms are at most 10,000: the result fits a u16.
            self.uptime_bps = ((old * (divisor - 1) + sample) / divisor) as u16;
        }
        Ok(())
    }
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Config {
    pub admin: Pubkey,
    /// The only key that may assign jobs to workers.
    pub orchestrator: Pubkey,
    /// The key that may attest or dispute single-replica kernel results.
    pub verifier: Pubkey,
    /// The IGN mint; its mint authority is the `["emission"]` PDA.
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub stake_vault: Pubkey,
    pub reward_vault: Pubkey,
    /// Supply of the mint when the protocol took over its mint authority.
    pub genesis_supply: u64,
    pub params: Params,
    pub emission: EmissionSchedule,
    pub rewards: RewardState,
    pub totals: Totals,
    pub paused: bool,
    /// Wall-clock time the current pause began (meaningful while `paused`).
    pub paused_at: i64,
    /// Total length of every finished pause: the protocol clock lags wall time by this.
    pub paused_seconds: i64,
    pub decimals: u8,
    pub bump: u8,
    pub emission_bump: u8,
    /// Protocol time the orchestrator was last heard from: its `heartbeat`, or its
    /// appointment (`initialize`, `set_authorities`).
    pub orchestrator_seen_at: i64,
    /// The slot each shard was last synced in (`sync_shard`): a deposit bonds only once
    /// every shard was synced after it, so no fee earned before it reaches it.
    pub shard_synced_slots: [u64; 16],
    pub network_uptime: NetworkUptime,
}

// `shard_synced_slots` has one entry per shard.
const _: () = assert!(SHARDS as usize == 16);

impl Config {
    /// Signer seeds of the config PDA, which owns every vault.
    pub fn signer_seeds(&self) -> [&[u8]; 2] {
        [CONFIG_SEED, std::slice::from_ref(&self.bump)]
    }

    /// The protocol clock at wall-clock time `now`: it stands still during a pause and
    /// then resumes where it stopped, so every deadline, window and unbonding period
    /// measured on it gets the paused time back. Emission alone runs on wall time.
    pub fn clock_at(&self, now: i64) -> i64 {
        let running_until = if self.paused { self.paused_at.min(now) } else { now };
        running_until.saturating_sub(self.paused_seconds)
    }

    /// The protocol clock now (see [`Config::clock_at`]).
    pub fn clock(&self) -> Result<i64> {
        Ok(self.clock_at(Clock::get()?.unix_timestamp))
    }

    /// Starts or ends a pause at wall-clock time `now`.
    pub fn set_paused(&mut self, paused: bool, now: i64) -> Result<()> {
        match (self.paused, paused) {
            (false, true) => self.paused_at = now,
            (true, false) => {
                let length = now.saturating_sub(self.paused_at).max(0);
                self.paused_seconds = crate::math::add_i64(self.paused_seconds, length)?;
            }
            _ => {}
        }
        self.paused = paused;
        Ok(())
    }

    /// `claim_job`'s rule at protocol time `now`: the orchestrator has been silent for
    /// longer than `orchestrator_timeout_seconds`.
    pub fn check_orchestrator_silent(&self, now: i64) -> Result<()> {
        require!(
            now > self
                .orchestrator_seen_at
                .saturating_add(self.params.orchestrator_timeout_seconds),
            IgnisError::OrchestratorActive
        );
        Ok(())
    }

    /// `activate_stake`'s rule in `slot`: a deposit bonds in a later slot than its own,
    /// once every shard has been synced after it. Fees wait in the shards until synced,
    /// so without the second part a deposit made on seeing a payout could bond before
    /// that payout's fee reached the stakers, and take a share of it.
    pub fn activation_due(&self, stake: &crate::state::Stake, slot: u64) -> bool {
        let swept_after = self.shard_synced_slots.iter().copied().min().unwrap_or(0);
        stake.activation_due(slot) && swept_after > stake.activating_slot
    }

    pub fn require_not_paused(&self) -> Result<()> {
        require!(!self.paused, IgnisError::ProtocolPaused);
        Ok(())
    }

    /// Protocol fee on a reward, rounded down so the worker never gets less than its share.
    pub fn fee_on(&self, reward: u64) -> Result<u64> {
        crate::math::bps_of(reward, self.params.protocol_fee_bps)
    }

    /// The least a poster of an SLA job with `replicas` replicas receives for each
    /// replica that misses its deadline: `sla_compensation_bps` of the miss slash of a
    /// worker at the minimum stake (workers with more stake lose, and pay, more).
    pub fn sla_min_compensation(&self) -> Result<u64> {
        let params = &self.params;
        let slash = crate::math::bps_of(params.min_worker_stake, params.miss_slash_bps)?;
        crate::math::bps_of(slash, params.sla_compensation_bps)
    }

    /// The SLA premium of a job with `replicas` replicas: the stakers give up the
    /// compensation share of every miss slash on the job, so they are paid
    /// [`SLA_PREMIUM_MARKUP`] times the expected compensation at the network's miss
    /// rate (at least [`SLA_MIN_MISS_BPS`]), and never nothing.
    pub fn sla_premium(&self, replicas: u8) -> Result<u64> {
        let miss_bps = BPS_DENOMINATOR
            .saturating_sub(u64::from(self.network_uptime.uptime_bps))
            .max(SLA_MIN_MISS_BPS);
        let expected = u128::from(self.sla_min_compensation()?)
            * u128::from(replicas)
            * u128::from(miss_bps)
            * u128::from(SLA_PREMIUM_MARKUP)
            / u128::from(BPS_DENOMINATOR);
        Ok(u64::try_from(expected).map_err(|_| error!(IgnisError::MathOverflow))?.max(1))
    }

    /// The smallest reward a job with `replicas` replicas may carry: one whose fee is
    /// at least one base unit per replica, so no job is free to post.
    pub fn min_reward(&self, replicas: u8) -> u64 {
        let bps = u128::from(self.params.protocol_fee_bps.max(1));
        let min = (u128::from(replicas) * u128::from(BPS_DENOMINATOR)).div_ceil(bps);
        u64::try_from(min).unwrap_or(u64::MAX)
    }
}
