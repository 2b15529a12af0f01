// The service level a poster may buy for a PoW job (`buy_sla`, sent right after
// `post_job` in the same transaction): its premium, priced from the network's challenge
// uptime, and the least it pays back per missed replica. The preview must show the
// program's price to the base unit, since the app sends it as `max_premium` and the
// program refuses a higher one (`SlaPremiumAboveMax`): these mirror
// `Config::sla_min_compensation` and `Config::sla_premium`
// (programs/ignis/src/state/config.rs), checked case by case against the Rust code in
// tests/unit/rules.fixture.test.ts.

import type { Config } from '../generated';
import type { WorkerView } from './api';
import { formatBps, formatIgn } from './format';

const BPS_DENOMINATOR = 10_000n;
/** `SLA_MIN_MISS_BPS` (constants.rs): a premium is never priced as if fewer deadlines were missed. */
export const SLA_MIN_MISS_BPS = 100n;
/** `SLA_PREMIUM_MARKUP`: the stakers are paid this many times the expected compensation. */
export const SLA_PREMIUM_MARKUP = 2n;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** What the SLA price is computed from: `Config.params` and `Config.networkUptime.uptimeBps`. */
export interface SlaRules {
  minWorkerStake: bigint;
  missSlashBps: number;
  slaCompensationBps: number;
  /** The network's challenge uptime, basis points. */
  uptimeBps: number;
}

export function slaRulesOf(config: Pick<Config, 'params' | 'networkUptime'>): SlaRules {
  return {
    minWorkerStake: config.params.minWorkerStake,
    missSlashBps: config.params.missSlashBps,
    slaCompensationBps: config.params.slaCompensationBps,
    uptimeBps: config.networkUptime.uptimeBps,
  };
}

/** `math::bps_of`: floor(amount * bps / 10000). */
const bpsOf = (amount: bigint, bps: number | bigint) => (amount * BigInt(bps)) / BPS_DENOMINATOR;

/**
 * `Config::sla_min_compensation`: the least a poster receives per missed replica, the
 * SLA's share of the miss slash of a worker holding the minimum stake.
 */
export function slaMinCompensation(rules: Omit<SlaRules, 'uptimeBps'>): bigint {
  return bpsOf(bpsOf(rules.minWorkerStake, rules.missSlashBps), rules.slaCompensationBps);
}

/**
 * `Config::sla_premium`: SLA_PREMIUM_MARKUP times the compensation expected at the
 * network's miss rate (at least SLA_MIN_MISS_BPS), for `replicas` replicas; never 0.
 * Throws where the program would fail with MathOverflow (past a u64).
 */
export function slaPremium(rules: SlaRules, replicas: number): bigint {
  const uptime = BigInt(Math.max(0, Math.floor(rules.uptimeBps)));
  const missed = BPS_DENOMINATOR > uptime ? BPS_DENOMINATOR - uptime : 0n;
  const missBps = missed > SLA_MIN_MISS_BPS ? missed : SLA_MIN_MISS_BPS;
  const expected =
    (slaMinCompensation(rules) * BigInt(Math.max(0, Math.floor(replicas))) * missBps * SLA_PREMIUM_MARKUP) / BPS_DENOMINATOR;
  if (expected > U64_MAX) throw new Error('The SLA premium overflows: the protocol’s parameters make it unpriceable');
  return expected > 1n ? expected : 1n;
}

/** What buying an SLA for a job costs and promises now. */
export interface SlaQuote {
  premium: bigint;
  /** Per missed replica, at least (the SLA's share of the miss slash). */
  minCompensation: bigint;
  compensationBps: number;
  /** Workers below this uptime (or never proven) are not assigned the job. */
  minUptimeBps: number;
  /** The network uptime the premium was priced from. */
  networkUptimeBps: number;
}

export function slaQuote(config: Pick<Config, 'params' | 'networkUptime'>, replicas: number): SlaQuote {
  const rules = slaRulesOf(config);
  return {
    premium: slaPremium(rules, replicas),
    minCompensation: slaMinCompensation(rules),
    compensationBps: rules.slaCompensationBps,
    minUptimeBps: config.params.slaMinUptimeBps,
    networkUptimeBps: rules.uptimeBps,
  };
}

/** The guarantee in words, as the post page shows it before paying. */
export function describeSlaGuarantee(quote: Pick<SlaQuote, 'minCompensation' | 'minUptimeBps'>): string {
  return (
    `If the worker misses its deadline you receive at least ${formatIgn(quote.minCompensation)} per missed replica, automatically; ` +
    `only workers with ≥ ${formatBps(quote.minUptimeBps)} proven uptime take it`
  );
}

/**
 * `SlaTerms::admits`: whether a worker could be assigned an SLA job now (it answered a
 * challenge and keeps the uptime), from the orchestrator's view of it. An orchestrator
 * that sends no capacity yet says nothing proven.
 */
export function slaAdmits(worker: Pick<WorkerView, 'capacity'>, minUptimeBps: number): boolean {
  const capacity = worker.capacity;
  return Boolean(capacity && capacity.challengesAnswered > 0 && capacity.uptimeBps >= minUptimeBps);
}
