// What capacity challenges proved, as the overview shows it: network-wide figures
// (proven against claimed hashrate, challenge uptime, compute-hours served, SLA
// breaches and what they paid posters) and each worker's claim beside its proven and
// rated hashrate. A worker's claim is its own word (`settings.hashrate`); challenges
// prove what it really computes, and assignment trusts the lower of the claim and the
// rating, so the gap between them is what a poster should look at.
//
// From the orchestrator (`/api/stats`, `/api/workers`) when it sends these figures;
// otherwise the chain's Config still holds the network's uptime, its challenge counts
// and the SLA compensation paid, and the SLA price is computed here (lib/sla.ts).

import type { Config } from '../generated';
import type { Stats, WorkerView } from './api';
import { formatBps, formatComputeHours, formatHashrate, formatIgn, formatShare } from './format';
import { slaQuote } from './sla';

/** One figure on a card: `value` as shown, `raw` as the source gave it (for tests and tooltips). */
export interface Figure {
  label: string;
  value: string;
  testId: string;
  raw: string;
  hint?: string;
}

export type FigureSource = 'api' | 'chain';

/** `123 / 4`: challenges answered in time, then missed. */
export function formatChallenges(answered: number | bigint, missed: number | bigint): string {
  return `${Number(answered).toLocaleString('en-US')} / ${Number(missed).toLocaleString('en-US')}`;
}

/**
 * The network-wide proven figures: from the orchestrator's stats when they carry them,
 * else what the Config says (no hashrate or compute-hours there), else none.
 */
export function provenFigures(
  stats: Stats | null,
  config: Pick<Config, 'params' | 'networkUptime' | 'totals'> | null | undefined,
): { source: FigureSource; figures: Figure[] } | null {
  if (stats && stats.provenHashrate !== undefined && stats.uptimeBps !== undefined) {
    const answered = stats.challengesAnswered ?? 0;
    const missed = stats.challengesMissed ?? 0;
    const figures: Figure[] = [
      {
        label: 'Proven hashrate',
        value: formatHashrate(stats.provenHashrate),
        testId: 'stat-proven-hashrate',
        raw: String(stats.provenHashrate),
        hint: `${formatShare(stats.provenHashrate, stats.hashrate)} of the ${formatHashrate(stats.hashrate)} claimed`,
      },
      {
        label: 'Network uptime',
        value: formatBps(stats.uptimeBps),
        testId: 'stat-uptime',
        raw: String(stats.uptimeBps),
        hint: 'capacity challenges answered in time',
      },
      {
        label: 'Challenges answered / missed',
        value: formatChallenges(answered, missed),
        testId: 'stat-challenges',
        raw: `${answered}/${missed}`,
      },
      {
        label: 'Compute-hours served',
        value: formatComputeHours(stats.computeHours ?? 0),
        testId: 'stat-compute-hours',
        raw: String(stats.computeHours ?? 0),
        hint: 'paid work at the workers’ rated hashrates',
      },
      {
        label: 'SLA breaches',
        value: (stats.slaBreaches ?? 0).toLocaleString('en-US'),
        testId: 'stat-sla-breaches',
        raw: String(stats.slaBreaches ?? 0),
        hint: 'deadlines of SLA jobs missed',
      },
      {
        label: 'SLA compensation paid',
        value: formatIgn(stats.slaCompensated ?? '0', 4),
        testId: 'stat-sla-compensated',
        raw: stats.slaCompensated ?? '0',
        hint: 'from the missing workers’ slashes to the posters',
      },
    ];
    if (stats.slaPremium !== undefined) {
      figures.push({
        label: 'SLA premium now',
        value: formatIgn(stats.slaPremium, 4),
        testId: 'stat-sla-premium',
        raw: stats.slaPremium,
        hint: `for a one-replica PoW job; pays at least ${formatIgn(stats.slaMinCompensation ?? '0', 4)} per missed deadline`,
      });
    }
    return { source: 'api', figures };
  }
  if (!config) return null;
  const uptime = config.networkUptime;
  const figures: Figure[] = [
    {
      label: 'Network uptime',
      value: formatBps(uptime.uptimeBps),
      testId: 'stat-uptime',
      raw: String(uptime.uptimeBps),
      hint: 'from the chain',
    },
    {
      label: 'Challenges answered / missed',
      value: formatChallenges(uptime.challengesAnswered, uptime.challengesMissed),
      testId: 'stat-challenges',
      raw: `${uptime.challengesAnswered}/${uptime.challengesMissed}`,
      hint: 'from the chain',
    },
    {
      label: 'SLA compensation paid',
      value: formatIgn(config.totals.slaCompensated, 4),
      testId: 'stat-sla-compensated',
      raw: config.totals.slaCompensated.toString(),
      hint: 'from the chain',
    },
  ];
  try {
    const quote = slaQuote(config, 1);
    figures.push({
      label: 'SLA premium now',
      value: formatIgn(quote.premium, 4),
      testId: 'stat-sla-premium',
      raw: quote.premium.toString(),
      hint: `for a one-replica PoW job; pays at least ${formatIgn(quote.minCompensation, 4)} per missed deadline`,
    });
  } catch {
    /* not priceable: no card */
  }
  return { source: 'chain', figures };
}

/** A worker's row in the overview's table: claimed, proven and rated side by side. */
export interface WorkerCapacityCells {
  claimed: string;
  proven: string;
  rated: string;
  uptime: string;
  computeHours: string;
  slaBreaches: string;
  slashed: string;
  /** `suspended`, `accepting` or `paused`. */
  state: 'suspended' | 'accepting' | 'paused';
}

/** The cells of a worker's row; a dash where an orchestrator older than capacity challenges says nothing. */
export function workerCapacityCells(w: WorkerView): WorkerCapacityCells {
  const c = w.capacity;
  return {
    claimed: formatHashrate(w.hashrate),
    proven: c ? (c.challengesAnswered > 0 ? formatHashrate(c.provenHashrate) : 'not yet') : '–',
    rated: c ? formatHashrate(c.ratedHashrate) : '–',
    uptime: c ? formatBps(c.uptimeBps) : '–',
    computeHours: c ? formatComputeHours(c.computeHours) : '–',
    slaBreaches: c ? c.slaBreaches.toLocaleString('en-US') : '–',
    slashed: w.slashedTotal !== undefined ? formatIgn(w.slashedTotal, 4) : '–',
    state: c?.suspended ? 'suspended' : w.accepting ? 'accepting' : 'paused',
  };
}
