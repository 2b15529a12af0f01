// Connecting the test wallet, the overview from the orchestrator, and every page at
// phone width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWallet, launch, network, openApp, screenshot, type Browser } from './helpers';

describe('wallet and overview', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('connects the test wallet through the Wallet Standard', async () => {
    const page = await openApp(browser);
    const address = await connectWallet(page);
    expect(address).toBe(network().demoWallet.pubkey);
    // The connection survives a reload (silent reconnect to the last wallet).
    await page.reload();
    await page.getByTestId('wallet-button').waitFor({ timeout: 15_000 });
    await screenshot(page, 'wallet-connected');
    await page.close();
  });

  it('shows the network from the orchestrator', async () => {
    const page = await openApp(browser);
    const workers = page.getByTestId('stat-workers');
    await workers.waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="stat-workers"] .stat-value')?.textContent) >= 1,
      null,
      { timeout: 30_000 },
    );
    for (const id of ['stat-gpus', 'stat-hashrate', 'stat-staked', 'stat-emission', 'stat-jobs', 'jobs-chart', 'hashrate-chart', 'workers-table']) {
      await page.getByTestId(id).waitFor({ timeout: 15_000 });
    }
    expect(await page.getByTestId('stat-emission').innerText()).toMatch(/IGN\/s/);
    expect(await page.getByTestId('api-notice').count()).toBe(0);
    await screenshot(page, 'overview');
    await page.close();
  });

  it('works at phone width (375 px) without sideways scrolling', async () => {
    const phone = await launch({ width: 375, height: 812 });
    try {
      const page = await openApp(phone);
      await connectWallet(page);
      for (const path of ['/', '/post', '/jobs', '/stake']) {
        await page.evaluate((p) => (location.hash = `#${p}`), path);
        await page.waitForTimeout(1_500);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        await screenshot(page, `phone${path === '/' ? '-overview' : path.replace('/', '-')}`);
        expect(overflow, `page ${path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
      }
      await page.close();
    } finally {
      await phone.close();
    }
  });

  it('still works for wallet actions when the orchestrator is unreachable', async () => {
    const page = await openApp(browser, { path: '/stake', apiUrl: 'http://127.0.0.1:9' });
    await connectWallet(page);
    const notice = page.getByTestId('api-notice');
    await notice.waitFor({ timeout: 20_000 });
    expect(await notice.innerText()).toMatch(/unreachable/);
    await page.getByTestId('ign-balance').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('ign-balance').innerText()).toMatch(/IGN/);
    await page.evaluate(() => (location.hash = '#/jobs'));
    await page.getByTestId('jobs-source').filter({ hasText: /chain/ }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'orchestrator-down');
    await page.close();
  });
});
