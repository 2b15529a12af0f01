// A Wallet Standard wallet for the browser tests only. main.ts imports this module only
// when a test injected window.__IGNIS_TEST_WALLET__ (page.addInitScript) and the build
// is not the production one; scripts/check-dist.mjs fails the production build if any
// of it ends up in dist/. It signs transactions and messages (solana:signMessage, for
// the data plane's requests: ed25519 over the raw bytes, as Solana's sign_message) with
// the injected keypair, and rejects every request while
// `window.__IGNIS_TEST_WALLET__.reject` is true, as a person pressing Reject would.

import {
  createKeyPairFromBytes,
  createSolanaRpc,
  getAddressFromPublicKey,
  getBase58Encoder,
  getBase64EncodedWireTransaction,
  getTransactionDecoder,
  getTransactionEncoder,
  partiallySignTransaction,
  signBytes,
} from '@solana/kit';
import {
  SolanaSignAndSendTransaction,
  SolanaSignMessage,
  SolanaSignTransaction,
  type SolanaSignAndSendTransactionFeature,
  type SolanaSignAndSendTransactionMethod,
  type SolanaSignMessageFeature,
  type SolanaSignMessageMethod,
  type SolanaSignTransactionFeature,
  type SolanaSignTransactionMethod,
} from '@solana/wallet-standard-features';
import type { Wallet, WalletAccount } from '@wallet-standard/base';
import {
  StandardConnect,
  StandardDisconnect,
  StandardEvents,
  type StandardConnectFeature,
  type StandardConnectMethod,
  type StandardDisconnectFeature,
  type StandardEventsFeature,
  type StandardEventsListeners,
  type StandardEventsNames,
  type StandardEventsOnMethod,
} from '@wallet-standard/features';
import { ReadonlyWalletAccount, registerWallet } from '@wallet-standard/wallet';

const CHAINS = ['solana:localnet', 'solana:devnet', 'solana:testnet', 'solana:mainnet'] as const;
const ICON =
  'data:image/svg+xml;base64,' +
  btoa(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#444"/><text x="16" y="22" font-size="16" text-anchor="middle" fill="#fff">T</text></svg>',
  );

/** What a wallet throws when its user presses Reject (EIP-1193 code 4001, like Phantom). */
export class UserRejectedError extends Error {
  readonly code = 4001;
  constructor() {
    super('User rejected the request.');
    this.name = 'WalletUserRejectedError';
  }
}

type Features = StandardConnectFeature &
  StandardDisconnectFeature &
  StandardEventsFeature &
  SolanaSignTransactionFeature &
  SolanaSignAndSendTransactionFeature &
  SolanaSignMessageFeature;

class IgnisTestWallet implements Wallet {
  readonly version = '1.0.0' as const;
  readonly name = 'Ignis Test Wallet';
  readonly icon = ICON as `data:image/svg+xml;base64,${string}`;
  readonly chains = CHAINS;
  #accounts: WalletAccount[] = [];
  #changeListeners: StandardEventsListeners['change'][] = [];

  constructor(
    private readonly keyPair: CryptoKeyPair,
    private readonly account: WalletAccount,
  ) {}

  get accounts(): readonly WalletAccount[] {
    return this.#accounts;
  }

  get features(): Features {
    return {
      [StandardConnect]: { version: '1.0.0', connect: this.#connect },
      [StandardDisconnect]: { version: '1.0.0', disconnect: this.#disconnect },
      [StandardEvents]: { version: '1.0.0', on: this.#on },
      [SolanaSignTransaction]: {
        version: '1.0.0',
        supportedTransactionVersions: ['legacy', 0],
        signTransaction: this.#signTransaction,
      },
      [SolanaSignAndSendTransaction]: {
        version: '1.0.0',
        supportedTransactionVersions: ['legacy', 0],
        signAndSendTransaction: this.#signAndSendTransaction,
      },
      [SolanaSignMessage]: { version: '1.0.0', signMessage: this.#signMessage },
    };
  }

  #emitChange(): void {
    for (const listener of this.#changeListeners) listener({ accounts: this.#accounts });
  }

  #on: StandardEventsOnMethod = (event: StandardEventsNames, listener) => {
    if (event !== 'change') return () => {};
    this.#changeListeners.push(listener);
    return () => {
      this.#changeListeners = this.#changeListeners.filter((l) => l !== listener);
    };
  };

  // Connecting and disconnecting ask nobody here: they settle at once.
  #connect: StandardConnectMethod = () => {
    if (this.#accounts.length === 0) {
      this.#accounts = [this.account];
      this.#emitChange();
    }
    return Promise.resolve({ accounts: this.#accounts });
  };

  #disconnect = (): Promise<void> => {
    this.#accounts = [];
    this.#emitChange();
    return Promise.resolve();
  };

  #checkRejected(): void {
    if (window.__IGNIS_TEST_WALLET__?.reject) throw new UserRejectedError();
  }

  async #sign(bytes: Uint8Array): Promise<Uint8Array> {
    const transaction = getTransactionDecoder().decode(bytes);
    const signed = await partiallySignTransaction([this.keyPair], transaction);
    return new Uint8Array(getTransactionEncoder().encode(signed));
  }

  #signTransaction: SolanaSignTransactionMethod = async (...inputs) => {
    this.#checkRejected();
    const outputs = [];
    for (const input of inputs) outputs.push({ signedTransaction: await this.#sign(input.transaction) });
    return outputs;
  };

  #signMessage: SolanaSignMessageMethod = async (...inputs) => {
    this.#checkRejected();
    const outputs = [];
    for (const input of inputs) {
      const signature = await signBytes(this.keyPair.privateKey, input.message);
      outputs.push({ signedMessage: input.message, signature: new Uint8Array(signature), signatureType: 'ed25519' as const });
    }
    return outputs;
  };

  #signAndSendTransaction: SolanaSignAndSendTransactionMethod = async (...inputs) => {
    this.#checkRejected();
    const rpcUrl =
      window.__IGNIS_TEST_WALLET__?.rpcUrl ?? new URLSearchParams(location.search).get('rpc') ?? 'http://127.0.0.1:8899';
    const rpc = createSolanaRpc(rpcUrl);
    const outputs = [];
    for (const input of inputs) {
      const signed = getTransactionDecoder().decode(await this.#sign(input.transaction));
      const signature = await rpc
        .sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: 'base64', preflightCommitment: 'confirmed' })
        .send();
      outputs.push({ signature: new Uint8Array(getBase58Encoder().encode(signature)) });
    }
    return outputs;
  };
}

export async function registerTestWallet(config: IgnisTestWalletConfig): Promise<void> {
  const secret = new Uint8Array(config.secretKey);
  if (secret.length !== 64) throw new Error('__IGNIS_TEST_WALLET__.secretKey must be the 64-byte Solana CLI keypair');
  const keyPair = await createKeyPairFromBytes(secret);
  const address = await getAddressFromPublicKey(keyPair.publicKey);
  const account = new ReadonlyWalletAccount({
    address,
    publicKey: secret.slice(32),
    chains: CHAINS,
    features: [SolanaSignTransaction, SolanaSignAndSendTransaction, SolanaSignMessage],
  });
  registerWallet(new IgnisTestWallet(keyPair, account));
}
