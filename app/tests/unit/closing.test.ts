// When rent may be taken back: `Job::check_close` with `Params::job_retention_seconds`
// (programs/ignis/src/state/job.rs) and what `close_stake` checks
// (programs/ignis/src/instructions/close_stake.rs).
import { describe, expect, it } from 'vitest';
import idl from '../../../idl/ignis.json';
import type { JobView } from '../../src/lib/api';
import {
  canCloseStake,
  describeRetention,
  isSettled,
  jobClosableAt,
  jobClosableFrom,
  jobRetentionOf,
  stakeIsEmpty,
  type ClosableStake,
} from '../../src/lib/closing';

type Timing = Pick<JobView, 'status' | 'completedAt'>;

describe('closing a job (Job::check_close)', () => {
  it('reads the retention from Config.params.jobRetentionSeconds', () => {
    // The retention is a protocol parameter now, no longer a constant.
    const names = idl.constants.map((c) => c.name);
    expect(names).not.toContain('JOB_RETENTION_SECONDS');
    expect(names).toContain('MAX_JOB_RETENTION_SECONDS');
    const params = idl.types.find((t) => t.name === 'Params')!.type as { fields?: Array<{ name: string; type: unknown }> };
    expect(params.fields?.find((f) => f.name === 'job_retention_seconds')?.type).toBe('i64');
    expect(jobRetentionOf({ params: { jobRetentionSeconds: 3_600n } })).toBe(3_600);
    // MAX_JOB_RETENTION_SECONDS, 30 days, is exact as a number.
    expect(jobRetentionOf({ params: { jobRetentionSeconds: 2_592_000n } })).toBe(2_592_000);
  });

  it('is allowed once the retention has passed since a job completed, was cancelled or was refunded', () => {
    for (const retention of [0, 3_600, 86_400, 2_592_000]) {
      for (const status of ['completed', 'cancelled', 'refunded']) {
        const job: Timing = { status, completedAt: 10_000 };
        expect(isSettled(job)).toBe(true);
        expect(jobClosableFrom(job, retention)).toBe(10_000 + retention);
        expect(jobClosableAt(job, 9_999, retention)).toBe(false);
        expect(jobClosableAt(job, 10_000, retention)).toBe(retention === 0);
        expect(jobClosableAt(job, 10_000 + retention - 1, retention)).toBe(false);
        expect(jobClosableAt(job, 10_000 + retention, retention)).toBe(true);
        expect(jobClosableAt(job, 10_000 + retention + 200_000, retention)).toBe(true);
      }
    }
  });

  it('is never allowed before a job settled', () => {
    for (const status of ['open', 'running', 'revealing', 'challenge']) {
      const job: Timing = { status, completedAt: 0 };
      expect(isSettled(job)).toBe(false);
      expect(jobClosableFrom(job, 3_600)).toBeNull();
      expect(jobClosableAt(job, 1_000_000_000, 3_600)).toBe(false);
      expect(jobClosableAt(job, 1_000_000_000, 0)).toBe(false);
    }
  });

  it('says when a settled job is closed', () => {
    expect(describeRetention(3_600)).toBe('1 h after it settles');
    expect(describeRetention(5_400)).toBe('1 h 30 min after it settles');
    expect(describeRetention(2_592_000)).toBe('30 days after it settles');
    expect(describeRetention(0)).toBe('as soon as it settles');
  });
});

describe('closing a stake account', () => {
  // Only the accumulator matters: `Stake::claimable_now` reads nothing else.
  const config = { rewards: { rewardPerShare: 3n << 64n } };
  const empty: ClosableStake = { amount: 0n, activatingAmount: 0n, unbondingAmount: 0n, rewardDebt: 0n, pendingRewards: 0n };

  it('needs nothing staked, activating, unbonding or to claim (Stake::is_empty)', () => {
    expect(stakeIsEmpty(config, empty)).toBe(true);
    // A debt left from a past bonded amount does not count: nothing is bonded.
    expect(stakeIsEmpty(config, { ...empty, rewardDebt: 12_345n })).toBe(true);
    expect(stakeIsEmpty(config, { ...empty, amount: 1n })).toBe(false);
    expect(stakeIsEmpty(config, { ...empty, activatingAmount: 1n })).toBe(false);
    expect(stakeIsEmpty(config, { ...empty, unbondingAmount: 1n })).toBe(false);
    expect(stakeIsEmpty(config, { ...empty, pendingRewards: 1n })).toBe(false);
  });

  it('is offered only for an existing empty stake whose owner has no registered worker', () => {
    expect(canCloseStake(config, empty, null)).toBe(true);
    expect(canCloseStake(config, empty, { registered: false })).toBe(true);
    expect(canCloseStake(config, empty, { registered: true })).toBe(false);
    expect(canCloseStake(config, null, null)).toBe(false);
    expect(canCloseStake(config, { ...empty, unbondingAmount: 5n }, null)).toBe(false);
    expect(canCloseStake(config, { ...empty, pendingRewards: 5n }, { registered: false })).toBe(false);
  });
});
