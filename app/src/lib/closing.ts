// When an account's rent may be taken back, as the program decides it: a settled job
// once it has stayed on chain for the protocol's retention window
// (`Params::job_retention_seconds`, `Job::check_close`, `close_job`; the orchestrator's
// crank closes it then), an empty stake account once its owner's worker is
// deregistered (`close_stake`).

import type { JobView } from './api';
import { formatDuration } from './format';
import { claimableRewards, type ConfigLike, type StakeLike } from './rewards';

type RewardsConfig = Pick<ConfigLike, 'rewards'>;

/**
 * `Config.params.jobRetentionSeconds` as a number: how long a settled job stays on
 * chain before it may be closed (at most 30 days, so a number holds it exactly).
 */
export function jobRetentionOf(config: { params: { jobRetentionSeconds: bigint } }): number {
  return Number(config.params.jobRetentionSeconds);
}

/** When a settled job is closed, in words: `1 h after it settles`, `as soon as it settles`. */
export function describeRetention(retentionSeconds: number): string {
  return retentionSeconds > 0 ? `${formatDuration(retentionSeconds)} after it settles` : 'as soon as it settles';
}

const SETTLED_STATUSES: ReadonlySet<string> = new Set(['completed', 'cancelled', 'refunded']);

/** Completed, cancelled or refunded: nothing more can happen to the job. */
export function isSettled(job: Pick<JobView, 'status'>): boolean {
  return SETTLED_STATUSES.has(job.status);
}

/**
 * The protocol-clock time from which a settled job may be closed (`completed_at` is
 * set when it completes, is cancelled or is refunded, plus `retentionSeconds`, the
 * protocol's `jobRetentionSeconds`), or null while it is not settled.
 */
export function jobClosableFrom(job: Pick<JobView, 'status' | 'completedAt'>, retentionSeconds: number): number | null {
  return isSettled(job) ? job.completedAt + retentionSeconds : null;
}

/**
 * `Job::check_close(params, now)` succeeds: settled, and `now >= completed_at +
 * retentionSeconds`. `now` is the protocol clock (`App::protocolNow`).
 */
export function jobClosableAt(job: Pick<JobView, 'status' | 'completedAt'>, now: number, retentionSeconds: number): boolean {
  const from = jobClosableFrom(job, retentionSeconds);
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
export function stakeIsEmpty(config: RewardsConfig, stake: ClosableStake): boolean {
  return (
    stake.amount === 0n &&
    stake.activatingAmount === 0n &&
    stake.unbondingAmount === 0n &&
    claimableRewards(config, stake) === 0n
  );
}

/**
 * Whether `close_stake` would succeed: the stake account exists and is empty, and the
 * owner's worker (null when it never registered one) is not registered.
 */
export function canCloseStake(
  config: RewardsConfig,
  stake: ClosableStake | null,
  worker: { registered: boolean } | null,
): boolean {
  return stake !== null && stakeIsEmpty(config, stake) && !(worker?.registered ?? false);
}
