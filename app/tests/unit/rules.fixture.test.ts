// The rules the app computes locally, case by case against what the program computes:
// a Rust test writes tests/fixtures/rules.json from Config::clock_at,
// EmissionSchedule::emitted_after, Stake::claimable_now (the Config's accumulator as
// stored, no accrual), Job::closable_at (`Job::check_close` with `Params::job_retention_seconds`)
// and the SLA price (`Config::sla_min_compensation`, `Config::sla_premium`). Integers that may exceed 2^53 come as decimal strings.
// A missing fixture or an empty section fails: it never skips.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { protocolClockAt } from '../../src/lib/clock';
import { jobClosableAt } from '../../src/lib/closing';
import { claimableRewards, emissionRateAt, emittedAfter, type EmissionLike } from '../../src/lib/rewards';
import { slaMinCompensation, slaPremium, type SlaRules } from '../../src/lib/sla';

type Int = string | number;

interface Schedule {
  start: Int;
  initialRate: Int;
  halvingIntervalSeconds: Int;
  cap: Int;
}

interface RulesFixture {
  generatedBy: string;
  clock: Array<{ paused: boolean; pausedAt: Int; pausedSeconds: Int; now: Int; clock: Int }>;
  emission: Array<{ schedule: Schedule; now: Int; emittedAfter: Int; rate: Int }>;
  claimable: Array<{
    config: { stakerEmissionBps: number; emission: Schedule; accrued: Int; rewardPerShare: Int; staked: Int };
    stake: { amount: Int; rewardDebt: Int; pendingRewards: Int };
    now: Int;
    claimable: Int;
  }>;
  /** `retention`: `Params::job_retention_seconds` the case was computed with. */
  jobClosable: Array<{ status: string; completedAt: number; retention: number; now: number; closable: boolean }>;
  /** `uptimeBps`: `Config::network_uptime.uptime_bps` the premium was priced from. */
  sla: Array<{
    minWorkerStake: Int;
    missSlashBps: number;
    slaCompensationBps: number;
    uptimeBps: number;
    replicas: number;
    minCompensation: Int;
    premium: Int;
  }>;
}

type Section = Exclude<keyof RulesFixture, 'generatedBy'>;

const FIXTURE = new URL('../fixtures/rules.json', import.meta.url);

let loaded: RulesFixture | undefined;
function fixture(): RulesFixture {
  loaded ??= JSON.parse(readFileSync(FIXTURE, 'utf8')) as RulesFixture;
  return loaded;
}

/** A section's cases; throws (the test fails) when the section is missing or empty. */
function cases<S extends Section>(section: S): RulesFixture[S] {
  const list = fixture()[section];
  if (!Array.isArray(list) || list.length === 0) {
    throw new Error(`${FIXTURE.pathname}: section "${section}" is missing or empty`);
  }
  return list;
}

/** An exact integer: a decimal string, or a number that is a safe integer. */
function int(value: unknown, what: string): bigint {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new Error(`${what}: ${JSON.stringify(value)} is not an integer`);
}

/** A plain number field (a safe integer). */
function num(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  throw new Error(`${what}: ${JSON.stringify(value)} is not a safe integer`);
}

function schedule(s: Schedule, what: string): EmissionLike {
  return {
    start: int(s.start, `${what}.start`),
    initialRate: int(s.initialRate, `${what}.initialRate`),
    halvingIntervalSeconds: int(s.halvingIntervalSeconds, `${what}.halvingIntervalSeconds`),
    cap: int(s.cap, `${what}.cap`),
  };
}

/** Names the case in a failure: section, index and every input. */
const label = (section: Section, index: number, inputs: unknown) => `${section}[${index}] ${JSON.stringify(inputs)}`;

describe('rules.json (written by the Rust program code)', () => {
  it('has every section, each with cases', () => {
    expect(typeof fixture().generatedBy).toBe('string');
    for (const section of ['clock', 'emission', 'claimable', 'jobClosable', 'sla'] as const) {
      expect(cases(section).length, section).toBeGreaterThan(0);
    }
  });

  it('protocolClockAt agrees with Config::clock_at', () => {
    cases('clock').forEach((c, i) => {
      const { clock, ...inputs } = c;
      const what = label('clock', i, inputs);
      const state = {
        paused: c.paused,
        pausedAt: int(c.pausedAt, `${what} pausedAt`),
        pausedSeconds: int(c.pausedSeconds, `${what} pausedSeconds`),
      };
      const now = int(c.now, `${what} now`);
      const got = protocolClockAt(state, Number(now));
      // Exact: a clock off by the rounding of a float past 2^53 is a mismatch too.
      expect.soft(Number.isSafeInteger(got) ? BigInt(got) : got, what).toBe(int(clock, `${what} clock`));
    });
  });

  it('emittedAfter agrees with EmissionSchedule::emitted_after', () => {
    cases('emission').forEach((c, i) => {
      const what = label('emission', i, { schedule: c.schedule, now: c.now });
      const e = schedule(c.schedule, `${what} schedule`);
      const now = int(c.now, `${what} now`);
      expect.soft(emittedAfter(e, now - e.start), what).toBe(int(c.emittedAfter, `${what} emittedAfter`));
    });
  });

  it('emissionRateAt gives the schedule’s rate', () => {
    cases('emission').forEach((c, i) => {
      const what = label('emission', i, { schedule: c.schedule, now: c.now });
      const e = schedule(c.schedule, `${what} schedule`);
      expect.soft(emissionRateAt(e, int(c.now, `${what} now`)), what).toBe(int(c.rate, `${what} rate`));
    });
  });

  it('claimableRewards agrees with Stake::claimable_now', () => {
    cases('claimable').forEach((c, i) => {
      const { claimable, ...inputs } = c;
      const what = label('claimable', i, inputs);
      // `claim_rewards` pays from the accumulator as the Config stores it: the case's
      // schedule, accrual, total stake and time are inputs it no longer reads.
      const config = { rewards: { rewardPerShare: int(c.config.rewardPerShare, `${what} rewardPerShare`) } };
      const stake = {
        amount: int(c.stake.amount, `${what} amount`),
        rewardDebt: int(c.stake.rewardDebt, `${what} rewardDebt`),
        pendingRewards: int(c.stake.pendingRewards, `${what} pendingRewards`),
      };
      expect.soft(claimableRewards(config, stake), what).toBe(int(claimable, `${what} claimable`));
    });
  });

  it('jobClosableAt agrees with Job::closable_at', () => {
    cases('jobClosable').forEach((c, i) => {
      const { closable, ...inputs } = c;
      const what = label('jobClosable', i, inputs);
      if (typeof closable !== 'boolean') throw new Error(`${what}: closable is not a boolean`);
      const job = { status: c.status, completedAt: num(c.completedAt, `${what} completedAt`) };
      const retention = num(c.retention, `${what} retention`);
      expect.soft(jobClosableAt(job, num(c.now, `${what} now`), retention), what).toBe(closable);
    });
  });

  it('slaMinCompensation and slaPremium agree with Config::sla_min_compensation and Config::sla_premium', () => {
    cases('sla').forEach((c, i) => {
      const { minCompensation, premium, ...inputs } = c;
      const what = label('sla', i, inputs);
      const rules: SlaRules = {
        minWorkerStake: int(c.minWorkerStake, `${what} minWorkerStake`),
        missSlashBps: num(c.missSlashBps, `${what} missSlashBps`),
        slaCompensationBps: num(c.slaCompensationBps, `${what} slaCompensationBps`),
        uptimeBps: num(c.uptimeBps, `${what} uptimeBps`),
      };
      expect.soft(slaMinCompensation(rules), `${what} minCompensation`).toBe(int(minCompensation, `${what} minCompensation`));
      expect.soft(slaPremium(rules, num(c.replicas, `${what} replicas`)), `${what} premium`).toBe(int(premium, `${what} premium`));
    });
  });
});
