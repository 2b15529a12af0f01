// The data plane client against a fake orchestrator that checks every signature the
// way orchestrator/src/blobs/routes.rs does (RequestAuth::verify): ed25519 by the
// signer over `ignis-blob-request-v1\nMETHOD\nPATH\nTIME\nSHA256(body)`.
import {
  generateKeyPair,
  getAddressFromPublicKey,
  getBase58Encoder,
  getPublicKeyFromAddress,
  signBytes,
  verifySignature,
  type Address,
  type SignatureBytes,
} from '@solana/kit';
import { SolanaSignMessage } from '@solana/wallet-standard-features';
import type { Wallet, WalletAccount } from '@wallet-standard/base';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BlobClient,
  BlobError,
  BlobHashMismatch,
  chunkCount,
  chunkRange,
  requestMessage,
  walletSigner,
  type RequestSigner,
} from '../../src/lib/blobs';
import { sha256, toHex } from '../../src/lib/tensors';

const json = (status: number, value: unknown) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

/** The blob API in memory, with chunks of 4 bytes. */
class FakeDataPlane {
  readonly chunkBytes = 4;
  readonly blobs = new Map<string, Uint8Array>();
  readonly uploads = new Map<string, { size: number; chunks: Map<number, Uint8Array> }>();
  readonly requests: string[] = [];
  tamper = false;
  now = Math.floor(Date.now() / 1000);

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(input as string);
    const method = init?.method ?? 'GET';
    const path = url.pathname + url.search;
    const body = init?.body ? new Uint8Array(init.body as Uint8Array) : new Uint8Array();
    const headers = init?.headers as Record<string, string>;
    const signer = headers['x-ignis-signer'];
    const timestamp = Number(headers['x-ignis-timestamp']);
    const signature = headers['x-ignis-signature'];
    if (!signer || !signature) return json(401, { error: 'the request is not signed' });
    if (Math.abs(timestamp - this.now) > 300) return json(401, { error: 'the request is stale' });
    const message = requestMessage(method, path, timestamp, toHex(await sha256(body)));
    const key = await getPublicKeyFromAddress(signer as Address);
    const valid = await verifySignature(key, new Uint8Array(getBase58Encoder().encode(signature)) as SignatureBytes, message);
    if (!valid) return json(401, { error: `the signature does not match the request and the key ${signer}` });
    this.requests.push(`${method} ${path}`);

    let match: RegExpExecArray | null;
    if (method === 'POST' && path === '/api/blobs/uploads') {
      const { sha256: id, size } = JSON.parse(new TextDecoder().decode(body)) as { sha256: string; size: number };
      if (this.blobs.has(id)) return json(200, { sha256: id, size, chunkBytes: this.chunkBytes, received: [], complete: true });
      const upload = this.uploads.get(id) ?? { size, chunks: new Map() };
      this.uploads.set(id, upload);
      const received = [...upload.chunks.keys()].sort((a, b) => a - b);
      return json(200, { sha256: id, size, chunkBytes: this.chunkBytes, received, complete: false });
    }
    if (method === 'PUT' && (match = /^\/api\/blobs\/uploads\/(\w+)\/chunks\/(\d+)$/.exec(path))) {
      const upload = this.uploads.get(match[1]!);
      if (!upload) return json(404, { error: 'no upload in progress' });
      const range = chunkRange(upload.size, this.chunkBytes, Number(match[2]));
      if (!range || range[1] - range[0] !== body.length) return json(400, { error: `chunk ${match[2]} must hold other bytes` });
      upload.chunks.set(Number(match[2]), body);
      return new Response(null, { status: 204 });
    }
    if (method === 'POST' && (match = /^\/api\/blobs\/uploads\/(\w+)\/complete$/.exec(path))) {
      const id = match[1]!;
      const upload = this.uploads.get(id)!;
      const bytes = new Uint8Array(upload.size);
      for (const [index, chunk] of upload.chunks) bytes.set(chunk, index * this.chunkBytes);
      const actual = toHex(await sha256(bytes));
      if (actual !== id) return json(422, { error: `the uploaded bytes hash to ${actual}, not ${id}` });
      this.blobs.set(id, bytes);
      this.uploads.delete(id);
      return json(200, { sha256: id, size: upload.size, createdAt: 1_234 });
    }
    if (method === 'GET' && (match = /^\/api\/blobs\/(\w+)$/.exec(path))) {
      const bytes = this.blobs.get(match[1]!);
      if (!bytes) return json(404, { error: `no blob has SHA-256 ${match[1]}: upload it first (\`ignis blob put FILE\`)` });
      const sent = this.tamper ? Uint8Array.from(bytes, (b, i) => (i === 0 ? b ^ 1 : b)) : bytes;
      return new Response(sent as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(sent.length) } });
    }
    return json(404, { error: 'no such endpoint' });
  };
}

async function keySigner(): Promise<RequestSigner & { keys: CryptoKeyPair }> {
  const keys = await generateKeyPair();
  return {
    keys,
    address: await getAddressFromPublicKey(keys.publicKey),
    signMessage: async (message) => new Uint8Array(await signBytes(keys.privateKey, message)),
  };
}

describe('the request signature (client/src/blob.rs request_message)', () => {
  it('covers the method, the path with its query, the time and the body hash', () => {
    const text = new TextDecoder().decode(requestMessage('GET', '/api/blobs?x=1', 1_000, 'e3'.padEnd(64, '0')));
    expect(text).toBe(`ignis-blob-request-v1\nGET\n/api/blobs?x=1\n1000\n${'e3'.padEnd(64, '0')}`);
  });

  it('cuts blobs in chunks as the server does (chunk_count, chunk_len)', () => {
    expect(chunkCount(0, 4)).toBe(1);
    expect(chunkRange(0, 4, 0)).toEqual([0, 0]);
    expect(chunkCount(8, 4)).toBe(2);
    expect(chunkCount(9, 4)).toBe(3);
    expect(chunkRange(9, 4, 2)).toEqual([8, 9]);
    expect(chunkRange(9, 4, 3)).toBeNull();
  });
});

describe('the blob client', () => {
  let signer: Awaited<ReturnType<typeof keySigner>>;
  beforeAll(async () => {
    signer = await keySigner();
  });
  const bytes = Uint8Array.from({ length: 10 }, (_, i) => i * 7);

  it('uploads in chunks with progress, then a second put costs one request', async () => {
    const server = new FakeDataPlane();
    const client = new BlobClient('http://orchestrator/', signer, () => server.now, server.fetch);
    const seen: Array<[number, number]> = [];
    const report = await client.put(bytes, (done, total) => seen.push([done, total]));
    const id = toHex(await sha256(bytes));
    expect(report).toEqual({ info: { sha256: id, size: 10, createdAt: 1_234 }, chunksSent: 3, chunksTotal: 3 });
    expect(seen).toEqual([
      [0, 10],
      [4, 10],
      [8, 10],
      [10, 10],
    ]);
    expect(server.requests).toEqual([
      'POST /api/blobs/uploads',
      `PUT /api/blobs/uploads/${id}/chunks/0`,
      `PUT /api/blobs/uploads/${id}/chunks/1`,
      `PUT /api/blobs/uploads/${id}/chunks/2`,
      `POST /api/blobs/uploads/${id}/complete`,
    ]);
    server.requests.length = 0;
    const again = await client.put(bytes);
    expect(again).toMatchObject({ chunksSent: 0, chunksTotal: 3 });
    expect(server.requests).toEqual(['POST /api/blobs/uploads']);
  });

  it('resumes an interrupted upload: only the chunks the server lacks are sent', async () => {
    const server = new FakeDataPlane();
    const id = toHex(await sha256(bytes));
    server.uploads.set(id, { size: 10, chunks: new Map([[1, bytes.slice(4, 8)]]) });
    const client = new BlobClient('http://orchestrator', signer, () => server.now, server.fetch);
    const seen: number[] = [];
    const report = await client.put(bytes, (done) => seen.push(done));
    expect(report.chunksSent).toBe(2);
    expect(seen).toEqual([4, 8, 10]);
    expect(server.requests.filter((r) => r.startsWith('PUT'))).toEqual([
      `PUT /api/blobs/uploads/${id}/chunks/0`,
      `PUT /api/blobs/uploads/${id}/chunks/2`,
    ]);
    expect(server.blobs.get(id)).toEqual(bytes);
  });

  it('downloads checked against the name, and keeps nothing that does not match', async () => {
    const server = new FakeDataPlane();
    const client = new BlobClient('http://orchestrator', signer, () => server.now, server.fetch);
    const { info } = await client.put(bytes);
    expect(await client.get(info.sha256)).toEqual(bytes);
    server.tamper = true;
    const failure = await client.get(info.sha256).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BlobHashMismatch);
    expect((failure as Error).message).toMatch(/^The bytes received hash to [0-9a-f]{64}, not [0-9a-f]{64}: the copy is corrupt and was not kept$/);
  });

  it('surfaces the server’s sentence and status', async () => {
    const server = new FakeDataPlane();
    const client = new BlobClient('http://orchestrator', signer, () => server.now, server.fetch);
    const unknown = 'ab'.repeat(32);
    const failure = (await client.get(unknown).catch((e: unknown) => e)) as BlobError;
    expect(failure).toBeInstanceOf(BlobError);
    expect(failure.status).toBe(404);
    expect(failure.message).toBe(`no blob has SHA-256 ${unknown}: upload it first (\`ignis blob put FILE\`)`);
    // A request signed with a clock far off is refused by the server, with its reason.
    const stale = new BlobClient('http://orchestrator', signer, () => server.now - 1_000, server.fetch);
    await expect(stale.list()).rejects.toMatchObject({ status: 401, message: 'the request is stale' });
  });

  it('is refused when the claimed key did not sign', async () => {
    const server = new FakeDataPlane();
    const other = await keySigner();
    const forged: RequestSigner = { address: other.address, signMessage: (message) => signer.signMessage(message) };
    const client = new BlobClient('http://orchestrator', forged, () => server.now, server.fetch);
    await expect(client.put(bytes)).rejects.toMatchObject({ status: 401 });
  });

  it('says when the orchestrator cannot be reached', async () => {
    const client = new BlobClient('http://down:1', signer, undefined, () => Promise.reject(new TypeError('fetch failed')));
    await expect(client.list()).rejects.toThrow('Cannot reach the data plane at http://down:1: check the orchestrator URL in Settings');
  });
});

describe('signing with the wallet (solana:signMessage)', () => {
  const account = { address: 'A', publicKey: new Uint8Array(32), chains: [], features: [] } as unknown as WalletAccount;
  const wallet = (features: Record<string, unknown>) => ({ name: 'Some Wallet', features }) as unknown as Wallet;

  it('signs exactly the request', async () => {
    const { keys } = await keySigner();
    const signMessage = async (...inputs: Array<{ message: Uint8Array }>) =>
      Promise.all(inputs.map(async (i) => ({ signedMessage: i.message, signature: new Uint8Array(await signBytes(keys.privateKey, i.message)) })));
    const signer = walletSigner({ wallet: wallet({ [SolanaSignMessage]: { version: '1.0.0', signMessage } }), account });
    const message = requestMessage('GET', '/api/blobs', 1, 'ab');
    const signature = await signer.signMessage(message);
    expect(await verifySignature(keys.publicKey, signature as SignatureBytes, message)).toBe(true);
  });

  it('refuses a wallet that cannot sign messages, or signs something else', async () => {
    await expect(walletSigner({ wallet: wallet({}), account }).signMessage(new Uint8Array(1))).rejects.toThrow(
      'Some Wallet cannot sign messages (solana:signMessage), which uploads and downloads of your data need: connect a wallet that can',
    );
    const prefixing = (...inputs: Array<{ message: Uint8Array }>) =>
      Promise.resolve(inputs.map((i) => ({ signedMessage: Uint8Array.of(0, ...i.message), signature: new Uint8Array(64) })));
    const signer = walletSigner({ wallet: wallet({ [SolanaSignMessage]: { version: '1.0.0', signMessage: prefixing } }), account });
    await expect(signer.signMessage(Uint8Array.of(1))).rejects.toThrow(/Some Wallet signed something other than the request/);
  });
});
