// When rent may be taken back: `Job::closable_at` (programs/ignis/src/state/job.rs) and
// what `close_stake` checks (programs/ignis/src/instructions/close_stake.rs).
import { describe, expect, it } from 'vitest';
import idl from '../../../idl/ignis.json';
import type { JobView } from '../../src/lib/api';
import {
  canCloseStake,
  isSettled,
  JOB_RETENTION_SECONDS,
  jobClosableAt,
  jobClosableFrom,
  stakeIsEmpty,
  type ClosableStake,
} from '../../src/lib/closing';
import type { ConfigLike } from '../../src/lib/rewards';

type Timing = Pick<JobView, 'status' | 'completedAt'>;

describe('closing a job (Job::closable_at)', () => {
  it('waits the program’s JOB_RETENTION_SECONDS', () => {
    expect(String(JOB_RETENTION_SECONDS)).toBe(idl.constants.find((c) => c.name === 'JOB_RETENTION_SECONDS')?.value);
    expect(JOB_RETENTION_SECONDS).toBe(86_400);
  });

  it('is allowed a day after a job completed, was cancelled or was refunded', () => {
    for (const status of ['completed', 'cancelled', 'refunded']) {
      const job: Timing = { status, completedAt: 10_000 };
      expect(isSettled(job)).toBe(true);
      expect(jobClosableFrom(job)).toBe(10_000 + 86_400);
      expect(jobClosableAt(job, 10_000)).toBe(false);
      expect(jobClosableAt(job, 10_000 + 86_399)).toBe(false);
      expect(jobClosableAt(job, 10_000 + 86_400)).toBe(true);
      expect(jobClosableAt(job, 10_000 + 200_000)).toBe(true);
    }
  });

  it('is never allowed before a job settled', () => {
    for (const status of ['open', 'running', 'revealing', 'challenge']) {
      const job: Timing = { status, completedAt: 0 };
      expect(isSettled(job)).toBe(false);
      expect(jobClosableFrom(job)).toBeNull();
      expect(jobClosableAt(job, 1_000_000_000)).toBe(false);
    }
  });
});

describe('closing a stake account', () => {
  const config: ConfigLike = {
    params: { stakerEmissionBps: 5_000, unbondingSeconds: 604_800n },
    emission: { start: 1_000n, initialRate: 1_000_000_000n, halvingIntervalSeconds: 100n, cap: 10n ** 18n },
    rewards: { accrued: 0n, rewardPerShare: 3n << 64n },
    totals: { staked: 10n ** 12n },
  };
  const empty: ClosableStake = { amount: 0n, activatingAmount: 0n, unbondingAmount: 0n, rewardDebt: 0n, pendingRewards: 0n };
  const now = 5_000n;

  it('needs nothing staked, activating, unbonding or to claim (Stake::is_empty)', () => {
    expect(stakeIsEmpty(config, empty, now)).toBe(true);
    // A debt left from a past bonded amount does not count: nothing is bonded.
    expect(stakeIsEmpty(config, { ...empty, rewardDebt: 12_345n }, now)).toBe(true);
    expect(stakeIsEmpty(config, { ...empty, amount: 1n }, now)).toBe(false);
    expect(stakeIsEmpty(config, { ...empty, activatingAmount: 1n }, now)).toBe(false);
    expect(stakeIsEmpty(config, { ...empty, unbondingAmount: 1n }, now)).toBe(false);
    expect(stakeIsEmpty(config, { ...empty, pendingRewards: 1n }, now)).toBe(false);
  });

  it('is offered only for an existing empty stake whose owner has no registered worker', () => {
    expect(canCloseStake(config, empty, null, now)).toBe(true);
    expect(canCloseStake(config, empty, { registered: false }, now)).toBe(true);
    expect(canCloseStake(config, empty, { registered: true }, now)).toBe(false);
    expect(canCloseStake(config, null, null, now)).toBe(false);
    expect(canCloseStake(config, { ...empty, unbondingAmount: 5n }, null, now)).toBe(false);
    expect(canCloseStake(config, { ...empty, pendingRewards: 5n }, { registered: false }, now)).toBe(false);
  });
});
