// Network overview: workers, GPUs, jobs by status, hashrate, stake and emission, with
// charts from the orchestrator's history and live updates over server-sent events.
// Without the orchestrator, what the chain says: stake, emission and workers from the
// Config, the jobs' totals summed over the 16 shard accounts (one getMultipleAccounts).
//
// What capacity challenges proved (lib/capacity.ts): the network's proven against
// claimed hashrate, challenge uptime, compute-hours, SLA breaches and the compensation
// they paid, charted over time; and per worker its claim beside its proven and rated
// hashrate, uptime, compute-hours, SLA breaches, slashes and whether it is suspended.

import type { App } from '../app';
import { JOB_STATUSES, type Stats, type WorkerView } from '../lib/api';
import { provenFigures, workerCapacityCells } from '../lib/capacity';
import { readJobTotals, type JobTotals } from '../lib/chain';
import { formatBps, formatBytes, formatHashrate, formatIgn, formatSi, formatUnits, shortAddress } from '../lib/format';
import { emissionRateAt } from '../lib/rewards';
import { TimeChart } from '../ui/chart';
import { notice, stat, statusBadge } from '../ui/components';
import { extLink, h, replaceChildren } from '../ui/dom';

export function overviewPage(app: App, root: HTMLElement): () => void {
  const cards = h('section', { class: 'stats', 'data-testid': 'overview-stats' });
  const jobsChart = new TimeChart(
    'Jobs',
    [
      { label: 'Completed', color: '#4ade80', format: (v) => formatSi(v).trim() },
      { label: 'Open', color: '#fbbf24', format: (v) => formatSi(v).trim() },
    ],
    'jobs-chart',
  );
  const hashChart = new TimeChart(
    'Network hashrate: claimed and proven',
    [
      { label: 'Claimed', color: '#f97316', format: (v) => formatHashrate(v) },
      { label: 'Proven', color: '#60a5fa', format: (v) => formatHashrate(v) },
    ],
    'hashrate-chart',
  );
  const uptimeChart = new TimeChart(
    'Network uptime (capacity challenges)',
    [{ label: 'Uptime', color: '#4ade80', format: (v) => formatBps(v) }],
    'uptime-chart',
  );
  const provenCards = h('section', { class: 'stats', 'data-testid': 'proven-stats' });
  const workersBox = h('section', { class: 'card', 'data-testid': 'workers-section' });
  replaceChildren(
    root,
    h('h1', null, 'Network overview'),
    cards,
    h('h2', null, 'Proven capacity'),
    provenCards,
    h('section', { class: 'charts' }, jobsChart.element, hashChart.element, uptimeChart.element),
    workersBox,
  );

  // The jobs' totals live in the shards: read when the cards first need them, then with
  // every refresh while the orchestrator is unreachable.
  let jobTotals: JobTotals | null = null;
  let totalsRequested = false;
  let totalsLoading = false;
  const refreshJobTotals = async () => {
    if (totalsLoading) return;
    totalsLoading = true;
    try {
      jobTotals = await readJobTotals(app.rpc);
    } catch {
      /* the cards keep the last figures */
    } finally {
      totalsLoading = false;
    }
    renderCards(app.apiOnline === false ? null : app.stats);
  };

  const renderCards = (stats: Stats | null) => {
    const config = app.config;
    const items: HTMLElement[] = [];
    if (stats) {
      items.push(
        stat('Workers online', String(stats.workersOnline), 'stat-workers'),
        stat('GPUs', String(stats.gpus), 'stat-gpus'),
        stat('Network hashrate', formatHashrate(stats.hashrate), 'stat-hashrate'),
        stat('IGN staked', formatIgn(stats.totalStaked, 2), 'stat-staked'),
        stat('Emission rate', `${formatUnits(stats.emissionRate, 9, 4)} IGN/s`, 'stat-emission'),
        stat('Volume paid', formatIgn(stats.volume, 2), 'stat-volume'),
      );
      items.push(
        h(
          'div',
          { class: 'stat stat-wide', 'data-testid': 'stat-jobs' },
          h('div', { class: 'stat-label' }, 'Jobs by status'),
          h(
            'div',
            { class: 'status-counts' },
            JOB_STATUSES.map((s) =>
              h('span', { class: 'status-count', 'data-status': s }, statusBadge(s), ' ', String(stats.jobsByStatus?.[s] ?? 0)),
            ),
          ),
        ),
      );
    } else if (config) {
      if (!totalsRequested) {
        totalsRequested = true;
        void refreshJobTotals();
      }
      const now = BigInt(app.now());
      const t = config.totals;
      const jobs = jobTotals;
      items.push(
        stat('IGN staked', formatIgn(t.staked, 2), 'stat-staked', 'bonded, from the chain'),
        stat('Emission rate', `${formatUnits(emissionRateAt(config.emission, now), 9, 4)} IGN/s`, 'stat-emission', 'from the chain'),
        stat('Jobs posted', jobs ? String(jobs.jobsPosted) : '…', 'stat-posted', 'from the chain'),
        stat('Jobs completed', jobs ? String(jobs.jobsCompleted) : '…', 'stat-completed', 'from the chain'),
        stat('Workers registered', String(t.workersRegistered), 'stat-workers', 'from the chain'),
        stat('Paid to workers', jobs ? formatIgn(jobs.paidToWorkers, 2) : '…', 'stat-volume', 'from the chain'),
      );
    } else {
      items.push(notice(app.chainError ?? 'Loading…'));
    }
    replaceChildren(cards, items);
    renderProven(stats);
  };

  const renderProven = (stats: Stats | null) => {
    const proven = provenFigures(stats, app.config);
    if (!proven) {
      delete provenCards.dataset.source;
      replaceChildren(provenCards, notice(app.config === null ? (app.chainError ?? 'No protocol configuration') : 'Loading…'));
      return;
    }
    provenCards.dataset.source = proven.source;
    replaceChildren(
      provenCards,
      proven.figures.map((f) => {
        const card = stat(f.label, f.value, f.testId, f.hint);
        card.dataset.raw = f.raw;
        return card;
      }),
    );
  };

  const setHistory = (stats: Stats) => {
    const history = stats.history ?? [];
    jobsChart.set(history.map((p) => ({ t: p.t, values: [p.jobsCompleted, p.jobsOpen] })));
    hashChart.set(history.map((p) => ({ t: p.t, values: [p.hashrate, p.provenHashrate ?? 0] })));
    // Samples from an orchestrator older than capacity challenges have no uptime.
    uptimeChart.set(history.filter((p) => p.uptimeBps !== undefined).map((p) => ({ t: p.t, values: [p.uptimeBps ?? 0] })));
  };

  const workers = new Map<string, WorkerView>();
  const renderWorkers = () => {
    const rows = [...workers.values()].sort((a, b) => b.hashrate - a.hashrate);
    replaceChildren(
      workersBox,
      h('h2', null, `Workers (${rows.length})`),
      rows.length === 0
        ? notice(app.apiOnline === false ? 'Worker list needs the orchestrator.' : 'No workers registered yet.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table', 'data-testid': 'workers-table' },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  // What challenges proved first, beside the claim; the rest after.
                  [
                    ['Operator'],
                    ['State'],
                    ['GPU'],
                    ['Claimed', 'the hashrate the operator says its worker has'],
                    ['Proven', 'the average rate its answers to capacity challenges proved'],
                    ['Rated', 'what assignment trusts: the claim, cut to what challenges proved'],
                    ['Uptime', 'capacity challenges answered in time, over its last 64'],
                    ['Compute-hours', 'paid work served at its rated hashrate'],
                    ['SLA breaches', 'deadlines of SLA jobs it missed'],
                    ['Slashed', 'stake slashed from its operator'],
                    ['Stake'],
                    ['Jobs'],
                    ['Done / missed'],
                    ['Min price'],
                    ['Kernels'],
                  ].map(([c, title]) => h('th', { title }, c)),
                ),
              ),
              h(
                'tbody',
                null,
                rows.map((w) => {
                  const cells = workerCapacityCells(w);
                  const td = (label: string, testId: string | null, value: string) =>
                    h('td', { 'data-label': label, 'data-testid': testId }, value);
                  return h(
                    'tr',
                    { 'data-testid': 'worker-row', 'data-address': w.address, 'data-operator': w.operator, 'data-state': cells.state },
                    h('td', { 'data-label': 'Operator' }, extLink(app.explorerAddress(w.operator), shortAddress(w.operator))),
                    h(
                      'td',
                      { 'data-label': 'State', 'data-testid': 'worker-state' },
                      h(
                        'span',
                        {
                          class: `badge ${cells.state === 'accepting' ? 'badge-completed' : cells.state === 'suspended' ? 'badge-suspended' : 'badge-cancelled'}`,
                          'data-testid': cells.state === 'suspended' ? 'worker-suspended' : null,
                          title: cells.state === 'suspended' ? 'missed its last 3 capacity challenges: no new jobs until it answers one' : undefined,
                        },
                        cells.state,
                      ),
                    ),
                    td('GPU', null, `${w.gpuModel || 'CPU'}${w.vramMb ? ` · ${formatBytes(w.vramMb * 1_048_576)}` : ''}`),
                    td('Claimed', 'worker-claimed', cells.claimed),
                    td('Proven', 'worker-proven', cells.proven),
                    td('Rated', 'worker-rated', cells.rated),
                    td('Uptime', 'worker-uptime', cells.uptime),
                    td('Compute-hours', 'worker-compute-hours', cells.computeHours),
                    td('SLA breaches', 'worker-sla-breaches', cells.slaBreaches),
                    td('Slashed', 'worker-slashed', cells.slashed),
                    td('Stake', null, formatIgn(w.stake, 2)),
                    td('Jobs', null, `${w.activeJobs} / ${w.maxConcurrentJobs}`),
                    td('Done / missed', null, `${w.jobsCompleted} / ${w.jobsMissed}`),
                    td('Min price', null, formatIgn(w.minPrice, 4)),
                    td('Kernels', null, w.kernels.join(', ')),
                  );
                }),
              ),
            ),
          ),
    );
  };

  const loadWorkers = async () => {
    try {
      for (const w of await app.api.workers()) workers.set(w.address, w);
      app.setApiOnline(true);
    } catch {
      app.setApiOnline(false);
    }
    renderWorkers();
  };

  renderCards(app.stats);
  if (app.stats) setHistory(app.stats);
  void loadWorkers();
  void app.refreshStats();

  let historySet = Boolean(app.stats);
  const offs = [
    app.on('stats', (detail) => {
      const stats = detail as Stats;
      renderCards(stats);
      if (!historySet && stats.history?.length) {
        setHistory(stats);
        historySet = true;
      } else {
        const t = Math.floor(Date.now() / 1000);
        jobsChart.push(t, [stats.jobsByStatus?.completed ?? 0, stats.jobsByStatus?.open ?? 0]);
        hashChart.push(t, [stats.hashrate, stats.provenHashrate ?? 0]);
        if (stats.uptimeBps !== undefined) uptimeChart.push(t, [stats.uptimeBps]);
      }
    }),
    app.on('worker', (detail) => {
      const w = detail as WorkerView;
      workers.set(w.address, w);
      renderWorkers();
    }),
    app.on('config', () => renderCards(app.stats)),
    app.on('api', () => {
      renderCards(app.apiOnline ? app.stats : null);
      renderWorkers();
    }),
  ];
  const timer = setInterval(() => {
    void app.refreshStats();
    if (app.apiOnline === false) void refreshJobTotals();
  }, 15_000);
  return () => {
    offs.forEach((off) => off());
    clearInterval(timer);
    jobsChart.destroy();
    hashChart.destroy();
    uptimeChart.destroy();
  };
}
