// The claimable-rewards estimate follows programs/ignis/src/rewards.rs.
import { describe, expect, it } from 'vitest';
import {
  claimableRewards,
  emissionRateAt,
  emittedAfter,
  MIN_REWARD_STAKE,
  rewardPerShareAt,
  stakeEmissionPerSecond,
  type ConfigLike,
} from '../../src/lib/rewards';

const IGN = 1_000_000_000n;
const emission = { start: 1_000n, initialRate: IGN, halvingIntervalSeconds: 100n, cap: 1_000_000n * IGN };
const config = (over: Partial<ConfigLike['rewards']> & { staked?: bigint } = {}): ConfigLike => ({
  params: { stakerEmissionBps: 5_000, unbondingSeconds: 604_800n },
  emission,
  rewards: { accrued: over.accrued ?? 0n, rewardPerShare: over.rewardPerShare ?? 0n },
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

describe('claimable rewards', () => {
  it('gives the only staker the stakers’ half of emission, rounded down', () => {
    const c = config();
    const stake = { amount: 1_000n * IGN, rewardDebt: 0n, pendingRewards: 0n };
    // 10 s at 1 IGN/s, half to stakers: 5 IGN, less at most one base unit of rounding.
    const claimable = claimableRewards(c, stake, 1_010n);
    expect(claimable).toBeLessThanOrEqual(5n * IGN);
    expect(claimable).toBeGreaterThanOrEqual(5n * IGN - 1n);
  });

  it('splits pro rata and adds pending, minus the debt', () => {
    const c = config({ staked: 4_000n * IGN });
    const rps = rewardPerShareAt(c, 1_020n); // 10 IGN to stakers over 4000 IGN staked
    const quarter = { amount: 1_000n * IGN, rewardDebt: 0n, pendingRewards: 7n };
    const claim = claimableRewards(c, quarter, 1_020n);
    expect(claim - 7n).toBeLessThanOrEqual(2_500_000_000n);
    expect(claim - 7n).toBeGreaterThanOrEqual(2_500_000_000n - 1n);
    // A debt booked at the current accumulator leaves only pending.
    const debt = (quarter.amount * rps) >> 64n;
    expect(claimableRewards(c, { ...quarter, rewardDebt: debt }, 1_020n)).toBe(7n);
  });

  it('gives stakers nothing while too little is bonded: their share goes to the work pool', () => {
    const c = config({ staked: MIN_REWARD_STAKE - 1n, rewardPerShare: 123n });
    expect(rewardPerShareAt(c, 2_000n)).toBe(123n);
    const dust = { amount: MIN_REWARD_STAKE - 1n, rewardDebt: 0n, pendingRewards: 0n };
    expect(claimableRewards(c, dust, 2_000n)).toBe(0n);
    expect(stakeEmissionPerSecond(c, dust.amount, 1_010n)).toBe(0n);
  });

  it('never hands a later staker what accrued while nobody was bonded', () => {
    // 10 IGN were released and accrued while (almost) nobody was bonded; they went to
    // the work pool. A stake bonded now earns only what is released from now on.
    const c = config({ accrued: 10n * IGN });
    const stake = { amount: 1_000n * IGN, rewardDebt: 0n, pendingRewards: 0n };
    expect(claimableRewards(c, stake, 1_010n)).toBe(0n);
    const later = claimableRewards(c, stake, 1_012n); // 2 s more: 1 IGN to stakers
    expect(later).toBeLessThanOrEqual(IGN);
    expect(later).toBeGreaterThanOrEqual(IGN - 1n);
  });

  it('counts only bonded stake: a deposit still activating earns nothing', () => {
    const c = config({ staked: 1_000n * IGN });
    const bonded = { amount: 1_000n * IGN, rewardDebt: 0n, pendingRewards: 0n };
    const withDeposit = { ...bonded, activatingAmount: 5_000n * IGN };
    expect(claimableRewards(c, withDeposit, 1_010n)).toBe(claimableRewards(c, bonded, 1_010n));
    const onlyActivating = { amount: 0n, rewardDebt: 0n, pendingRewards: 0n, activatingAmount: 100n * IGN };
    expect(claimableRewards(c, onlyActivating, 1_010n)).toBe(0n);
    expect(stakeEmissionPerSecond(c, onlyActivating.amount, 1_010n)).toBe(0n);
  });

  it('estimates a stake’s emission per second', () => {
    expect(stakeEmissionPerSecond(config({ staked: 4_000n * IGN }), 1_000n * IGN, 1_010n)).toBe(IGN / 8n);
    expect(stakeEmissionPerSecond(config({ staked: 0n }), 0n, 1_010n)).toBe(0n);
  });
});
