import type { App } from '../app';
import { extLink, h, replaceChildren } from './dom';

/** A labelled number on a card. */
export function stat(label: string, value: string, testId: string, hint?: string): HTMLElement {
  return h(
    'div',
    { class: 'stat', 'data-testid': testId },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
    hint ? h('div', { class: 'stat-hint' }, hint) : null,
  );
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status}`, 'data-status': status }, status);
}

/** A transient message in the corner; errors stay until closed. */
export function toast(message: string, kind: 'ok' | 'error' | 'info' = 'info', link?: { href: string; label: string }) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', 'aria-live': 'polite' });
    document.body.appendChild(box);
  }
  const item = h(
    'div',
    { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', null, message),
    link ? extLink(link.href, link.label) : null,
    h('button', { class: 'toast-close', 'aria-label': 'Close', onclick: () => item.remove() }, '×'),
  );
  box.appendChild(item);
  if (kind !== 'error') setTimeout(() => item.remove(), 8_000);
}

export interface ActionOutcome {
  message: string;
  signature?: string;
  extra?: Node;
}

/**
 * Runs a wallet action: disables the button, says what is happening, then shows the
 * outcome (with the transaction's explorer link) or the failure as a sentence in
 * `result`.
 */
export async function runAction(
  app: App,
  button: HTMLButtonElement,
  result: HTMLElement,
  action: (progress: (text: string) => void) => Promise<ActionOutcome>,
): Promise<boolean> {
  button.disabled = true;
  const progress = (text: string) => {
    result.className = 'result result-pending';
    result.dataset.state = 'pending';
    replaceChildren(result, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
  };
  progress('Waiting for your wallet…');
  try {
    const outcome = await action(progress);
    result.className = 'result result-ok';
    result.dataset.state = 'ok';
    replaceChildren(
      result,
      h('span', null, outcome.message),
      outcome.signature
        ? [' ', extLink(app.explorerTx(outcome.signature), 'View transaction', { 'data-testid': 'tx-link', 'data-signature': outcome.signature })]
        : null,
      outcome.extra ?? null,
    );
    return true;
  } catch (error) {
    const sentence = app.describe(error);
    console.warn('action failed:', sentence, error);
    result.className = 'result result-error';
    result.dataset.state = 'error';
    replaceChildren(result, h('span', { role: 'alert', 'data-testid': 'error-message' }, sentence));
    return false;
  } finally {
    button.disabled = false;
  }
}

/** A paragraph shown in place of a page's content. */
export function notice(text: string, kind: 'info' | 'warn' = 'info', testId?: string): HTMLElement {
  return h('p', { class: `notice notice-${kind}`, 'data-testid': testId }, text);
}
