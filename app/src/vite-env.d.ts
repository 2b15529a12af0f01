/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_IGNIS_RPC_URL?: string;
  readonly VITE_IGNIS_WS_URL?: string;
  readonly VITE_IGNIS_API_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}

/** Set by a browser test (page.addInitScript) to enable the test wallet; never in production. */
interface IgnisTestWalletConfig {
  /** The 64-byte Solana CLI keypair (secret key then public key). */
  secretKey: number[];
  /** RPC URL for solana:signAndSendTransaction (default: the app's ?rpc=). */
  rpcUrl?: string;
  /** When true, the wallet rejects every request as a person would. */
  reject?: boolean;
}

interface Window {
  __IGNIS_TEST_WALLET__?: IgnisTestWalletConfig;
}
