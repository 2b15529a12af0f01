// Network overview: workers, GPUs, jobs by status, hashrate, stake and emission, with
// charts from the orchestrator's history and live updates over server-sent events.
// Without the orchestrator, what the chain says: stake, emission and workers from the
// Config, the jobs' totals summed over the 16 shard accounts (one getMultipleAccounts).

import type { App } from '../app';
import { JOB_STATUSES, type Stats, type WorkerView } from '../lib/api';
import { readJobTotals, type JobTotals } from '../lib/chain';
import { formatBytes, formatHashrate, formatIgn, formatSi, formatUnits, shortAddress } from '../lib/format';
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
    'Network hashrate',
    [{ label: 'Hashrate', color: '#f97316', format: (v) => formatHashrate(v) }],
    'hashrate-chart',
  );
  const workersBox = h('section', { class: 'card' });
  replaceChildren(
    root,
    h('h1', null, 'Network overview'),
    cards,
    h('section', { class: 'charts' }, jobsChart.element, hashChart.element),
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
  };

  const setHistory = (stats: Stats) => {
    const history = stats.history ?? [];
    jobsChart.set(history.map((p) => ({ t: p.t, values: [p.jobsCompleted, p.jobsOpen] })));
    hashChart.set(history.map((p) => ({ t: p.t, values: [p.hashrate] })));
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
              h('thead', null, h('tr', null, ['Operator', 'GPU', 'Kernels', 'Hashrate', 'Min price', 'Jobs', 'Done / missed', 'Stake', ''].map((c) => h('th', null, c)))),
              h(
                'tbody',
                null,
                rows.map((w) =>
                  h(
                    'tr',
                    null,
                    h('td', { 'data-label': 'Operator' }, extLink(app.explorerAddress(w.operator), shortAddress(w.operator))),
                    h('td', { 'data-label': 'GPU' }, `${w.gpuModel || 'CPU'}${w.vramMb ? ` · ${formatBytes(w.vramMb * 1_048_576)}` : ''}`),
                    h('td', { 'data-label': 'Kernels' }, w.kernels.join(', ')),
                    h('td', { 'data-label': 'Hashrate' }, formatHashrate(w.hashrate)),
                    h('td', { 'data-label': 'Min price' }, formatIgn(w.minPrice, 4)),
                    h('td', { 'data-label': 'Jobs' }, `${w.activeJobs} / ${w.maxConcurrentJobs}`),
                    h('td', { 'data-label': 'Done / missed' }, `${w.jobsCompleted} / ${w.jobsMissed}`),
                    h('td', { 'data-label': 'Stake' }, formatIgn(w.stake, 2)),
                    h('td', null, h('span', { class: `badge ${w.accepting ? 'badge-completed' : 'badge-cancelled'}` }, w.accepting ? 'accepting' : 'paused')),
                  ),
                ),
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
        hashChart.push(t, [stats.hashrate]);
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
  };
}
