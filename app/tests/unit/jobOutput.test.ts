// A completed tensor job's output: which of the orchestrator's outputs is the job's, and
// the checks before it is handed over (as `ignis job result`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JobOutputView, JobView, Orchestrator } from '../../src/lib/api';
import { BlobHashMismatch, type BlobClient } from '../../src/lib/blobs';
import { fetchJobResult, hasOutput, pickOutput } from '../../src/lib/jobOutput';
import { readNpyHeader } from '../../src/lib/tensors';

const example = (name: string) => new Uint8Array(readFileSync(new URL(`../../../examples/digits/${name}`, import.meta.url)));
const logits = example('expected_logits.npy');
const ROOT = '319c7219c5e03824d01d9cd96b7f0177cf4608b7519d0e4cf0253f0db761c002';
const SHA = '3cd887459c7c523b40c1be38e0bd9ca4b53cf74009d4b0e0723d46d26626a3a6';

const job: JobView = {
  id: 42,
  address: 'x',
  poster: 'p',
  kind: 'tensor',
  kernel: 'mlp-i8',
  difficulty: null,
  size: 450,
  replicas: 1,
  reward: '1',
  status: 'completed',
  assignments: [],
  postedAt: 1_000,
  expiresAt: 5_000,
  completedAt: 2_000,
  resultHash: ROOT,
  powNonce: '0',
  requeues: 0,
  slot: 1,
  closed: false,
};
const output = (root: string, postedAt: number, sha256 = SHA): JobOutputView => ({ jobId: 42, postedAt, root, sha256, size: logits.length });

describe('a job’s output', () => {
  it('is offered for completed tensor jobs with a result', () => {
    expect(hasOutput(job)).toBe(true);
    expect(hasOutput({ ...job, status: 'challenge' })).toBe(false);
    expect(hasOutput({ ...job, kind: 'matmul' })).toBe(false);
    expect(hasOutput({ ...job, resultHash: '0'.repeat(64) })).toBe(false);
  });

  it('is the one whose root is the job’s result, for this posting of the job', () => {
    const wrongRoot = output('ab'.repeat(32), 1_000, 'cd'.repeat(32));
    const earlierPosting = output(ROOT, 900, 'ef'.repeat(32));
    expect(pickOutput(job, [wrongRoot, earlierPosting, output(ROOT.toUpperCase(), 1_000)]).sha256).toBe(SHA);
    expect(() => pickOutput(job, [wrongRoot, earlierPosting])).toThrow(
      `The orchestrator holds no output of job #42 with its result ${ROOT}: no replica uploaded it there`,
    );
  });

  const api = (outputs: JobOutputView[]) => ({ outputs: () => Promise.resolve(outputs) }) as unknown as Orchestrator;
  const blobs = (get: (sha: string) => Promise<Uint8Array>) => ({ get }) as unknown as BlobClient;

  it('is downloaded, checked against the job’s root, with its predictions', async () => {
    const result = await fetchJobResult(api([output(ROOT, 1_000)]), blobs(() => Promise.resolve(logits)), job);
    expect(result).toMatchObject({ rows: 450, cols: 10, sha256: SHA });
    const expected = example('expected_predictions.npy');
    expect(result.predictions).toEqual([...expected.subarray(readNpyHeader('p', expected).dataOffset)]);
    const gemm = await fetchJobResult(api([output(ROOT, 1_000)]), blobs(() => Promise.resolve(logits)), { ...job, kernel: 'gemm-i8' });
    expect(gemm.predictions).toBeNull();
  });

  it('is not kept when it does not check out', async () => {
    // One value changed: the blob's hash would catch it on the wire; here the root does.
    const changed = logits.slice();
    changed[changed.length - 1]! ^= 1;
    await expect(fetchJobResult(api([output(ROOT, 1_000)]), blobs(() => Promise.resolve(changed)), job)).rejects.toThrow(
      /^The downloaded output of job #42 does not check out: job #42's output's Merkle root [0-9a-f]{64} is not the one the job settled on \(319c.*\); nothing was kept$/,
    );
    const corrupt = () => Promise.reject(new BlobHashMismatch(SHA, 'ab'.repeat(32)));
    await expect(fetchJobResult(api([output(ROOT, 1_000)]), blobs(corrupt), job)).rejects.toThrow(
      `Downloading the output of job #42: The bytes received hash to ${'ab'.repeat(32)}, not ${SHA}: the copy is corrupt and was not kept`,
    );
  });
});
