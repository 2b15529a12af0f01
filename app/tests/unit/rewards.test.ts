// The claimable-rewards figure follows `Stake::claimable_now` (programs/ignis/src/rewards.rs):
// the accumulator as the Config stores it, no accrual up to the present.
import { describe, expect, it } from 'vitest';
import {
  claimableRewards,
  emissionRateAt,
  emittedAfter,
  MIN_REWARD_STAKE,
  stakeEmissionPerSecond,
  type ConfigLike,
} from '../../src/lib/rewards';

const IGN = 1_000_000_000n;
const Q64 = 1n << 64n;
const emission = { start: 1_000n, initialRate: IGN, halvingIntervalSeconds: 100n, cap: 1_000_000n * IGN };
const config = (over: { rewardPerShare?: bigint; staked?: bigint } = {}): ConfigLike => ({
  params: { stakerEmissionBps: 5_000 },
  emission,
  rewards: { rewardPerShare: over.rewardPerShare ?? 0n },
  totals: { staked: over.staked ?? 1_000n * IGN },
});

describe('emission schedule', () => {
  it('halves every interval and stops at the cap (emitted_after)', () => {
    expect(emittedAfter(emission, 0n)).toBe(0n);
    expect(emittedAfter(emission, -5n)).toBe(0n);
    expect(emittedAfter(emission, 50n)).toBe(50n * IGN);
    expect(emittedAfter(emission, 150n)).toBe(100n * IGN + 50n * (IGN / 2n));
    expect(emittedAfter({ ...emission, cap: 120n * IGN }, 150n)).toBe(120n * IGN);
    // After 64 halvings nothing more is released.
    expect(emittedAfter(emission, 100n * 70n)).toBe(emittedAfter(emission, 100n * 64n));
  });

  it('reports the current rate', () => {
    expect(emissionRateAt(emission, 1_000n)).toBe(IGN);
    expect(emissionRateAt(emission, 1_150n)).toBe(IGN / 2n);
    expect(emissionRateAt(emission, 500n)).toBe(0n);
    expect(emissionRateAt({ ...emission, cap: 10n * IGN }, 1_050n)).toBe(0n);
  });
});

describe('claimable rewards (Stake::claimable_now)', () => {
  it('is pending plus floor(amount * reward_per_share / 2^64) minus the debt', () => {
    // 5 IGN booked per 1000 IGN bonded: 0.005 per base unit, as Q64.
    const rps = (5n * IGN * Q64) / (1_000n * IGN);
    const stake = { amount: 1_000n * IGN, rewardDebt: 0n, pendingRewards: 7n };
    const claim = claimableRewards(config({ rewardPerShare: rps }), stake);
    expect(claim).toBe(7n + ((stake.amount * rps) >> 64n));
    expect(claim - 7n).toBeLessThanOrEqual(5n * IGN);
    expect(claim - 7n).toBeGreaterThanOrEqual(5n * IGN - 1n);
    // A debt booked at the current accumulator leaves only pending.
    const debt = (stake.amount * rps) >> 64n;
    expect(claimableRewards(config({ rewardPerShare: rps }), { ...stake, rewardDebt: debt })).toBe(7n);
    // A debt above the stake's share (booked as a ceiling) earns nothing, never less.
    expect(claimableRewards(config({ rewardPerShare: rps }), { ...stake, rewardDebt: debt + 1n })).toBe(7n);
  });

  it('does not accrue emission up to the present: only what the crank booked counts', () => {
    const c = config({ rewardPerShare: 3n * Q64 });
    const stake = { amount: 10n, rewardDebt: 0n, pendingRewards: 0n };
    // Time plays no part: the figure moves only when the Config's accumulator does.
    expect(claimableRewards(c, stake)).toBe(30n);
    expect(claimableRewards(config({ rewardPerShare: 4n * Q64 }), stake)).toBe(40n);
    expect(claimableRewards(config(), stake)).toBe(0n);
  });

  it('counts only bonded stake: a deposit still activating earns nothing', () => {
    const c = config({ rewardPerShare: 2n * Q64 });
    const bonded = { amount: 1_000n, rewardDebt: 0n, pendingRewards: 0n };
    const withDeposit = { ...bonded, activatingAmount: 5_000n };
    expect(claimableRewards(c, withDeposit)).toBe(claimableRewards(c, bonded));
    const onlyActivating = { amount: 0n, rewardDebt: 0n, pendingRewards: 0n, activatingAmount: 100n * IGN };
    expect(claimableRewards(c, onlyActivating)).toBe(0n);
    expect(stakeEmissionPerSecond(c, onlyActivating.amount, 1_010n)).toBe(0n);
  });

  it('expects no emission for stakers while too little is bonded: their share goes to the work pool', () => {
    const c = config({ staked: MIN_REWARD_STAKE - 1n });
    expect(stakeEmissionPerSecond(c, MIN_REWARD_STAKE - 1n, 1_010n)).toBe(0n);
  });

  it('estimates a stake’s emission per second', () => {
    expect(stakeEmissionPerSecond(config({ staked: 4_000n * IGN }), 1_000n * IGN, 1_010n)).toBe(IGN / 8n);
    expect(stakeEmissionPerSecond(config({ staked: 0n }), 0n, 1_010n)).toBe(0n);
  });
});
