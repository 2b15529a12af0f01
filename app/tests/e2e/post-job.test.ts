// Posting a PoW job from the app and watching the network complete it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWallet, launch, openApp, screenshot, settledResult, type Browser } from './helpers';

describe('post a job', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('posts a difficulty-8 PoW job, shows its id and transaction, and sees it complete', async () => {
    const page = await openApp(browser, { path: '/post' });
    await connectWallet(page);
    await page.getByTestId('kind-pow').check();
    await page.getByTestId('difficulty').fill('8');
    await page.getByTestId('reward').fill('2');
    await page.getByTestId('execution').fill('120');
    await page.getByTestId('ttl').fill('600');

    // The cost preview: escrow, the protocol fee from Config, network fee and rent, the work.
    const preview = page.getByTestId('cost-preview');
    await preview.getByTestId('preview-fee').waitFor();
    expect(await preview.getByTestId('preview-escrow').innerText()).toMatch(/2 IGN/);
    expect(await preview.getByTestId('preview-fee').innerText()).toMatch(/%\)[\s\S]*IGN/);
    expect(await preview.getByTestId('preview-network-fee').innerText()).toMatch(/SOL/);
    expect(await preview.getByTestId('preview-work').innerText()).toMatch(/256 hashes/);
    // The smallest reward the program takes: a fee of at least one base unit per replica.
    expect(await preview.getByTestId('preview-min-reward').innerText()).toMatch(/Minimum reward[\s\S]*\d IGN/);
    await page.waitForFunction(() => !(document.querySelector('[data-testid="post-submit"]') as HTMLButtonElement).disabled);
    await screenshot(page, 'post-form');

    await page.getByTestId('post-submit').click();
    const result = await settledResult(page, 'post-result');
    expect(result.state, result.text).toBe('ok');
    const match = /Job #(\d+) posted/.exec(result.text);
    expect(match, result.text).not.toBeNull();
    const jobId = match![1]!;
    const txLink = page.getByTestId('post-result').getByTestId('tx-link');
    expect(await txLink.getAttribute('href')).toMatch(/explorer\.solana\.com\/tx\/\w+\?cluster=custom&customUrl=http/);

    // Live status until the worker's proof is accepted on chain.
    await page.waitForSelector(`[data-testid="posted-job"][data-job-id="${jobId}"][data-status="completed"]`, { timeout: 120_000 });
    await screenshot(page, 'post-completed');

    // My jobs lists it as completed, with the posting transaction.
    await page.evaluate(() => (location.hash = '#/jobs'));
    const card = page.getByTestId(`job-${jobId}`);
    await page.waitForSelector(`[data-testid="job-${jobId}"][data-status="completed"]`, { timeout: 30_000 });
    expect(await card.getByTestId('job-tx-post').getAttribute('href')).toContain('explorer.solana.com/tx/');
    expect(await card.getByTestId('cancel-job').count()).toBe(0);
    await screenshot(page, 'my-jobs');
    await page.close();
  });

  it('cancels an open job while no worker has it', async () => {
    const page = await openApp(browser, { path: '/post' });
    await connectWallet(page);
    // The network runs one worker, and the orchestrator starts a multi-replica job only
    // when every replica can start together on distinct workers: this one stays open.
    await page.getByTestId('kind-matmul').check();
    await page.getByTestId('size').fill('64');
    await page.getByTestId('replicas').selectOption('2');
    await page.getByTestId('reward').fill('1');
    await page.waitForFunction(() => !(document.querySelector('[data-testid="post-submit"]') as HTMLButtonElement).disabled);
    await page.getByTestId('post-submit').click();
    const posted = await settledResult(page, 'post-result');
    expect(posted.state, posted.text).toBe('ok');
    const jobId = /Job #(\d+) posted/.exec(posted.text)![1]!;

    await page.evaluate(() => (location.hash = '#/jobs'));
    const card = page.getByTestId(`job-${jobId}`);
    await card.getByTestId('cancel-job').click({ timeout: 30_000 });
    const cancelled = await settledResult(page, `[data-testid="job-${jobId}"] [data-testid="job-action-result"]`);
    expect(cancelled.state, cancelled.text).toBe('ok');
    expect(cancelled.text).toMatch(new RegExp(`Job #${jobId} cancelled`));
    await page.waitForSelector(`[data-testid="job-${jobId}"][data-status="cancelled"]`, { timeout: 30_000 });
    await screenshot(page, 'job-cancelled');
    await page.close();
  });
});
