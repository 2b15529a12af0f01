// The app's shared state: settings, chain and orchestrator clients, the wallet, the
// protocol's Config, and sending transactions with readable outcomes.

import { createNoopSigner, type Address, type Instruction, type TransactionSigner } from '@solana/kit';
import { getCreateAssociatedTokenIdempotentInstruction } from '@solana-program/token';
import type { Config } from './generated';
import { Orchestrator, type JobView, type Stats, type WorkerView } from './lib/api';
import {
  associatedTokenAddress,
  createRpc,
  protocolOf,
  readClock,
  readConfig,
  type ChainRpc,
} from './lib/chain';
import { protocolClockAt, wallTimeOf } from './lib/clock';
import { describeError } from './lib/errors';
import type { Protocol } from './lib/program';
import { chainFor, currentSettings, explorerUrl, type Settings } from './lib/settings';
import { sendWithWallet, type Sent } from './lib/tx';
import { WalletStore } from './lib/wallet';

export type AppEvent = 'config' | 'api' | 'wallet' | 'job' | 'worker' | 'stats' | 'chain';

export class App {
  readonly settings: Settings = currentSettings();
  readonly rpc: ChainRpc = createRpc(this.settings.rpcUrl);
  readonly api = new Orchestrator(this.settings.apiUrl);
  readonly wallet = new WalletStore();
  readonly chain = chainFor(this.settings.rpcUrl);

  /** undefined while loading; null when the protocol is not initialised on this cluster. */
  config: Config | null | undefined = undefined;
  chainError: string | null = null;
  /** null until the first answer. */
  apiOnline: boolean | null = null;
  stats: Stats | null = null;
  /** Chain clock minus the browser's, in seconds. */
  clockOffset = 0;

  private readonly target = new EventTarget();
  private closeEvents: (() => void) | null = null;

  constructor() {
    this.wallet.onChange(() => this.emit('wallet'));
  }

  on(event: AppEvent, listener: (detail: unknown) => void): () => void {
    const handler = (e: Event) => listener((e as CustomEvent).detail);
    this.target.addEventListener(event, handler);
    return () => this.target.removeEventListener(event, handler);
  }

  emit(event: AppEvent, detail?: unknown): void {
    this.target.dispatchEvent(new CustomEvent(event, { detail }));
  }

  /** The chain's current unix time, from the last clock read. */
  now(): number {
    return Math.floor(Date.now() / 1000) + this.clockOffset;
  }

  /**
   * The protocol clock now (`Config::clock_at`): every time the program stores (job
   * expiry and deadlines, unbonding unlock times) is on it, so compare them with this,
   * not with `now()`. It stands still while the protocol is paused.
   */
  protocolNow(): number {
    return this.config ? protocolClockAt(this.config, this.now()) : this.now();
  }

  /** The chain's wall-clock time of a stored protocol-clock time, for display. */
  wallTime(protocolTime: number | bigint): number {
    const t = Number(protocolTime);
    return this.config ? wallTimeOf(this.config, t, this.now()) : t;
  }

  get address(): Address | null {
    return (this.wallet.address as Address | null) ?? null;
  }

  get protocol(): Protocol | null {
    return this.config ? protocolOf(this.config) : null;
  }

  async start(): Promise<void> {
    await this.refreshConfig();
    this.connectEvents();
    void this.refreshStats();
  }

  async refreshConfig(): Promise<void> {
    try {
      const [config, clock] = await Promise.all([readConfig(this.rpc), readClock(this.rpc)]);
      this.config = config;
      this.clockOffset = Number(clock) - Math.floor(Date.now() / 1000);
      this.chainError = config ? null : 'The Ignis protocol is not initialised on this cluster (no Config account)';
    } catch (error) {
      this.config = this.config ?? null;
      this.chainError = describeError(error, { rpcUrl: this.settings.rpcUrl });
    }
    this.emit('config');
    this.emit('chain');
  }

  setApiOnline(online: boolean): void {
    if (this.apiOnline === online) return;
    this.apiOnline = online;
    this.emit('api');
  }

  async refreshStats(): Promise<void> {
    try {
      this.stats = await this.api.stats();
      this.setApiOnline(true);
      this.emit('stats', this.stats);
    } catch {
      this.setApiOnline(false);
    }
  }

  private connectEvents(): void {
    this.closeEvents?.();
    this.closeEvents = this.api.subscribe({
      job: (job: JobView) => this.emit('job', job),
      worker: (worker: WorkerView) => this.emit('worker', worker),
      stats: (stats: Stats) => {
        this.stats = stats;
        this.emit('stats', stats);
      },
      status: (online) => {
        if (online) this.setApiOnline(true);
        else void this.refreshStats();
      },
    });
  }

  explorerTx(signature: string): string {
    return explorerUrl('tx', signature, this.settings.rpcUrl);
  }

  explorerAddress(address: string): string {
    return explorerUrl('address', address, this.settings.rpcUrl);
  }

  describe(error: unknown): string {
    return describeError(error, { rpcUrl: this.settings.rpcUrl, apiUrl: this.settings.apiUrl });
  }

  /**
   * The connected account as a transaction signer for the generated builders (the
   * wallet signs the compiled transaction, in tx.ts).
   */
  signer(): TransactionSigner {
    const address = this.address;
    if (!address) throw new Error('Connect a wallet first');
    return createNoopSigner(address);
  }

  /**
   * Instructions that create the wallet's IGN token account first when it is missing
   * (idempotent: harmless if someone created it meanwhile).
   */
  async withTokenAccount(
    build: (signer: TransactionSigner, tokenAccount: Address, protocol: Protocol) => Promise<Instruction[]>,
  ): Promise<Instruction[]> {
    const protocol = this.requireProtocol();
    const signer = this.signer();
    const ata = await associatedTokenAddress(signer.address, protocol);
    const info = await this.rpc.getAccountInfo(ata, { encoding: 'base64', commitment: 'confirmed' }).send();
    const create = info.value
      ? []
      : [
          getCreateAssociatedTokenIdempotentInstruction({
            payer: signer,
            ata,
            owner: signer.address,
            mint: protocol.mint,
            tokenProgram: protocol.tokenProgram,
          }),
        ];
    return [...create, ...(await build(signer, ata, protocol))];
  }

  requireProtocol(): Protocol {
    const protocol = this.protocol;
    if (!protocol) throw new Error(this.chainError ?? 'The protocol configuration is still loading');
    return protocol;
  }

  /** Signs with the wallet, sends and confirms. */
  async send(instructions: Instruction[]): Promise<Sent> {
    const connection = this.wallet.connection;
    if (!connection) throw new Error('Connect a wallet first');
    return sendWithWallet({ rpc: this.rpc, wsUrl: this.settings.wsUrl, connection, chain: this.chain }, instructions);
  }
}
