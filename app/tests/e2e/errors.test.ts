// Failures read as sentences: a rejection in the wallet, and a program error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWallet, launch, openApp, screenshot, setWalletRejects, settledResult, type Browser } from './helpers';

describe('errors as sentences', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('says so when the wallet rejects the request', async () => {
    const page = await openApp(browser, { path: '/stake' });
    await connectWallet(page);
    await page.getByTestId('stake-amount').waitFor();
    await setWalletRejects(page, true);
    await page.getByTestId('stake-amount').fill('1');
    await page.getByTestId('stake-submit').click();
    const result = await settledResult(page, 'stake-result');
    expect(result.state).toBe('error');
    expect(result.text).toBe('You rejected the request in your wallet');
    await screenshot(page, 'error-rejected');
    await setWalletRejects(page, false);
    await page.close();
  });

  it('explains a program error: staking more than the balance', async () => {
    const page = await openApp(browser, { path: '/stake' });
    await connectWallet(page);
    await page.getByTestId('ign-balance').filter({ hasText: /\d IGN/ }).waitFor({ timeout: 30_000 });
    await page.getByTestId('stake-amount').fill('999999999');
    await page.getByTestId('stake-submit').click();
    const result = await settledResult(page, 'stake-result');
    expect(result.state).toBe('error');
    expect(result.text).toBe('Your IGN balance is too low for this amount');
    await screenshot(page, 'error-balance');

    // Unstaking more than is staked is the program's own error (InsufficientStake, 6014).
    await page.getByTestId('stake-amount').fill('1');
    await page.getByTestId('stake-submit').click();
    expect((await settledResult(page, 'stake-result')).state).toBe('ok');
    await page.getByTestId('unstake-amount').fill('999999999');
    await page.getByTestId('unstake-submit').click();
    const unstake = await settledResult(page, 'unstake-result');
    expect(unstake.state).toBe('error');
    expect(unstake.text).toBe('Not enough bonded stake: you cannot unstake more than you have staked');
    await screenshot(page, 'error-unstake');
    await page.close();
  });
});
