//! Proven hardware: the capacity challenges a worker answers, and what they prove of it
//! (its proven and rated hashrate, its uptime). Every rule is a function of this state,
//! the protocol clock and the parameters; the program and the off-chain parts call the
//! same functions.

use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, math, state::Params};

/// A challenge a worker must answer before `deadline`: [`CHALLENGE_PROOFS`] strictly
/// increasing nonces, each with `pow_hash(seed, worker, nonce)` having `difficulty`
/// leading zero bits. The seed is drawn from the slot hash when it is issued, so
/// nobody can work on it before.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Challenge {
    pub seed: [u8; 32],
    pub difficulty: u8,
    pub issued_at: i64,
    pub deadline: i64,
}

impl Challenge {
    /// The work an answer proves, in work units (SHA-256 compressions): the expected
    /// hashes to find [`CHALLENGE_PROOFS`] nonces of its difficulty.
    pub fn work_units(&self) -> u64 {
        u64::from(CHALLENGE_PROOFS) << self.difficulty.min(MAX_POW_DIFFICULTY - 6)
    }

    /// Checks an answer by `worker` at protocol time `now`: in time, the right number
    /// of nonces, strictly increasing (so no nonce counts twice) and each meeting the
    /// difficulty for this worker's key (so nobody else's answer serves).
    pub fn check_answer(&self, worker: &Pubkey, nonces: &[u64], now: i64) -> Result<()> {
        require!(now <= self.deadline, IgnisError::ChallengeExpired);
        require!(nonces.len() == usize::from(CHALLENGE_PROOFS), IgnisError::ChallengeAnswerSize);
        require!(nonces.windows(2).all(|pair| pair[0] < pair[1]), IgnisError::ChallengeAnswerOrder);
        for nonce in nonces {
            let hash = crate::pow::pow_hash(&self.seed, worker, *nonce);
            require!(
                crate::pow::meets_difficulty(&hash, self.difficulty),
                IgnisError::InsufficientWork
            );
        }
        Ok(())
    }
}

/// What the challenges have proven of a worker.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Capacity {
    /// The hashrate assignment trusts (with the claim, whichever is lower:
    /// [`Capacity::effective_hashrate`]). The claim at registration; cut to the proven
    /// hashrate when that falls below [`CLAIM_TOLERANCE_BPS`] of the claim, halved by
    /// each missed challenge, and raised again only by answers.
    pub rated_hashrate: u64,
    /// Moving average of the rates the answers proved; 0 before the first answer.
    pub proven_hashrate: u64,
    /// The challenge waiting for an answer, if any.
    pub open: Option<Challenge>,
    /// When the last challenge was answered or missed (or the worker registered): the
    /// next may come from half an interval after.
    pub last_challenge_end: i64,
    /// One bit per challenge of the window, newest lowest: 1 answered in time.
    pub uptime_bits: u64,
    /// Challenges in the window so far (at most [`UPTIME_WINDOW`]).
    pub uptime_window: u8,
    pub consecutive_misses: u8,
    pub challenges_answered: u64,
    pub challenges_missed: u64,
    /// Work units of the jobs it was paid for: over its rated hashrate, the
    /// compute-hours it served.
    pub work_units_served: u64,
    /// Deadlines of SLA jobs it missed.
    pub sla_breaches: u64,
}

/// What an answered challenge proved, for its event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proven {
    pub work_units: u64,
    pub elapsed: i64,
    /// The rate this answer proved.
    pub rate: u64,
}

impl Capacity {
    /// A worker registering at `now` with hashrate `claim`: trusted at its claim until
    /// its first challenge, which is due at once.
    pub fn fresh(claim: u64, now: i64, params: &Params) -> Self {
        let mut capacity = Self { rated_hashrate: claim, ..Self::default() };
        capacity.reregister(now, params);
        capacity
    }

    /// A worker registering again keeps its record; its next challenge is due at once
    /// (the last one "ended" 1.5 intervals ago, where `challenge_due` is certain).
    pub fn reregister(&mut self, now: i64, params: &Params) {
        self.last_challenge_end =
            now.saturating_sub(params.challenge_interval_seconds.saturating_mul(3) / 2);
    }

    /// The hashrate the feasibility rule uses: the rated one, never above the claim.
    /// Raising the claim (`update_worker`) raises nothing until challenges prove it.
    pub fn effective_hashrate(&self, claim: u64) -> u64 {
        self.rated_hashrate.min(claim)
    }

    /// Whether the worker is out of new assignments: it missed its last
    /// [`CHALLENGE_MISSES_TO_SUSPEND`] challenges. Answering one lifts it.
    pub fn suspended(&self) -> bool {
        self.consecutive_misses >= CHALLENGE_MISSES_TO_SUSPEND
    }

    /// Hours of work served at the rated hashrate (0 while the rating is 0).
    pub fn compute_hours(&self) -> f64 {
        if self.rated_hashrate == 0 {
            return 0.0;
        }
        self.work_units_served as f64 / self.rated_hashrate as f64 / 3_600.0
    }

    /// Whether any challenge was ever answered: SLA jobs go only to proven workers.
    pub fn proven(&self) -> bool {
        self.challenges_answered > 0
    }

    /// Challenges answered in time over those issued, over the window, in basis points
    /// (10,000 before the first challenge closes).
    pub fn uptime_bps(&self) -> u16 {
        if self.uptime_window == 0 {
            return BPS_DENOMINATOR as u16;
        }
        let window = u32::from(self.uptime_window.min(UPTIME_WINDOW));
        let mask = if window >= 64 { u64::MAX } else { (1u64 << window) - 1 };
        let answered = (self.uptime_bits & mask).count_ones();
        (answered * BPS_DENOMINATOR as u32 / window) as u16
    }

    /// Whether the open challenge's deadline has passed at `now`.
    pub fn challenge_missed(&self, now: i64) -> bool {
        self.open.is_some_and(|challenge| now > challenge.deadline)
    }

    /// Whether a challenge is due at `now`, for `draw` (a number nobody knew before the
    /// slot it is drawn in: [`crate::pow::challenge_draw`]): none open, and the moment
    /// it is drawn at has come. From half an interval after the last challenge ended,
    /// a draw fires with a chance that grows with the time since, up to certainty at
    /// one and a half intervals: the worker cannot know when it will be challenged.
    pub fn challenge_due(&self, now: i64, params: &Params, draw: u64) -> bool {
        let interval = params.challenge_interval_seconds.max(1);
        let since = now.saturating_sub(self.last_challenge_end).saturating_sub(interval / 2);
        self.open.is_none() && since >= 0 && (draw % interval as u64) <= since as u64
    }

    /// The difficulty of a challenge for a worker with effective `hashrate`: the
    /// largest whose [`CHALLENGE_PROOFS`] nonces take at most `challenge_work_seconds`
    /// at that rate (so between half of it and all of it).
    pub fn challenge_difficulty(hashrate: u64, params: &Params) -> u8 {
        let work = u128::from(hashrate) * u128::from(params.challenge_work_seconds.max(1) as u64);
        let per_nonce = (work / u128::from(CHALLENGE_PROOFS)).max(1);
        let bits = 127 - per_nonce.leading_zeros();
        bits.min(u32::from(MAX_POW_DIFFICULTY - 6)) as u8
    }

    /// Opens a challenge with `seed` at `now`, sized to `hashrate`.
    pub fn issue(&mut self, seed: [u8; 32], hashrate: u64, now: i64, params: &Params) -> Challenge {
        let challenge = Challenge {
            seed,
            difficulty: Self::challenge_difficulty(hashrate, params),
            issued_at: now,
            deadline: now.saturating_add(params.challenge_work_seconds.saturating_mul(2)),
        };
        self.open = Some(challenge);
        challenge
    }

    fn close(&mut self, answered: bool, now: i64) {
        self.open = None;
        self.last_challenge_end = now;
        self.uptime_bits = (self.uptime_bits << 1) | u64::from(answered);
        self.uptime_window = self.uptime_window.saturating_add(1).min(UPTIME_WINDOW);
    }

    /// Books the open challenge as missed at `now`: its window records a miss and the
    /// rated hashrate halves (so the next challenge is half the size). No stake is
    /// slashed: a miss lowers the worker's standing first.
    pub fn record_miss(&mut self, now: i64) -> Result<()> {
        require!(self.challenge_missed(now), IgnisError::ChallengeNotDue);
        self.close(false, now);
        self.challenges_missed = math::add(self.challenges_missed, 1)?;
        self.consecutive_misses = self.consecutive_misses.saturating_add(1);
        self.rated_hashrate = (self.rated_hashrate / 2).max(1);
        Ok(())
    }

    /// Books an answer (already checked by [`Challenge::check_answer`]) at `now`, for a
    /// worker claiming `claim`: the rate it proved joins the moving average, and the
    /// rated hashrate becomes the claim while the average holds within
    /// [`CLAIM_TOLERANCE_BPS`] of it, the average otherwise.
    pub fn record_answer(&mut self, claim: u64, now: i64) -> Result<Proven> {
        let challenge = self.open.ok_or(IgnisError::NoOpenChallenge)?;
        let work_units = challenge.work_units();
        let elapsed = now.saturating_sub(challenge.issued_at).max(1);
        let rate = work_units / elapsed as u64;
        self.proven_hashrate = if self.proven() {
            let old = self.proven_hashrate;
            // old + (rate - old) / divisor, without going negative.
            let moved = old.abs_diff(rate) / PROVEN_EMA_DIVISOR;
            if rate >= old {
                old.saturating_add(moved)
            } else {
                old - moved
            }
        } else {
            rate
        };
        let holds = u128::from(self.proven_hashrate) * u128::from(BPS_DENOMINATOR)
            >= u128::from(claim) * u128::from(CLAIM_TOLERANCE_BPS);
        self.rated_hashrate = if holds { claim } else { self.proven_hashrate.max(1) };
        self.close(true, now);
        self.challenges_answered = math::add(self.challenges_answered, 1)?;
        self.consecutive_misses = 0;
        Ok(Proven { work_units, elapsed, rate })
    }
}
