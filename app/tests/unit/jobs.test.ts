import { address, none, some } from '@solana/kit';
import { describe, expect, it, vi } from 'vitest';
import idl from '../../../idl/ignis.json';
import { JobStatus, type Job } from '../../src/generated';
import { Orchestrator, withClosed, type ApiJob, type JobView } from '../../src/lib/api';
import { jobViewFromAccount } from '../../src/lib/chain';
import { canCancel, canClose, canRefund, hasSla, MAX_REQUEUES } from '../../src/pages/jobs';

const poster = address('4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi');
const worker = address('CktRuQ2mttgRGkXJtyksdKHjUdc2C4TgDzyB98oEzy8');

function job(over: Partial<Job> = {}): Job {
  const empty = { worker: address('11111111111111111111111111111111'), assignedAt: 0n, deadline: 0n, commitment: new Uint8Array(32), resultHash: new Uint8Array(32), committed: false, revealed: false };
  return {
    discriminator: new Uint8Array(8),
    id: 7n,
    poster,
    kind: { __kind: 'Kernel', kernel: 1, size: 64 },
    seed: new Uint8Array(32),
    reward: 1_000_000_000n,
    replicas: 2,
    status: JobStatus.Open,
    assignments: [empty, empty, empty],
    assigned: 0,
    executionSeconds: 300n,
    postedAt: 1_000n,
    expiresAt: 4_600n,
    revealDeadline: 0n,
    challengeDeadline: 0n,
    completedAt: 0n,
    resultHash: new Uint8Array(32).fill(0xab),
    powNonce: 0n,
    requeues: 0,
    lastDeadline: 0n,
    bump: 255,
    sla: none(),
    ...over,
  };
}

describe('jobs read from the chain', () => {
  it('become the orchestrator’s JobView', () => {
    const view = jobViewFromAccount(job(), address('D8846tPvEiKejySqyNnJoLiS9EynLw8wGTJ4MuvUtw8X'), 99);
    expect(view).toMatchObject({ id: 7, poster, kind: 'matmul', size: 64, difficulty: null, replicas: 2, reward: '1000000000', status: 'open', assignments: [], postedAt: 1_000, expiresAt: 4_600, slot: 99 });
    expect(view.resultHash).toBe('ab'.repeat(32));
    // An account read from the chain is not closed.
    expect(view.closed).toBe(false);
    const assigned = job({ status: JobStatus.Running, assigned: 1, kind: { __kind: 'Pow', difficulty: 8 } });
    assigned.assignments[0] = { ...assigned.assignments[0]!, worker, deadline: 1_300n };
    const running = jobViewFromAccount(assigned, poster);
    expect(running).toMatchObject({ kind: 'pow', difficulty: 8, size: null, status: 'running', assignments: [{ worker, deadline: 1_300, committed: false, revealed: false }] });
  });
});

describe('a job’s SLA', () => {
  it('is read from the chain: the terms bought, or null', () => {
    const bought = jobViewFromAccount(
      job({ kind: { __kind: 'Pow', difficulty: 8 }, replicas: 1, sla: some({ compensationBps: 5_000, minUptimeBps: 9_500, premium: 10_000_000n }) }),
      poster,
    );
    expect(bought.sla).toEqual({ compensationBps: 5_000, minUptimeBps: 9_500, premium: '10000000' });
    expect(jobViewFromAccount(job(), poster).sla).toBeNull();
  });

  it('is shown from what the source says, else from what this browser bought', () => {
    const view = jobViewFromAccount(job(), poster);
    const boughtHere = (id: number) => id === 7;
    expect(hasSla({ ...view, sla: { compensationBps: 1, minUptimeBps: 1, premium: '1' } }, () => false)).toBe(true);
    expect(hasSla({ ...view, sla: null }, boughtHere)).toBe(false);
    // An orchestrator that does not list SLAs leaves the field out.
    const unsaid: JobView = { ...view };
    delete unsaid.sla;
    expect(hasSla(unsaid, boughtHere)).toBe(true);
    expect(hasSla({ ...unsaid, id: 8 }, boughtHere)).toBe(false);
  });
});

describe('job actions', () => {
  const open: JobView = jobViewFromAccount(job(), poster);
  it('cancel only while open and unassigned', () => {
    expect(canCancel(open)).toBe(true);
    expect(canCancel({ ...open, status: 'running' })).toBe(false);
    expect(canCancel({ ...open, assignments: [{ worker, deadline: 0, committed: false, revealed: false }] })).toBe(false);
  });
  it('refund once expired, open and unassigned', () => {
    expect(canRefund(open, 4_599)).toBe(false);
    expect(canRefund(open, 4_600)).toBe(true);
    expect(canRefund({ ...open, status: 'completed' }, 9_999)).toBe(false);
  });
  it('refund before expiry once re-queued too often to be assigned (Job::refundable_at)', () => {
    expect(String(MAX_REQUEUES)).toBe(idl.constants.find((c) => c.name === 'MAX_REQUEUES')?.value);
    expect(canRefund({ ...open, requeues: 15 }, 1_000)).toBe(false);
    expect(canRefund({ ...open, requeues: 16 }, 1_000)).toBe(true);
    expect(canRefund({ ...open, requeues: 16, assignments: [{ worker, deadline: 2_000, committed: false, revealed: false }] }, 1_000)).toBe(false);
  });
  it('close once the protocol’s retention has passed since it settled, unless its account is already gone', () => {
    const done: JobView = { ...open, status: 'completed', completedAt: 5_000 };
    const retention = 3_600;
    expect(canClose(open, 1_000_000, retention, new Set())).toBe(false);
    expect(canClose(done, 5_000 + 3_599, retention, new Set())).toBe(false);
    expect(canClose(done, 5_000 + 3_600, retention, new Set())).toBe(true);
    expect(canClose({ ...done, status: 'cancelled' }, 5_000 + 3_600, retention, new Set())).toBe(true);
    expect(canClose({ ...done, status: 'refunded' }, 5_000 + 3_600, retention, new Set())).toBe(true);
    // Another retention window, another time.
    expect(canClose(done, 5_000 + 3_600, 86_400, new Set())).toBe(false);
    expect(canClose(done, 5_000, 0, new Set())).toBe(true);
    // The orchestrator lists a closed job as it last was: no second Close, whether it
    // says so (`closed`) or the page found the account gone.
    expect(canClose({ ...done, closed: true }, 5_000 + 3_600, retention, new Set())).toBe(false);
    expect(canClose(done, 5_000 + 3_600, retention, new Set([done.id]))).toBe(false);
    expect(canClose(done, 5_000 + 3_600, retention, new Set([done.id + 1]))).toBe(true);
  });
});

describe('jobs from the orchestrator', () => {
  const sent = { ...jobViewFromAccount(job({ status: JobStatus.Completed, completedAt: 5_000n }), poster), slot: 12 };
  /** The job as an orchestrator from before `closed` sends it. */
  const older = (view: JobView): ApiJob => {
    const copy: ApiJob = { ...view };
    delete copy.closed;
    return copy;
  };

  it('have `closed`, false when an older orchestrator leaves it out', () => {
    const without = older(sent);
    expect('closed' in without).toBe(false);
    expect(withClosed(without).closed).toBe(false);
    expect(withClosed({ ...without, closed: null }).closed).toBe(false);
    expect(withClosed({ ...without, closed: true })).toEqual({ ...sent, closed: true });
  });

  it('are listed by poster, closed ones included', async () => {
    const old = older(sent);
    const urls: string[] = [];
    vi.stubGlobal('fetch', (url: string) => {
      urls.push(url);
      return Promise.resolve(new Response(JSON.stringify({ jobs: [{ ...sent, closed: true }, { ...old, id: 8 }] })));
    });
    try {
      const jobs = await new Orchestrator('http://api').jobs({ poster, limit: 200 });
      expect(urls).toEqual([`http://api/api/jobs?poster=${poster}&limit=200`]);
      expect(jobs.map((j) => [j.id, j.closed])).toEqual([
        [7, true],
        [8, false],
      ]);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
