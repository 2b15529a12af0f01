// What capacity challenges proved, on the overview: the network's proven figures and
// each worker's claimed, proven and rated hashrate, as the orchestrator reports them;
// and a PoW job posted with an SLA: its premium and guarantee previewed before paying,
// bought in the posting transaction, and shown on the job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stats, WorkerView } from '../../src/lib/api';
import { formatChallenges } from '../../src/lib/capacity';
import { formatBps, formatComputeHours, formatHashrate, formatIgn, parseIgn } from '../../src/lib/format';
import { api, connectWallet, launch, openApp, screenshot, settledResult, type Browser } from './helpers';

/** An amount shown as `1,234.5 IGN`, in base units. */
const baseUnits = (text: string) => parseIgn(text.replace(/\s*IGN\s*$/, ''));

describe('proven capacity and SLAs', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the network’s proven figures and each worker’s claimed, proven and rated hashrate from the orchestrator', async () => {
    // Read first: counters only grow, so the page shows at least these.
    const before = await api<Stats>('/api/stats');
    const { workers } = await api<{ workers: WorkerView[] }>('/api/workers');
    expect(typeof before.provenHashrate, 'GET /api/stats has provenHashrate').toBe('number');
    expect(workers.length).toBeGreaterThan(0);
    expect(typeof workers[0]!.capacity?.ratedHashrate, 'GET /api/workers has capacity').toBe('number');

    const page = await openApp(browser);
    const proven = page.locator('[data-testid="proven-stats"][data-source="api"]');
    await proven.waitFor({ timeout: 30_000 });
    const figure = async (id: string) => {
      const card = proven.getByTestId(id);
      await card.waitFor({ timeout: 15_000 });
      return { raw: (await card.getAttribute('data-raw')) ?? '', value: (await card.locator('.stat-value').innerText()).trim(), text: await card.innerText() };
    };

    const hashrate = await figure('stat-proven-hashrate');
    expect(hashrate.value).toBe(formatHashrate(Number(hashrate.raw)));
    expect(hashrate.text).toMatch(/of the [\d.]+ [kMGT]?H\/s claimed/);
    const uptime = await figure('stat-uptime');
    expect(Number(uptime.raw)).toBeGreaterThanOrEqual(0);
    expect(Number(uptime.raw)).toBeLessThanOrEqual(10_000);
    expect(uptime.value).toBe(formatBps(Number(uptime.raw)));
    const challenges = await figure('stat-challenges');
    const [answered, missed] = challenges.raw.split('/').map(Number) as [number, number];
    expect(answered).toBeGreaterThanOrEqual(before.challengesAnswered ?? 0);
    expect(missed).toBeGreaterThanOrEqual(before.challengesMissed ?? 0);
    expect(challenges.value).toBe(formatChallenges(answered, missed));
    const hours = await figure('stat-compute-hours');
    expect(Number(hours.raw)).toBeGreaterThanOrEqual(before.computeHours ?? 0);
    expect(hours.value).toBe(formatComputeHours(Number(hours.raw)));
    const breaches = await figure('stat-sla-breaches');
    expect(Number(breaches.raw)).toBeGreaterThanOrEqual(before.slaBreaches ?? 0);
    const compensated = await figure('stat-sla-compensated');
    expect(BigInt(compensated.raw)).toBeGreaterThanOrEqual(BigInt(before.slaCompensated ?? '0'));
    expect(compensated.value).toMatch(/ IGN$/);
    const premium = await figure('stat-sla-premium');
    expect(BigInt(premium.raw)).toBeGreaterThan(0n);
    expect(premium.text).toContain(`pays at least ${formatIgn(before.slaMinCompensation ?? '0', 4)} per missed deadline`);

    // Claimed against proven over time, and the uptime.
    await page.getByTestId('hashrate-chart').locator('.u-legend').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('hashrate-chart').locator('.u-legend').innerText()).toMatch(/Claimed[\s\S]*Proven/);
    await page.getByTestId('uptime-chart').waitFor();

    // Every worker the orchestrator lists, its claim beside what challenges proved.
    for (const w of workers) {
      const row = page.locator(`[data-testid="workers-table"] [data-testid="worker-row"][data-address="${w.address}"]`);
      await row.waitFor({ timeout: 15_000 });
      const cell = async (id: string) => (await row.getByTestId(id).innerText()).trim();
      expect(await cell('worker-claimed')).toBe(formatHashrate(w.hashrate));
      expect(await cell('worker-proven')).toMatch(/^(?:[\d.]+ [kMGTPE]?H\/s|not yet)$/);
      expect(await cell('worker-rated')).toMatch(/^[\d.]+ [kMGTPE]?H\/s$/);
      expect(await cell('worker-uptime')).toMatch(/^[\d.]+%$/);
      expect(await cell('worker-compute-hours')).toMatch(/^(?:<0\.01|[\d,.]+) h$/);
      expect(await cell('worker-sla-breaches')).toMatch(/^[\d,]+$/);
      expect(await cell('worker-slashed')).toMatch(/^(?:<0\.0001|[\d,.]+) IGN$/);
      const state = await row.getAttribute('data-state');
      expect(['accepting', 'paused', 'suspended']).toContain(state);
      expect(await cell('worker-state')).toBe(state);
    }
    await screenshot(page, 'overview-proven');
    await page.close();
  });

  it('previews an SLA’s premium and guarantee, posts a PoW job with it, and the job shows its SLA', async () => {
    const page = await openApp(browser, { path: '/post' });
    await connectWallet(page);
    const sla = page.getByTestId('sla');

    // Not for kernel jobs: disabled, with the reason.
    await page.getByTestId('kind-matmul').check();
    expect(await sla.isDisabled()).toBe(true);
    expect(await page.getByTestId('sla-hint').innerText()).toMatch(/proof-of-work jobs only/);

    await page.getByTestId('kind-pow').check();
    expect(await sla.isDisabled()).toBe(false);
    await page.getByTestId('difficulty').fill('8');
    await page.getByTestId('reward').fill('2');
    await page.getByTestId('execution').fill('120');
    await page.getByTestId('ttl').fill('600');
    const preview = page.getByTestId('cost-preview');
    await preview.getByTestId('preview-fee').waitFor();
    expect(await preview.getByTestId('preview-sla-premium').count()).toBe(0);
    expect(await preview.getByTestId('preview-total-ign').locator('strong').innerText()).toBe('2 IGN');

    // Ticked: the premium, the guarantee in words, and the premium in the total.
    await sla.check();
    await preview.getByTestId('preview-sla-premium').waitFor();
    const premium = baseUnits(await preview.getByTestId('preview-sla-premium').locator('strong').innerText());
    expect(premium).toBeGreaterThan(0n);
    expect(await preview.getByTestId('preview-sla-premium').innerText()).toMatch(/challenge uptime/);
    const stats = await api<Stats>('/api/stats');
    const guarantee = await preview.getByTestId('preview-sla-guarantee').innerText();
    expect(guarantee).toMatch(
      /^If the worker misses its deadline you receive at least [\d,.]+ IGN per missed replica, automatically; only workers with ≥ [\d.]+% proven uptime take it\.$/,
    );
    // The least compensation depends only on the protocol's parameters: the orchestrator quotes the same.
    expect(guarantee).toContain(`at least ${formatIgn(stats.slaMinCompensation ?? '0')} per missed replica`);
    expect(await preview.getByTestId('preview-total-ign').locator('strong').innerText()).toBe(formatIgn(parseIgn('2') + premium));
    await page.waitForFunction(() => !(document.querySelector('[data-testid="post-submit"]') as HTMLButtonElement).disabled);
    await screenshot(page, 'post-sla-preview');

    await page.getByTestId('post-submit').click();
    const result = await settledResult(page, 'post-result');
    expect(result.state, result.text).toBe('ok');
    const match = /Job #(\d+) posted with an SLA/.exec(result.text);
    expect(match, result.text).not.toBeNull();
    const jobId = match![1]!;
    expect(await page.getByTestId('post-result').getByTestId('tx-link').getAttribute('href')).toMatch(/explorer\.solana\.com\/tx\//);

    // The job account carries the SLA, at no more than the previewed premium.
    const terms = page.locator('[data-testid="posted-job-sla"][data-sla="true"]');
    await terms.waitFor({ timeout: 30_000 });
    const termsText = await terms.innerText();
    const paid = /premium paid ([\d,.]+ IGN)/.exec(termsText);
    expect(paid, termsText).not.toBeNull();
    expect(baseUnits(paid![1]!)).toBeLessThanOrEqual(premium);
    expect(termsText).toMatch(/≥ [\d.]+% proven uptime/);
    await screenshot(page, 'post-sla-posted');

    // My jobs shows it with its SLA.
    await page.evaluate(() => (location.hash = '#/jobs'));
    const card = page.getByTestId(`job-${jobId}`);
    await card.getByTestId('job-sla').waitFor({ timeout: 30_000 });
    expect(await card.getByTestId('job-sla').innerText()).toBe('SLA');
    expect(await card.getByTestId('job-sla-terms').innerText()).toMatch(/premium [\d,.]+ IGN|bought with the job/);
    expect(await card.getByTestId('job-tx-post').getAttribute('href')).toContain('explorer.solana.com/tx/');
    await screenshot(page, 'my-jobs-sla');
    await page.close();
  });
});
