// The SLA's price and promise as the post page shows them (the price itself is checked
// case by case against the Rust code in rules.fixture.test.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WorkerView } from '../../src/lib/api';
import {
  describeSlaGuarantee,
  SLA_MIN_MISS_BPS,
  SLA_PREMIUM_MARKUP,
  slaAdmits,
  slaMinCompensation,
  slaPremium,
  slaQuote,
} from '../../src/lib/sla';

const IGN = 1_000_000_000n;
/** The defaults (constants.rs): 100 IGN minimum stake, 1% miss slash, half of it to the poster, 95% uptime. */
const config = (uptimeBps: number) => ({
  params: { minWorkerStake: 100n * IGN, missSlashBps: 100, slaCompensationBps: 5_000, slaMinUptimeBps: 9_500 },
  networkUptime: { uptimeBps, challengesAnswered: 10n, challengesMissed: 0n },
});
type ConfigLike = Parameters<typeof slaQuote>[0];

describe('SLA price', () => {
  it('uses the program’s constants (constants.rs; the IDL does not carry them)', () => {
    const source = readFileSync(new URL('../../../programs/ignis/src/constants.rs', import.meta.url), 'utf8');
    const constant = (name: string) => new RegExp(`pub const ${name}: u64 = ([\\d_]+);`).exec(source)?.[1]?.replace(/_/g, '');
    expect(String(SLA_MIN_MISS_BPS)).toBe(constant('SLA_MIN_MISS_BPS'));
    expect(String(SLA_PREMIUM_MARKUP)).toBe(constant('SLA_PREMIUM_MARKUP'));
  });

  it('pays at least half the 1 IGN miss slash of a minimum stake, and costs twice that at the network’s miss rate', () => {
    const quote = slaQuote(config(9_000) as unknown as ConfigLike, 1);
    expect(quote.minCompensation).toBe(IGN / 2n);
    // 0.5 IGN x 1 replica x 10% missed x 2.
    expect(quote.premium).toBe(IGN / 10n);
    expect(quote).toMatchObject({ compensationBps: 5_000, minUptimeBps: 9_500, networkUptimeBps: 9_000 });
    // Per replica.
    expect(slaQuote(config(9_000) as unknown as ConfigLike, 3).premium).toBe((3n * IGN) / 10n);
  });

  it('is never priced below a 1% miss rate, nor at nothing', () => {
    expect(slaQuote(config(10_000) as unknown as ConfigLike, 1).premium).toBe(IGN / 100n);
    expect(slaQuote(config(9_950) as unknown as ConfigLike, 1).premium).toBe(IGN / 100n);
    const free = { minWorkerStake: 0n, missSlashBps: 100, slaCompensationBps: 5_000, uptimeBps: 0 };
    expect(slaMinCompensation(free)).toBe(0n);
    expect(slaPremium(free, 1)).toBe(1n);
  });

  it('refuses a price past a u64, as the program does (MathOverflow)', () => {
    const huge = { minWorkerStake: 2n ** 64n - 1n, missSlashBps: 10_000, slaCompensationBps: 10_000, uptimeBps: 0 };
    expect(() => slaPremium(huge, 3)).toThrow(/overflows/);
  });
});

describe('SLA guarantee', () => {
  it('says what the poster receives and who takes the job, before paying', () => {
    expect(describeSlaGuarantee({ minCompensation: IGN / 2n, minUptimeBps: 9_500 })).toBe(
      'If the worker misses its deadline you receive at least 0.5 IGN per missed replica, automatically; only workers with ≥ 95% proven uptime take it',
    );
  });

  it('admits only workers that answered a challenge and keep the uptime (SlaTerms::admits)', () => {
    const capacity = {
      provenHashrate: 1_000,
      ratedHashrate: 1_000,
      uptimeBps: 9_500,
      challengesAnswered: 1,
      challengesMissed: 0,
      suspended: false,
      challengeDeadline: null,
      computeHours: 0,
      slaBreaches: 0,
    };
    const worker = (over: Partial<typeof capacity> | null): Pick<WorkerView, 'capacity'> => (over ? { capacity: { ...capacity, ...over } } : {});
    expect(slaAdmits(worker({}), 9_500)).toBe(true);
    expect(slaAdmits(worker({ uptimeBps: 9_499 }), 9_500)).toBe(false);
    // 10000 bps before any challenge closes, but never proven.
    expect(slaAdmits(worker({ challengesAnswered: 0, uptimeBps: 10_000 }), 9_500)).toBe(false);
    // An orchestrator that sends no capacity proves nothing.
    expect(slaAdmits(worker(null), 0)).toBe(false);
  });
});
