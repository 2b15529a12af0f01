// What `claim_rewards` would pay now, computed from the Config and Stake accounts
// exactly as the program does (programs/ignis/src/rewards.rs): accrue emission up to
// `now`, spread the stakers' share over the bonded stake through the Q64
// reward-per-share accumulator, then pending + floor(amount * rps / 2^64) - debt.
//
// Only bonded stake (`Stake::amount`, summed in `Totals::staked`) earns. A deposit is
// "activating" until a later slot bonds it (`activate_stake`), and earns nothing
// before. While less than MIN_REWARD_STAKE is bonded in total, the stakers' share goes
// to the work pool (`RewardState::to_work_pool_unstaked`): no later staker gets it.

const U64_MAX = (1n << 64n) - 1n;
const REWARD_SHIFT = 64n;
export const MIN_REWARD_STAKE = 1_000_000n;
const BPS = 10_000n;

export interface EmissionLike {
  start: bigint;
  initialRate: bigint;
  halvingIntervalSeconds: bigint;
  cap: bigint;
}

export interface ConfigLike {
  params: { stakerEmissionBps: number; unbondingSeconds: bigint };
  emission: EmissionLike;
  rewards: { accrued: bigint; rewardPerShare: bigint };
  /** `staked`: bonded stake only; deposits still activating are not in it. */
  totals: { staked: bigint };
}

export interface StakeLike {
  /** Bonded: the only part that earns. */
  amount: bigint;
  rewardDebt: bigint;
  pendingRewards: bigint;
  /** Deposited but not bonded yet: earns nothing, so it plays no part here. */
  activatingAmount?: bigint;
}

/** `EmissionSchedule::emitted_after`: released by the schedule `elapsed` seconds in. */
export function emittedAfter(e: EmissionLike, elapsed: bigint): bigint {
  if (elapsed <= 0n || e.initialRate === 0n) return 0n;
  const interval = e.halvingIntervalSeconds > 0n ? e.halvingIntervalSeconds : 1n;
  const full = elapsed / interval;
  const rest = elapsed % interval;
  let total = 0n;
  const halvings = full < 64n ? full : 64n;
  for (let k = 0n; k < halvings; k++) total += interval * (e.initialRate >> k);
  if (full < 64n) total += rest * (e.initialRate >> full);
  return total < e.cap ? total : e.cap;
}

/** Emission per second the schedule releases at `now` (0 once the cap is reached). */
export function emissionRateAt(e: EmissionLike, now: bigint): bigint {
  const elapsed = now - e.start;
  if (elapsed < 0n) return 0n;
  if (emittedAfter(e, elapsed) >= e.cap) return 0n;
  const interval = e.halvingIntervalSeconds > 0n ? e.halvingIntervalSeconds : 1n;
  const k = elapsed / interval;
  return k >= 64n ? 0n : e.initialRate >> k;
}

const bpsOf = (amount: bigint, bps: number) => (amount * BigInt(bps)) / BPS;

/**
 * The accumulator after `Config::accrue(now)` (only the part stakers' rewards depend
 * on): the stakers' share of emission released since the last accrual, per bonded base
 * unit. With less than MIN_REWARD_STAKE bonded it goes to the work pool instead
 * (`distribute_excluding`), leaving the accumulator where it is.
 */
export function rewardPerShareAt(config: ConfigLike, now: bigint): bigint {
  const released = emittedAfter(config.emission, now - config.emission.start);
  const delta = released > config.rewards.accrued ? released - config.rewards.accrued : 0n;
  const toStakers = bpsOf(delta, config.params.stakerEmissionBps);
  const staked = config.totals.staked;
  if (staked < MIN_REWARD_STAKE) return config.rewards.rewardPerShare;
  return config.rewards.rewardPerShare + (toStakers << REWARD_SHIFT) / staked;
}

/** `scale`: floor(amount * rps / 2^64). */
function scale(amount: bigint, rewardPerShare: bigint): bigint {
  return (amount * rewardPerShare) >> REWARD_SHIFT;
}

/** `Stake::claimable` at `now`: what the bonded `amount` earned, plus what is booked. */
export function claimableRewards(config: ConfigLike, stake: StakeLike, now: bigint): bigint {
  const rps = rewardPerShareAt(config, now);
  const total = scale(stake.amount, rps);
  const earned = total > stake.rewardDebt ? total - stake.rewardDebt : 0n;
  const claimable = stake.pendingRewards + earned;
  return claimable > U64_MAX ? U64_MAX : claimable;
}

/**
 * Estimated IGN per second a bonded stake of `stakeAmount` earns from emission alone
 * (fees and slashes come on top): its share of the stakers' part of the current
 * emission rate. Nothing while too little is bonded for stakers to be paid at all.
 */
export function stakeEmissionPerSecond(config: ConfigLike, stakeAmount: bigint, now: bigint): bigint {
  const staked = config.totals.staked;
  if (staked < MIN_REWARD_STAKE || stakeAmount === 0n) return 0n;
  const rate = bpsOf(emissionRateAt(config.emission, now), config.params.stakerEmissionBps);
  return (rate * stakeAmount) / staked;
}
