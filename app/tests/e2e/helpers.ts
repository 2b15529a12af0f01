// Shared by the browser tests: the network's description, Chromium, and the app opened
// with the test wallet holding the demo wallet's key.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export interface Network {
  rpcUrl: string;
  wsUrl: string;
  apiUrl: string;
  appUrl: string;
  mint: string;
  demoWallet: { pubkey: string; keypairPath: string };
}

export function network(): Network {
  const path = process.env.IGNIS_E2E_NETWORK;
  if (!path) throw new Error('IGNIS_E2E_NETWORK is not set: run the browser tests with `npm run test:e2e`');
  return JSON.parse(readFileSync(path, 'utf8')) as Network;
}

export function demoSecretKey(): number[] {
  return JSON.parse(readFileSync(network().demoWallet.keypairPath, 'utf8')) as number[];
}

const RESULTS = new URL('../../test-results/', import.meta.url).pathname;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with TOOLCHAIN.md's flags and a fresh profile. */
export async function launch(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'ignis-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.IGNIS_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface OpenOptions {
  /** Hash route: '/', '/post', '/jobs', '/stake'. */
  path?: string;
  /** Inject the test wallet with this key (default: the demo wallet's). */
  secretKey?: number[] | null;
  /** Orchestrator URL to use instead of the network's. */
  apiUrl?: string;
}

/** Opens the app pointed at the network (?rpc=&ws=&api=), with the test wallet injected. */
export async function openApp(browser: Browser, options: OpenOptions = {}): Promise<Page> {
  const net = network();
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  const secretKey = options.secretKey === undefined ? demoSecretKey() : options.secretKey;
  if (secretKey) {
    await page.addInitScript((key) => {
      (window as unknown as { __IGNIS_TEST_WALLET__: unknown }).__IGNIS_TEST_WALLET__ = { secretKey: key };
    }, secretKey);
  }
  const base = process.env.IGNIS_E2E_APP_URL ?? net.appUrl;
  const url = new URL(base);
  url.search = new URLSearchParams({ rpc: net.rpcUrl, ws: net.wsUrl, api: options.apiUrl ?? net.apiUrl }).toString();
  url.hash = `#${options.path ?? '/'}`;
  await page.goto(url.toString());
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return page;
}

/**
 * Connects the test wallet from the header, unless the app already reconnected it
 * silently (it remembers the last wallet of this browser profile).
 */
export async function connectWallet(page: Page): Promise<string> {
  const button = page.getByTestId('wallet-button');
  await page.locator('[data-testid="wallet-button"], [data-testid="connect-button"]').first().waitFor();
  if ((await button.count()) === 0) {
    await page.getByTestId('connect-button').click();
    await page.locator('[data-testid="wallet-option"][data-wallet="Ignis Test Wallet"]').click();
  }
  await button.waitFor();
  return (await button.getAttribute('data-address')) ?? '';
}

export async function setWalletRejects(page: Page, reject: boolean): Promise<void> {
  await page.evaluate((value) => {
    const config = (window as unknown as { __IGNIS_TEST_WALLET__: { reject?: boolean } }).__IGNIS_TEST_WALLET__;
    config.reject = value;
  }, reject);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
}

/**
 * The state and text of a result box once it leaves the pending state. `target` is a
 * data-testid, or a CSS selector when it contains a bracket.
 */
export async function settledResult(page: Page, target: string, timeout = 90_000): Promise<{ state: string; text: string }> {
  const selector = target.includes('[') ? target : `[data-testid="${target}"]`;
  await page.waitForFunction(
    (sel) => {
      const el = document.querySelector<HTMLElement>(sel);
      return el?.dataset.state === 'ok' || el?.dataset.state === 'error';
    },
    selector,
    { timeout },
  );
  const locator = page.locator(selector);
  return { state: (await locator.getAttribute('data-state')) ?? '', text: (await locator.innerText()).trim() };
}

/** IGN display text (`1,234.5 IGN`) as a number. */
export function ign(text: string): number {
  const match = /([\d,]+(?:\.\d+)?)\s*IGN/.exec(text);
  if (!match) throw new Error(`no IGN amount in "${text}"`);
  return Number(match[1]!.replace(/,/g, ''));
}

/** GET `path` from the network's orchestrator (`/api/stats`, `/api/workers`), as JSON. */
export async function api<T>(path: string): Promise<T> {
  const url = network().apiUrl + path;
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}
