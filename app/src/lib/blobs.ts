// The data plane from the browser (client/src/blob.rs is the reference): blobs are
// named by the SHA-256 of their bytes; every request is signed by the wallet
// (solana:signMessage: ed25519 over the method, path, time and the body's hash), so the
// orchestrator knows who reads and writes; uploads go in the server's chunks and resume
// (chunks it already holds are skipped); a download is checked against its name before
// anything is handed over.

import { getBase58Decoder } from '@solana/kit';
import { SolanaSignMessage, type SolanaSignMessageFeature } from '@solana/wallet-standard-features';
import { sha256, toHex } from './tensors';
import type { Connection } from './wallet';

export const HEADER_SIGNER = 'x-ignis-signer';
export const HEADER_TIMESTAMP = 'x-ignis-timestamp';
export const HEADER_SIGNATURE = 'x-ignis-signature';
const DOMAIN = 'ignis-blob-request-v1';

/** A refusal or failure of the data plane; `message` is the server's sentence when it answered. */
export class BlobError extends Error {
  override readonly name: string = 'BlobError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** What arrived is not the blob asked for: nothing was kept. */
export class BlobHashMismatch extends BlobError {
  override readonly name = 'BlobHashMismatch';
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`The bytes received hash to ${actual}, not ${expected}: the copy is corrupt and was not kept`);
  }
}

/** Who signs requests: a wallet account, or a keypair in tests. */
export interface RequestSigner {
  /** Base58 public key. */
  address: string;
  /** An ed25519 signature (64 bytes) over exactly these bytes. */
  signMessage(message: Uint8Array): Promise<Uint8Array>;
}

/** A stored blob, as the API lists it. */
export interface BlobInfo {
  sha256: string;
  size: number;
  /** When this key first stored it (unix seconds); 0 when it was already stored. */
  createdAt: number;
}

/** Where an upload stands: which chunks the server holds. */
export interface UploadState {
  sha256: string;
  size: number;
  chunkBytes: number;
  /** Chunk indices already received, ascending. */
  received: number[];
  /** The caller already owns this blob: nothing to upload. */
  complete: boolean;
}

export interface PutReport {
  info: BlobInfo;
  chunksSent: number;
  chunksTotal: number;
}

/** Bytes done and the total. */
export type Progress = (done: number, total: number) => void;

/** `request_message`: the bytes a request's signature covers. `path` includes the query. */
export function requestMessage(method: string, path: string, timestamp: number, bodySha256: string): Uint8Array {
  return new TextEncoder().encode(`${DOMAIN}\n${method}\n${path}\n${timestamp}\n${bodySha256}`);
}

/** How many chunks of `chunkBytes` a blob of `size` bytes goes up in (an empty blob is one empty chunk). */
export function chunkCount(size: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(size / Math.max(chunkBytes, 1)));
}

/** The byte range of chunk `index`, or null past the end. */
export function chunkRange(size: number, chunkBytes: number, index: number): [number, number] | null {
  if (index < 0 || index >= chunkCount(size, chunkBytes)) return null;
  const start = Math.min(index * chunkBytes, size);
  return [start, Math.min(start + chunkBytes, size)];
}

const unixNow = () => Math.floor(Date.now() / 1000);

/** The data plane of one orchestrator, as one key. */
export class BlobClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly signer: RequestSigner,
    private readonly now: () => number = unixNow,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Sends a signed request; a refusal becomes a BlobError with the server's sentence. */
  async send(method: string, path: string, body: Uint8Array = new Uint8Array()): Promise<Response> {
    const timestamp = this.now();
    const message = requestMessage(method, path, timestamp, toHex(await sha256(body)));
    const signature = await this.signer.signMessage(message);
    const headers: Record<string, string> = {
      [HEADER_SIGNER]: this.signer.address,
      [HEADER_TIMESTAMP]: String(timestamp),
      [HEADER_SIGNATURE]: getBase58Decoder().decode(signature),
    };
    let response: Response;
    try {
      response = await this.fetcher(this.baseUrl + path, {
        method,
        headers,
        body: method === 'GET' ? undefined : (body as Uint8Array<ArrayBuffer>),
      });
    } catch {
      throw new BlobError(`Cannot reach the data plane at ${this.baseUrl}: check the orchestrator URL in Settings`);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let sentence = text.trim() || `The data plane answered ${response.status}`;
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === 'string') sentence = parsed.error;
    } catch {
      /* not JSON: the text itself */
    }
    throw new BlobError(sentence, response.status);
  }

  private async json<T>(method: string, path: string, body?: Uint8Array): Promise<T> {
    const response = await this.send(method, path, body);
    try {
      return (await response.json()) as T;
    } catch {
      throw new BlobError(`The data plane at ${this.baseUrl} sent an unreadable answer to ${method} ${path}`);
    }
  }

  /** Starts (or finds) this key's upload of `sha256`. */
  beginUpload(sha256: string, size: number): Promise<UploadState> {
    return this.json('POST', '/api/blobs/uploads', new TextEncoder().encode(JSON.stringify({ sha256, size })));
  }

  async putChunk(sha256: string, index: number, bytes: Uint8Array): Promise<void> {
    await this.send('PUT', `/api/blobs/uploads/${sha256}/chunks/${index}`, bytes);
  }

  /** Asks the server to check the chunks against the hash and store the blob. */
  completeUpload(sha256: string): Promise<BlobInfo> {
    return this.json('POST', `/api/blobs/uploads/${sha256}/complete`);
  }

  /**
   * Uploads `bytes`, sending only the chunks the server lacks: a second call after an
   * interruption resumes, and a blob this key already stored costs one request.
   * `hash` is the bytes' SHA-256 when the caller has it already.
   */
  async put(bytes: Uint8Array, progress: Progress = () => {}, hash?: string): Promise<PutReport> {
    const size = bytes.length;
    const id = hash ?? toHex(await sha256(bytes));
    const state = await this.beginUpload(id, size);
    const chunksTotal = chunkCount(size, state.chunkBytes);
    if (state.complete) {
      progress(size, size);
      return { info: { sha256: id, size, createdAt: 0 }, chunksSent: 0, chunksTotal };
    }
    const received = new Set(state.received);
    const length = (index: number) => {
      const range = chunkRange(size, state.chunkBytes, index);
      return range ? range[1] - range[0] : 0;
    };
    let done = state.received.reduce((sum, index) => sum + length(index), 0);
    progress(done, size);
    let chunksSent = 0;
    for (let index = 0; index < chunksTotal; index++) {
      if (received.has(index)) continue;
      const [start, end] = chunkRange(size, state.chunkBytes, index)!;
      await this.putChunk(id, index, bytes.slice(start, end));
      chunksSent++;
      done += end - start;
      progress(done, size);
    }
    const info = await this.completeUpload(id);
    return { info, chunksSent, chunksTotal };
  }

  /** Downloads a blob, checked against its name: a copy that does not match throws BlobHashMismatch. */
  async get(sha256Hex: string, progress: Progress = () => {}): Promise<Uint8Array> {
    const expected = sha256Hex.toLowerCase();
    const response = await this.send('GET', `/api/blobs/${expected}`);
    const total = Number(response.headers.get('content-length') ?? 0);
    let bytes: Uint8Array;
    try {
      bytes = await readBody(response, (done) => progress(done, Math.max(total, done)));
    } catch {
      throw new BlobError(`The download of blob ${expected} from ${this.baseUrl} was cut off: nothing was kept; try again`);
    }
    const actual = toHex(await sha256(bytes));
    if (actual !== expected) throw new BlobHashMismatch(expected, actual);
    return bytes;
  }

  /** The blobs this key stored. */
  list(): Promise<BlobInfo[]> {
    return this.json('GET', '/api/blobs');
  }
}

async function readBody(response: Response, progress: (done: number) => void): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    progress(bytes.length);
    return bytes;
  }
  const pieces: Uint8Array[] = [];
  let done = 0;
  for (;;) {
    const { value, done: finished } = await reader.read();
    if (finished) break;
    pieces.push(value);
    done += value.length;
    progress(done);
  }
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const piece of pieces) {
    bytes.set(piece, at);
    at += piece.length;
  }
  return bytes;
}

/**
 * The connected wallet as a request signer (solana:signMessage). A wallet that cannot
 * sign messages, or that changes the message before signing, cannot use the data plane.
 */
export function walletSigner(connection: Connection): RequestSigner {
  const { wallet, account } = connection;
  const feature = (wallet.features as Partial<SolanaSignMessageFeature>)[SolanaSignMessage];
  return {
    address: account.address,
    async signMessage(message) {
      if (!feature) {
        throw new Error(
          `${wallet.name} cannot sign messages (solana:signMessage), which uploads and downloads of your data need: connect a wallet that can`,
        );
      }
      const [output] = await feature.signMessage({ account, message });
      if (!output) throw new Error(`${wallet.name} returned no signature`);
      const same = output.signedMessage.length === message.length && output.signedMessage.every((b, i) => b === message[i]);
      if (!same || output.signature.length !== 64) {
        throw new Error(`${wallet.name} signed something other than the request, so the data plane cannot check it: use another wallet`);
      }
      return output.signature;
    },
  };
}
