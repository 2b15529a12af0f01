import { describe, expect, it } from 'vitest';
import { chainFor, DEFAULT_SETTINGS, deriveWsUrl, explorerUrl, resolveSettings, validateUrl } from '../../src/lib/settings';

describe('settings', () => {
  it('defaults to the localnet', () => {
    expect(resolveSettings({})).toEqual(DEFAULT_SETTINGS);
  });

  it('takes the query string first, then saved settings, then the build environment', () => {
    const saved = { rpcUrl: 'http://saved:1', wsUrl: 'ws://saved:2', apiUrl: 'http://saved-api' };
    const env = { rpcUrl: 'http://env:1', apiUrl: 'http://env-api' };
    expect(resolveSettings({ saved, env })).toEqual(saved);
    expect(resolveSettings({ env })).toEqual({ rpcUrl: 'http://env:1', wsUrl: 'ws://env:2', apiUrl: 'http://env-api' });
    expect(
      resolveSettings({ query: '?rpc=http%3A%2F%2F127.0.0.1%3A40000&api=http%3A%2F%2F127.0.0.1%3A40100%2F', saved, env }),
    ).toEqual({ rpcUrl: 'http://127.0.0.1:40000', wsUrl: 'ws://saved:2', apiUrl: 'http://127.0.0.1:40100' });
    expect(resolveSettings({ query: '?rpc=http://127.0.0.1:40000' })).toEqual({
      rpcUrl: 'http://127.0.0.1:40000',
      wsUrl: 'ws://127.0.0.1:40001',
      apiUrl: DEFAULT_SETTINGS.apiUrl,
    });
    expect(resolveSettings({ query: '?rpc=http://a:1&ws=ws://b:9' }).wsUrl).toBe('ws://b:9');
  });

  it('derives the websocket next to the RPC port', () => {
    expect(deriveWsUrl('http://127.0.0.1:8899')).toBe('ws://127.0.0.1:8900');
    expect(deriveWsUrl('https://rpc.example.com')).toBe('wss://rpc.example.com');
  });

  it('checks URLs', () => {
    expect(validateUrl('http://x:1', ['http:'])).toBeNull();
    expect(validateUrl('nope', ['http:'])).toBe('"nope" is not a URL');
    expect(validateUrl('ftp://x', ['http:', 'https:'])).toBe('"ftp://x" must start with http:// or https://');
  });

  it('links the explorer to the right cluster', () => {
    expect(explorerUrl('tx', 'SIG', 'http://127.0.0.1:8899')).toBe(
      'https://explorer.solana.com/tx/SIG?cluster=custom&customUrl=http%3A%2F%2F127.0.0.1%3A8899',
    );
    expect(explorerUrl('address', 'ADDR', 'https://api.devnet.solana.com')).toBe('https://explorer.solana.com/address/ADDR?cluster=devnet');
    expect(explorerUrl('tx', 'SIG', 'https://api.mainnet-beta.solana.com')).toBe('https://explorer.solana.com/tx/SIG');
    expect(chainFor('http://127.0.0.1:8899')).toBe('solana:localnet');
    expect(chainFor('https://api.devnet.solana.com')).toBe('solana:devnet');
  });
});
