// Staking (activating, then bonded within seconds by the orchestrator's crank, once it
// has synced every shard after the deposit), claiming rewards, and unstaking with the
// unlock time shown.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWallet, ign, launch, openApp, screenshot, settledResult, type Browser } from './helpers';

/**
 * Bonded and activating stake as the page shows them (activating only while nonzero),
 * read in one go so a re-render between the two cannot move the deposit unseen.
 */
async function stakeFigures(page: Page): Promise<{ bonded: number; activating: number }> {
  return page.evaluate(() => {
    const value = (id: string) => {
      const text = document.querySelector(`[data-testid="${id}"] .stat-value`)?.textContent ?? '0';
      return Number(text.replace(/[^\d.]/g, '')) || 0;
    };
    return { bonded: value('staked-amount'), activating: value('activating-amount') };
  });
}

describe('stake and rewards', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('stakes, claims rewards, and requests an unstake with its unlock time', async () => {
    const page = await openApp(browser, { path: '/stake' });
    await connectWallet(page);
    await page.getByTestId('ign-balance').filter({ hasText: /\d IGN/ }).waitFor({ timeout: 30_000 });
    const before = await stakeFigures(page);
    const stakedBefore = before.bonded + before.activating;

    await page.getByTestId('stake-amount').fill('100');
    await page.getByTestId('stake-submit').click();
    const staked = await settledResult(page, 'stake-result');
    expect(staked.state, staked.text).toBe('ok');
    expect(staked.text).toMatch(/Staked 100 IGN: activating, bonded within seconds/);
    // The page re-read the stake before reporting: the deposit is there, still
    // activating or (if the crank was quick) already bonded.
    const after = await stakeFigures(page);
    expect(after.bonded + after.activating).toBeGreaterThanOrEqual(stakedBefore + 100);
    // A deposit is bonded in a later slot, once every shard was synced after it: the
    // orchestrator's crank syncs the shards and sends activate_stake within seconds, and
    // the page follows. Only bonded stake shows as staked (and
    // earns): wait for it rather than for a fixed time.
    await page.waitForFunction(
      (before) => {
        const text = document.querySelector('[data-testid="staked-amount"] .stat-value')?.textContent ?? '';
        return Number(text.replace(/[^\d.]/g, '')) >= before + 100;
      },
      stakedBefore,
      { timeout: 30_000 },
    );
    await page.getByTestId('activating-amount').waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot(page, 'staked');

    // The crank books emission to bonded stake every few seconds (sync_shard): the
    // claimable figure grows as the page re-reads the Config, then claim pays it.
    await page.waitForFunction(() => Number((document.querySelector('[data-testid="claimable"]') as HTMLElement)?.dataset.amount ?? 0) > 0, null, {
      timeout: 60_000,
    });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="claim-submit"]') as HTMLButtonElement).disabled);
    await page.getByTestId('claim-submit').click();
    const claimed = await settledResult(page, 'claim-result');
    expect(claimed.state, claimed.text).toBe('ok');
    expect(claimed.text).toMatch(/Claimed [\d.,]+ IGN|Rewards claimed/);
    await page.waitForFunction(
      () => !/^0 IGN$/.test(document.querySelector('[data-testid="claimed-total"] .stat-value')?.textContent ?? '0 IGN'),
      null,
      { timeout: 30_000 },
    );
    await screenshot(page, 'claimed');

    // Unstake: the hint says when it would unlock; after the request, the unlock time shows.
    expect(await page.getByTestId('unstake-hint').innerText()).toMatch(/unlocks after .+: at \d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    await page.getByTestId('unstake-amount').fill('40');
    await page.getByTestId('unstake-submit').click();
    const unstaked = await settledResult(page, 'unstake-result');
    expect(unstaked.state, unstaked.text).toBe('ok');
    expect(unstaked.text).toMatch(/Unstake of 40 IGN requested: it unlocks at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    const unlock = page.getByTestId('unlock-time');
    await unlock.waitFor({ timeout: 30_000 });
    expect(await unlock.innerText()).toMatch(/(Unlocks at|Unlocked since) \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    expect(Number(await unlock.getAttribute('data-unlock-at'))).toBeGreaterThan(0);
    expect(ign(await page.getByTestId('unbonding-amount').innerText())).toBeGreaterThanOrEqual(40);
    await screenshot(page, 'unstaked');
    await page.close();
  });
});
