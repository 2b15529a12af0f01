// The frame around every page: navigation, the wallet button, settings, and the
// notices about unreachable services.

import type { App } from '../app';
import { shortAddress } from '../lib/format';
import { DEFAULT_SETTINGS, saveSettings, validateUrl, type Settings } from '../lib/settings';
import { toast } from './components';
import { h, replaceChildren } from './dom';

export const ROUTES = [
  { path: '/', label: 'Overview' },
  { path: '/post', label: 'Post a job' },
  { path: '/jobs', label: 'My jobs' },
  { path: '/stake', label: 'Stake & rewards' },
] as const;

export function renderShell(app: App): { main: HTMLElement; nav: HTMLElement } {
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Pages' },
    ROUTES.map((r) => h('a', { href: `#${r.path}`, 'data-path': r.path }, r.label)),
  );
  const walletBox = h('div', { class: 'wallet' });
  const settingsButton = h(
    'button',
    { class: 'icon-button', 'aria-label': 'Settings', title: 'Settings', 'data-testid': 'settings-button', onclick: () => openSettings(app) },
    '⚙',
  );
  const header = h(
    'header',
    { class: 'header' },
    h('a', { class: 'brand', href: '#/' }, h('span', { class: 'flame', 'aria-hidden': 'true' }, '▲'), 'Ignis'),
    nav,
    h('div', { class: 'header-right' }, walletBox, settingsButton),
  );
  const notices = h('div', { class: 'notices' });
  const main = h('main', { class: 'main' });
  replaceChildren(document.getElementById('app')!, header, notices, main);

  document.addEventListener('click', (e) => {
    const menu = walletBox.querySelector<HTMLElement>('.menu');
    if (menu && !walletBox.contains(e.target as Node)) menu.hidden = true;
  });
  const renderWallet = () => renderWalletBox(app, walletBox);
  app.on('wallet', renderWallet);
  renderWallet();

  const renderNotices = () => {
    const items: HTMLElement[] = [];
    if (app.chainError) {
      items.push(h('div', { class: 'banner banner-error', role: 'alert', 'data-testid': 'chain-notice' }, app.chainError));
    }
    if (app.apiOnline === false) {
      items.push(
        h(
          'div',
          { class: 'banner banner-warn', role: 'status', 'data-testid': 'api-notice' },
          `The orchestrator at ${app.settings.apiUrl} is unreachable: network statistics and live job updates are paused. `,
          'Wallet actions still work, and your jobs are read from the chain.',
        ),
      );
    }
    replaceChildren(notices, items);
  };
  app.on('api', renderNotices);
  app.on('chain', renderNotices);
  renderNotices();
  return { main, nav };
}

function renderWalletBox(app: App, box: HTMLElement): void {
  const connection = app.wallet.connection;
  const menu = h('div', { class: 'menu', hidden: true, role: 'menu' });
  const toggle = () => {
    menu.hidden = !menu.hidden;
  };

  if (connection) {
    const address = connection.account.address;
    replaceChildren(
      box,
      h(
        'button',
        { class: 'button button-wallet', 'data-testid': 'wallet-button', 'data-address': address, onclick: toggle },
        h('img', { src: connection.wallet.icon, alt: '', width: 18, height: 18 }),
        h('span', { 'data-testid': 'wallet-address' }, shortAddress(address)),
      ),
      menu,
    );
    replaceChildren(
      menu,
      h('div', { class: 'menu-note' }, `${connection.wallet.name}`, h('br'), h('code', { class: 'wrap' }, address)),
      h(
        'button',
        {
          class: 'menu-item',
          role: 'menuitem',
          onclick: () => {
            menu.hidden = true;
            // The toast comes whether or not the browser let the copy happen.
            void Promise.resolve(navigator.clipboard?.writeText(address))
              .catch(() => {})
              .then(() => toast('Address copied', 'ok'));
          },
        },
        'Copy address',
      ),
      h(
        'button',
        { class: 'menu-item', role: 'menuitem', 'data-testid': 'disconnect', onclick: () => void app.wallet.disconnect() },
        'Disconnect',
      ),
    );
    return;
  }

  replaceChildren(
    box,
    h('button', { class: 'button button-primary', 'data-testid': 'connect-button', onclick: toggle }, 'Connect wallet'),
    menu,
  );
  if (app.wallet.wallets.length === 0) {
    replaceChildren(
      menu,
      h(
        'div',
        { class: 'menu-note', 'data-testid': 'no-wallet' },
        'No Solana wallet found in this browser. Install ',
        h('a', { href: 'https://phantom.com/', target: '_blank', rel: 'noopener' }, 'Phantom'),
        ', ',
        h('a', { href: 'https://solflare.com/', target: '_blank', rel: 'noopener' }, 'Solflare'),
        ' or ',
        h('a', { href: 'https://backpack.app/', target: '_blank', rel: 'noopener' }, 'Backpack'),
        ', then reload.',
      ),
    );
    return;
  }
  replaceChildren(
    menu,
    app.wallet.wallets.map((wallet) =>
      h(
        'button',
        {
          class: 'menu-item',
          role: 'menuitem',
          'data-testid': 'wallet-option',
          'data-wallet': wallet.name,
          onclick: () => {
            menu.hidden = true;
            app.wallet.connect(wallet).catch((error: unknown) => toast(app.describe(error), 'error'));
          },
        },
        h('img', { src: wallet.icon, alt: '', width: 20, height: 20 }),
        wallet.name,
      ),
    ),
  );
}

/** A text field of a submitted form ('' when it is missing). */
function textField(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

function openSettings(app: App): void {
  const field = (name: keyof Settings, label: string, hint: string) =>
    h(
      'label',
      { class: 'field' },
      h('span', null, label),
      h('input', { name, value: app.settings[name], type: 'url', required: true, spellcheck: 'false' }),
      h('small', null, hint),
    );
  const error = h('p', { class: 'result result-error', hidden: true, role: 'alert' });
  const form = h(
    'form',
    { method: 'dialog', class: 'settings-form' },
    h('h2', null, 'Settings'),
    field('rpcUrl', 'Chain RPC URL', `Solana JSON-RPC (default ${DEFAULT_SETTINGS.rpcUrl})`),
    field('wsUrl', 'Chain websocket URL', `For confirmations (default ${DEFAULT_SETTINGS.wsUrl})`),
    field('apiUrl', 'Orchestrator URL', `Statistics and live job status (default ${DEFAULT_SETTINGS.apiUrl})`),
    h('p', { class: 'muted' }, 'URLs in the page address (?rpc=, ?ws=, ?api=) take precedence over saved settings.'),
    error,
    h(
      'div',
      { class: 'row' },
      h('button', { class: 'button button-primary', type: 'submit', value: 'save' }, 'Save and reload'),
      h('button', { class: 'button', type: 'submit', value: 'reset' }, 'Reset to defaults'),
      h('button', { class: 'button', type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel'),
    ),
  );
  const dialog = h('dialog', { class: 'dialog', 'data-testid': 'settings-dialog' }, form);
  form.addEventListener('submit', (event) => {
    const action = (event.submitter as HTMLButtonElement | null)?.value;
    if (action === 'cancel') return;
    if (action === 'reset') {
      saveSettings(null);
      location.search = '';
      return;
    }
    const data = new FormData(form);
    const next: Settings = {
      rpcUrl: textField(data, 'rpcUrl'),
      wsUrl: textField(data, 'wsUrl'),
      apiUrl: textField(data, 'apiUrl'),
    };
    const problem =
      validateUrl(next.rpcUrl, ['http:', 'https:']) ??
      validateUrl(next.wsUrl, ['ws:', 'wss:']) ??
      validateUrl(next.apiUrl, ['http:', 'https:']);
    if (problem) {
      event.preventDefault();
      error.hidden = false;
      error.textContent = problem;
      return;
    }
    saveSettings(next);
    // Saved settings apply once the query string no longer overrides them.
    location.search = '';
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
}
