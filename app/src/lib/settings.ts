// Where the app reads the chain and the orchestrator from. Precedence: the page's query
// string (?rpc=&ws=&api=), then what the user saved in Settings, then the build's
// environment (VITE_IGNIS_RPC_URL, VITE_IGNIS_WS_URL, VITE_IGNIS_API_URL), then the
// localnet's defaults.

export interface Settings {
  rpcUrl: string;
  wsUrl: string;
  apiUrl: string;
}

export const DEFAULT_SETTINGS: Settings = {
  rpcUrl: 'http://127.0.0.1:8899',
  wsUrl: 'ws://127.0.0.1:8900',
  apiUrl: 'http://127.0.0.1:8080',
};

const STORAGE_KEY = 'ignis.settings';

/** The websocket URL Solana validators serve beside an RPC URL: same host, port + 1. */
export function deriveWsUrl(rpcUrl: string): string {
  const url = new URL(rpcUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (url.port) url.port = String(Number(url.port) + 1);
  return url.toString().replace(/\/$/, '');
}

function clean(url: string | null | undefined): string | undefined {
  const trimmed = url?.trim();
  if (!trimmed) return undefined;
  return trimmed.replace(/\/+$/, '');
}

/** Checks a URL the user typed; returns a sentence when it is not usable. */
export function validateUrl(value: string, protocols: string[]): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (!protocols.includes(url.protocol)) {
    return `"${value}" must start with ${protocols.map((p) => p + '//').join(' or ')}`;
  }
  return null;
}

export interface SettingsSources {
  query?: string;
  saved?: Partial<Settings> | null;
  env?: { rpcUrl?: string; wsUrl?: string; apiUrl?: string };
}

export function resolveSettings({ query = '', saved, env }: SettingsSources): Settings {
  const params = new URLSearchParams(query);
  const pick = (name: 'rpcUrl' | 'wsUrl' | 'apiUrl', param: string) =>
    clean(params.get(param)) ?? clean(saved?.[name]) ?? clean(env?.[name]);
  const rpcUrl = pick('rpcUrl', 'rpc') ?? DEFAULT_SETTINGS.rpcUrl;
  const explicitWs = pick('wsUrl', 'ws');
  // An RPC URL from the query without a websocket URL gets the usual neighbour port.
  const wsUrl =
    explicitWs ??
    (params.get('rpc') || saved?.rpcUrl || env?.rpcUrl ? deriveWsUrl(rpcUrl) : DEFAULT_SETTINGS.wsUrl);
  const apiUrl = pick('apiUrl', 'api') ?? DEFAULT_SETTINGS.apiUrl;
  return { rpcUrl, wsUrl, apiUrl };
}

export function loadSavedSettings(): Partial<Settings> | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Partial<Settings>) : null;
  } catch {
    return null;
  }
}

export function saveSettings(settings: Settings | null): void {
  if (settings) localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
  else localStorage.removeItem(STORAGE_KEY);
}

export function currentSettings(): Settings {
  return resolveSettings({
    query: location.search,
    saved: loadSavedSettings(),
    env: {
      rpcUrl: import.meta.env.VITE_IGNIS_RPC_URL,
      wsUrl: import.meta.env.VITE_IGNIS_WS_URL,
      apiUrl: import.meta.env.VITE_IGNIS_API_URL,
    },
  });
}

/** Whether the URL points at this machine (a localnet): the explorer needs a custom URL. */
export function isLocalUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host.endsWith('.localhost');
  } catch {
    return false;
  }
}

/** The Wallet Standard chain id a wallet should sign for, guessed from the RPC URL. */
export function chainFor(rpcUrl: string): `solana:${string}` {
  if (/devnet/.test(rpcUrl)) return 'solana:devnet';
  if (/testnet/.test(rpcUrl)) return 'solana:testnet';
  if (/mainnet/.test(rpcUrl)) return 'solana:mainnet';
  return 'solana:localnet';
}

/** Solana Explorer link for a transaction or an address on this cluster. */
export function explorerUrl(kind: 'tx' | 'address', value: string, rpcUrl: string): string {
  const base = `https://explorer.solana.com/${kind}/${value}`;
  if (/mainnet/.test(rpcUrl)) return base;
  if (/api\.devnet\.solana\.com/.test(rpcUrl)) return `${base}?cluster=devnet`;
  if (/api\.testnet\.solana\.com/.test(rpcUrl)) return `${base}?cluster=testnet`;
  return `${base}?cluster=custom&customUrl=${encodeURIComponent(rpcUrl)}`;
}
