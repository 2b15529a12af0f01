// What `claim_rewards` pays now, computed from the Config and Stake accounts exactly
// as the program does (`Stake::claimable_now`, programs/ignis/src/rewards.rs):
// pending + floor(amount * reward_per_share / 2^64) - debt, with the Q64
// reward-per-share accumulator as the Config stores it. `claim_rewards` does not accrue
// emission: the orchestrator's `sync_shard` crank books emission and the shards' fees
// into the accumulator every few seconds, and what it booked is what can be claimed.
//
// Only bonded stake (`Stake::amount`, summed in `Totals::staked`) earns. A deposit is
// "activating" until it is bonded (`activate_stake`, `Config::activation_due`): in a
// later slot than its own, once every shard has been synced after it, which takes a few
// seconds with the crank running. It earns nothing before. While less than
// MIN_REWARD_STAKE is bonded in total, the stakers' share goes to the work pool
// (`RewardState::to_work_pool_unstaked`): no later staker gets it.

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

/** The Config fields the estimates here read. */
export interface ConfigLike {
  params: { stakerEmissionBps: number };
  emission: EmissionLike;
  rewards: { rewardPerShare: bigint };
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

/** `scale`: floor(amount * rps / 2^64). */
function scale(amount: bigint, rewardPerShare: bigint): bigint {
  return (amount * rewardPerShare) >> REWARD_SHIFT;
}

/**
 * `Stake::claimable_now`: what `claim_rewards` pays now, the rewards booked plus what
 * the bonded `amount` earned at the accumulator as the Config stores it.
 */
export function claimableRewards(config: Pick<ConfigLike, 'rewards'>, stake: StakeLike): bigint {
  const total = scale(stake.amount, config.rewards.rewardPerShare);
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
