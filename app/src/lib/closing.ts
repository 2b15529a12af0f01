// When an account's rent may be taken back, as the program decides it: a settled job
// once it has stayed on chain for a day (`Job::closable_at`, `close_job`), an empty
// stake account once its owner's worker is deregistered (`close_stake`).

import type { JobView } from './api';
import { claimableRewards, type ConfigLike, type StakeLike } from './rewards';

/** `JOB_RETENTION_SECONDS`: how long a settled job stays before it may be closed. */
export const JOB_RETENTION_SECONDS = 86_400;

const SETTLED_STATUSES: ReadonlySet<string> = new Set(['completed', 'cancelled', 'refunded']);

/** Completed, cancelled or refunded: nothing more can happen to the job. */
export function isSettled(job: Pick<JobView, 'status'>): boolean {
  return SETTLED_STATUSES.has(job.status);
}

/**
 * The protocol-clock time from which a settled job may be closed (`completed_at` is
 * set when it completes, is cancelled or is refunded), or null while it is not settled.
 */
export function jobClosableFrom(job: Pick<JobView, 'status' | 'completedAt'>): number | null {
  return isSettled(job) ? job.completedAt + JOB_RETENTION_SECONDS : null;
}

/** `Job::closable_at(now)`; `now` is the protocol clock (`App::protocolNow`). */
export function jobClosableAt(job: Pick<JobView, 'status' | 'completedAt'>, now: number): boolean {
  const from = jobClosableFrom(job);
  return from !== null && now >= from;
}

export interface ClosableStake extends StakeLike {
  unbondingAmount: bigint;
  activatingAmount: bigint;
}

/**
 * `Stake::is_empty`: nothing bonded, activating or unbonding, and nothing to claim
 * (with nothing bonded, only the rewards already booked are claimable).
 */
export function stakeIsEmpty(config: ConfigLike, stake: ClosableStake, now: bigint): boolean {
  return (
    stake.amount === 0n &&
    stake.activatingAmount === 0n &&
    stake.unbondingAmount === 0n &&
    claimableRewards(config, stake, now) === 0n
  );
}

/**
 * Whether `close_stake` would succeed: the stake account exists and is empty, and the
 * owner's worker (null when it never registered one) is not registered.
 */
export function canCloseStake(
  config: ConfigLike,
  stake: ClosableStake | null,
  worker: { registered: boolean } | null,
  now: bigint,
): boolean {
  return stake !== null && stakeIsEmpty(config, stake, now) && !(worker?.registered ?? false);
}
