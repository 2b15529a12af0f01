// Wallets through the Wallet Standard: Phantom, Solflare, Backpack (and the browser
// tests' test wallet) register themselves; the app lists those that can sign Solana
// transactions, connects to one, and remembers it for the next visit.

import { getWallets } from '@wallet-standard/app';
import type { Wallet, WalletAccount } from '@wallet-standard/base';
import {
  StandardConnect,
  StandardDisconnect,
  StandardEvents,
  type StandardConnectFeature,
  type StandardDisconnectFeature,
  type StandardEventsFeature,
} from '@wallet-standard/features';
import {
  SolanaSignAndSendTransaction,
  SolanaSignTransaction,
  type SolanaSignAndSendTransactionFeature,
  type SolanaSignTransactionFeature,
} from '@solana/wallet-standard-features';

const LAST_WALLET_KEY = 'ignis.wallet';

export function isSolanaWallet(wallet: Wallet): boolean {
  const features = wallet.features as Record<string, unknown>;
  return (
    StandardConnect in features &&
    (SolanaSignTransaction in features || SolanaSignAndSendTransaction in features) &&
    wallet.chains.some((chain) => chain.startsWith('solana:'))
  );
}

export interface Connection {
  wallet: Wallet;
  account: WalletAccount;
}

type Listener = () => void;

export class WalletStore {
  wallets: Wallet[] = [];
  connection: Connection | null = null;
  private listeners = new Set<Listener>();
  private offWalletEvents: (() => void) | null = null;

  constructor() {
    const registry = getWallets();
    const refresh = () => {
      this.wallets = registry.get().filter(isSolanaWallet);
      this.emit();
      void this.reconnect();
    };
    registry.on('register', refresh);
    registry.on('unregister', refresh);
    refresh();
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }

  get address(): string | null {
    return this.connection?.account.address ?? null;
  }

  /** Silently reconnects to the wallet used last time, when it is installed. */
  private async reconnect(): Promise<void> {
    if (this.connection) return;
    const last = localStorage.getItem(LAST_WALLET_KEY);
    const wallet = last ? this.wallets.find((w) => w.name === last) : undefined;
    if (!wallet) return;
    try {
      await this.connect(wallet, true);
    } catch {
      /* the person connects by hand */
    }
  }

  async connect(wallet: Wallet, silent = false): Promise<void> {
    const connect = (wallet.features as StandardConnectFeature)[StandardConnect];
    const { accounts } = await connect.connect(silent ? { silent: true } : undefined);
    const account = accounts.find((a) => a.chains.some((c) => c.startsWith('solana:'))) ?? accounts[0];
    if (!account) {
      if (silent) return;
      throw new Error(`${wallet.name} did not share an account`);
    }
    this.offWalletEvents?.();
    const events = (wallet.features as Partial<StandardEventsFeature>)[StandardEvents];
    this.offWalletEvents =
      events?.on('change', (properties) => {
        if (!properties.accounts || !this.connection || this.connection.wallet !== wallet) return;
        const next = properties.accounts[0];
        this.connection = next ? { wallet, account: next } : null;
        this.emit();
      }) ?? null;
    this.connection = { wallet, account };
    localStorage.setItem(LAST_WALLET_KEY, wallet.name);
    this.emit();
  }

  async disconnect(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    this.offWalletEvents?.();
    this.offWalletEvents = null;
    localStorage.removeItem(LAST_WALLET_KEY);
    this.emit();
    const disconnect = (connection?.wallet.features as Partial<StandardDisconnectFeature> | undefined)?.[
      StandardDisconnect
    ];
    await disconnect?.disconnect().catch(() => {});
  }
}

export function signTransactionFeature(wallet: Wallet) {
  return (wallet.features as Partial<SolanaSignTransactionFeature>)[SolanaSignTransaction];
}

export function signAndSendFeature(wallet: Wallet) {
  return (wallet.features as Partial<SolanaSignAndSendTransactionFeature>)[SolanaSignAndSendTransaction];
}
