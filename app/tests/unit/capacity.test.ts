// The overview's proven figures: from the orchestrator's stats, from the Config without
// them, and each worker's claim beside what challenges proved.
import { describe, expect, it } from 'vitest';
import type { CapacityView, Stats, WorkerView } from '../../src/lib/api';
import { formatChallenges, provenFigures, workerCapacityCells } from '../../src/lib/capacity';

const stats: Stats = {
  slot: 10,
  workersOnline: 2,
  gpus: 2,
  jobsByStatus: { open: 0, running: 0, completed: 3, cancelled: 0, refunded: 0, revealing: 0, challenge: 0 },
  hashrate: 2_000_000,
  volume: '0',
  totalStaked: '0',
  emissionRate: '0',
  mint: 'x',
  history: [],
  provenHashrate: 1_500_000,
  uptimeBps: 9_875,
  challengesAnswered: 1_234,
  challengesMissed: 5,
  computeHours: 12.345,
  slaBreaches: 2,
  slaCompensated: '1000000000',
  slaPremium: '10000000',
  slaMinCompensation: '500000000',
};

const config = {
  params: { minWorkerStake: 100_000_000_000n, missSlashBps: 100, slaCompensationBps: 5_000, slaMinUptimeBps: 9_500 },
  networkUptime: { uptimeBps: 9_000, challengesAnswered: 7n, challengesMissed: 1n },
  totals: { slaCompensated: 250_000_000n },
} as unknown as Parameters<typeof provenFigures>[1];

const byId = (figures: Array<{ testId: string; value: string; hint?: string; raw: string }>) =>
  Object.fromEntries(figures.map((f) => [f.testId, f]));

describe('network-wide proven figures', () => {
  it('come from the orchestrator’s stats: proven against claimed, uptime, challenges, compute-hours, SLAs', () => {
    const proven = provenFigures(stats, config)!;
    expect(proven.source).toBe('api');
    const f = byId(proven.figures);
    expect(f['stat-proven-hashrate']).toMatchObject({ value: '1.5 MH/s', raw: '1500000', hint: '75% of the 2 MH/s claimed' });
    expect(f['stat-uptime']).toMatchObject({ value: '98.75%', raw: '9875' });
    expect(f['stat-challenges']).toMatchObject({ value: '1,234 / 5', raw: '1234/5' });
    expect(f['stat-compute-hours']?.value).toBe('12.3 h');
    expect(f['stat-sla-breaches']?.value).toBe('2');
    expect(f['stat-sla-compensated']?.value).toBe('1 IGN');
    expect(f['stat-sla-premium']).toMatchObject({ value: '0.01 IGN', raw: '10000000' });
    expect(f['stat-sla-premium']?.hint).toMatch(/at least 0.5 IGN per missed deadline/);
  });

  it('come from the Config when the orchestrator sends none (older, or unreachable)', () => {
    const older: Stats = { ...stats, provenHashrate: undefined, uptimeBps: undefined };
    for (const source of [older, null]) {
      const proven = provenFigures(source, config)!;
      expect(proven.source).toBe('chain');
      const f = byId(proven.figures);
      expect(Object.keys(f)).toEqual(['stat-uptime', 'stat-challenges', 'stat-sla-compensated', 'stat-sla-premium']);
      expect(f['stat-uptime']?.value).toBe('90%');
      expect(f['stat-challenges']?.value).toBe('7 / 1');
      expect(f['stat-sla-compensated']?.value).toBe('0.25 IGN');
      // 0.5 IGN x 10% missed x 2, computed here.
      expect(f['stat-sla-premium']?.value).toBe('0.1 IGN');
    }
    expect(provenFigures(null, null)).toBeNull();
  });

  it('counts challenges with grouping', () => {
    expect(formatChallenges(0, 0)).toBe('0 / 0');
    expect(formatChallenges(12_345n, 6n)).toBe('12,345 / 6');
  });
});

describe('a worker’s row', () => {
  const capacity: CapacityView = {
    provenHashrate: 900_000,
    ratedHashrate: 950_000,
    uptimeBps: 9_688,
    challengesAnswered: 31,
    challengesMissed: 1,
    suspended: false,
    challengeDeadline: null,
    computeHours: 0.5,
    slaBreaches: 1,
  };
  const worker = {
    address: 'W',
    operator: 'O',
    hashrate: 1_000_000,
    accepting: true,
    slashedTotal: '1000000000',
    capacity,
  } as WorkerView;

  it('puts the claim beside the proven and rated hashrate, with uptime, compute-hours, SLA breaches and slashes', () => {
    expect(workerCapacityCells(worker)).toEqual({
      claimed: '1 MH/s',
      proven: '900 kH/s',
      rated: '950 kH/s',
      uptime: '96.88%',
      computeHours: '0.5 h',
      slaBreaches: '1',
      slashed: '1 IGN',
      state: 'accepting',
    });
  });

  it('says suspended, not yet proven, or a dash where the orchestrator says nothing', () => {
    expect(workerCapacityCells({ ...worker, capacity: { ...capacity, suspended: true } }).state).toBe('suspended');
    expect(workerCapacityCells({ ...worker, accepting: false }).state).toBe('paused');
    expect(workerCapacityCells({ ...worker, capacity: { ...capacity, challengesAnswered: 0, provenHashrate: 0 } }).proven).toBe('not yet');
    const older = { ...worker, capacity: undefined, slashedTotal: undefined };
    expect(workerCapacityCells(older)).toMatchObject({ claimed: '1 MH/s', proven: '–', rated: '–', uptime: '–', slashed: '–', state: 'accepting' });
  });
});
