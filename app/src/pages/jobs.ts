// My jobs: every job the connected wallet posted, with live status (server-sent
// events, polling as a fallback, the chain when the orchestrator is down), links to
// the job account and this browser's transactions, cancel while unassigned, refund
// once expired (or re-queued too often to be assigned), close once the protocol's
// retention window (`Config.params.jobRetentionSeconds`) has passed since it settled
// to take the account's rent back (lib/closing.ts; the orchestrator's crank closes it
// then too). Stored times are on the protocol clock (lib/clock.ts): they are compared
// with `app.protocolNow()`.
//
// A closed job's account is gone from the chain, but the orchestrator keeps the job's
// last state as history and lists it with `closed: true`: it is shown as closed, rent
// returned, with nothing left to do. The chain alone (the orchestrator unreachable)
// lists only the jobs still on chain; jobs this page already had stay. An orchestrator
// that does not say `closed` yet: jobs that look closable are looked up on the chain,
// and those gone are shown as closed.
//
// A job with an SLA shows it, with its terms (lib/sla.ts): from the orchestrator or the
// chain, or, where the orchestrator does not say, from this browser's record that it
// bought one when posting (lib/jobTxs.ts).
//
// A completed job on your data (gemm-i8, mlp-i8) offers Download result: its output is
// fetched from the data plane with a signed request, checked against its SHA-256 and
// the Merkle root the job settled on (lib/jobOutput.ts), then offered as a file with a
// preview (ui/outputPreview.ts); a copy that does not check out is not kept.

import type { App } from '../app';
import type { JobView } from '../lib/api';
import { BlobClient, walletSigner } from '../lib/blobs';
import { missingAccounts, newestFirst, readJobsOfPoster } from '../lib/chain';
import { jobClosableAt, jobClosableFrom, jobRetentionOf } from '../lib/closing';
import { formatBps, formatDuration, formatIgn, formatRelative, formatTimestamp, shortAddress } from '../lib/format';
import { fetchJobResult, hasOutput } from '../lib/jobOutput';
import { jobTransactions, recordJobTransaction, slaBought } from '../lib/jobTxs';
import type { Sent } from '../lib/tx';
import { asAddress, cancelJobInstruction, closeJobInstruction, jobAddress, refundJobInstruction } from '../lib/program';
import { notice, runAction, statusBadge } from '../ui/components';
import { extLink, h, replaceChildren } from '../ui/dom';
import { outputPreview } from '../ui/outputPreview';

export function canCancel(job: JobView): boolean {
  return job.status === 'open' && job.assignments.length === 0;
}

/** Assignments of one job that may be expired, declined or overturned (MAX_REQUEUES). */
export const MAX_REQUEUES = 16;

/**
 * `Job::refundable_at`: open with nothing assigned, and expired or re-queued too often
 * to be assigned again. `now` is the protocol clock.
 */
export function canRefund(job: JobView, now: number): boolean {
  return (
    job.status === 'open' &&
    job.assignments.length === 0 &&
    (now >= job.expiresAt || job.requeues >= MAX_REQUEUES)
  );
}

/**
 * Whether to offer Close: `Job::check_close` (lib/closing.ts) with the protocol's
 * `jobRetentionSeconds`, for a job whose account is not known to be gone (the
 * orchestrator says `closed`, or the id is in `closed`). `now` is the protocol clock.
 */
export function canClose(job: JobView, now: number, retentionSeconds: number, closed: ReadonlySet<number>): boolean {
  return !job.closed && !closed.has(job.id) && jobClosableAt(job, now, retentionSeconds);
}

/**
 * Whether the job carries an SLA: what the orchestrator or the chain says, or, where
 * the orchestrator does not say (no `sla` field), whether this browser bought one.
 */
export function hasSla(job: Pick<JobView, 'id' | 'sla'>, boughtHere: (id: number) => boolean = slaBought): boolean {
  return job.sla === undefined ? boughtHere(job.id) : job.sla !== null;
}

function describeSla(job: JobView): string {
  const sla = job.sla;
  return sla
    ? `premium ${formatIgn(sla.premium)}; if its worker misses the deadline, ${formatBps(sla.compensationBps)} of the worker’s slash is paid to you; only workers with ≥ ${formatBps(sla.minUptimeBps)} proven uptime take it`
    : 'bought with the job from this browser';
}

function describeKind(job: JobView): string {
  const replicas = `${job.replicas} ${job.replicas === 1 ? 'replica' : 'replicas'}`;
  if (job.kind === 'pow') return `PoW, difficulty ${job.difficulty ?? '?'}`;
  if (job.kind === 'tensor') return `${job.kernel ?? 'tensor'} on your data, ${job.size ?? '?'} rows, ${replicas}`;
  return `matmul ${job.size ?? '?'}×${job.size ?? '?'}, ${replicas}`;
}

export function jobsPage(app: App, root: HTMLElement): () => void {
  const list = h('div', { class: 'jobs', 'data-testid': 'jobs-list' });
  const source = h('p', { class: 'muted', 'data-testid': 'jobs-source' });
  replaceChildren(root, h('h1', null, 'My jobs'), source, list);
  const jobs = new Map<number, JobView>();
  const results = new Map<number, HTMLElement>();
  // Downloaded outputs: their previews (kept across re-renders) and object URLs.
  const outputs = { views: new Map<number, HTMLElement>(), urls: [] as string[] };
  const pending = new Set<number>();
  // Job ids whose account is gone (closed by this page, the orchestrator's crank or
  // anyone): ids are random 53-bit picks, never posted twice in practice, so this
  // stays true.
  const closed = new Set<number>();
  /** `Config.params.jobRetentionSeconds`, or null while the config is unknown (no Close then). */
  const retention = () => (app.config ? jobRetentionOf(app.config) : null);
  const closable = (job: JobView, now: number) => {
    const seconds = retention();
    return seconds !== null && canClose(job, now, seconds, closed);
  };

  /** Looks up on the chain the jobs that may be closed now; marks those gone. */
  const findClosed = async (ids: number[]) => {
    if (ids.length === 0) return;
    const addresses = await Promise.all(ids.map((id) => jobAddress(id)));
    // The page waits for this before it renders: not for long.
    const missing = await missingAccounts(app.rpc, addresses, AbortSignal.timeout(5_000));
    ids.forEach((id, i) => {
      if (missing.has(addresses[i]!)) closed.add(id);
    });
  };
  const isGone = async (id: number) => {
    await findClosed([id]);
    return closed.has(id);
  };
  const markClosed = (id: number) => {
    closed.add(id);
    render();
  };

  const render = () => {
    const owner = app.address;
    if (!owner) {
      replaceChildren(list, notice('Connect a wallet to see the jobs you posted.', 'info', 'jobs-connect'));
      return;
    }
    const rows = [...jobs.values()].filter((j) => j.poster === owner).sort(newestFirst);
    if (rows.length === 0) {
      replaceChildren(list, notice('You have not posted a job yet.', 'info', 'jobs-empty'), h('a', { class: 'button button-primary', href: '#/post' }, 'Post a job'));
      return;
    }
    const now = app.protocolNow();
    const closing = { closed, retention: retention(), closable, isGone, markClosed };
    replaceChildren(list, rows.map((job) => jobCard(app, job, now, results, pending, refresh, closing, outputs)));
  };

  let loading = false;
  const refresh = async () => {
    const owner = app.address;
    if (!owner || loading) return render();
    loading = true;
    try {
      let fetched: JobView[];
      let onChain = false;
      try {
        if (app.apiOnline === false) throw new Error('offline');
        fetched = await app.api.jobs({ poster: owner, limit: 200 });
        app.setApiOnline(true);
        source.textContent = 'Live from the orchestrator.';
      } catch {
        if (app.apiOnline !== false) app.setApiOnline(false);
        fetched = await readJobsOfPoster(app.rpc, owner);
        onChain = true;
        source.textContent = 'Read from the chain (the orchestrator is unreachable).';
      }
      // Merged into what the page has: a job the orchestrator lists as closed stays
      // as history; with the chain alone, jobs no longer on chain stay as they were.
      for (const job of fetched) {
        if (job.closed) closed.add(job.id);
        const known = jobs.get(job.id);
        if (!known || known.slot <= job.slot) jobs.set(job.id, job);
      }
      // A job just read from the chain exists; any other that looks closable may be
      // gone already. Unknown while the chain is unreachable: the button then stays.
      const read = new Set(onChain ? fetched.map((j) => j.id) : []);
      const now = app.protocolNow();
      const candidates = [...jobs.values()]
        .filter((j) => j.poster === owner && !read.has(j.id) && closable(j, now))
        .map((j) => j.id);
      await findClosed(candidates).catch(() => undefined);
    } catch (error) {
      source.textContent = app.describe(error);
    } finally {
      loading = false;
    }
    render();
  };

  const offs = [
    app.on('job', (detail) => {
      const job = detail as JobView;
      if (job.poster !== app.address) return;
      if (job.closed) closed.add(job.id);
      const known = jobs.get(job.id);
      if (known && known.slot > job.slot) return;
      jobs.set(job.id, job);
      render();
    }),
    app.on('wallet', () => {
      jobs.clear();
      void refresh();
    }),
    app.on('api', () => void refresh()),
    // The retention window comes with the config.
    app.on('config', () => render()),
  ];
  void refresh();
  // Events carry changes; polling covers a dropped stream and moves the expiry clocks.
  const timer = setInterval(() => void refresh(), 5_000);
  return () => {
    offs.forEach((off) => off());
    clearInterval(timer);
    outputs.urls.forEach((url) => URL.revokeObjectURL(url));
  };
}

function jobCard(
  app: App,
  job: JobView,
  now: number,
  results: Map<number, HTMLElement>,
  pending: Set<number>,
  refresh: () => Promise<void>,
  closing: {
    closed: ReadonlySet<number>;
    /** `jobRetentionSeconds`, null while the config is unknown. */
    retention: number | null;
    /** Whether to offer Close now (`canClose` with the retention, once it is known). */
    closable: (job: JobView, now: number) => boolean;
    isGone: (id: number) => Promise<boolean>;
    markClosed: (id: number) => void;
  },
  outputs: { views: Map<number, HTMLElement>; urls: string[] },
): HTMLElement {
  const isClosed = job.closed || closing.closed.has(job.id);
  // A re-render during an action keeps its button disabled.
  const act = (button: HTMLButtonElement, action: Parameters<typeof runAction>[3]) => {
    pending.add(job.id);
    void runAction(app, button, result!, action).finally(() => pending.delete(job.id));
  };
  const txs = jobTransactions(job.id);
  let result = results.get(job.id);
  if (!result) {
    result = h('div', { class: 'result', 'data-testid': 'job-action-result' });
    results.set(job.id, result);
  }
  const actions: HTMLElement[] = [];
  // The output's preview, in the card from the start and kept across re-renders.
  let outputView = outputs.views.get(job.id);
  if (!outputView && hasOutput(job)) {
    outputView = h('div', { class: 'job-output-slot' });
    outputs.views.set(job.id, outputView);
  }
  if (outputView) {
    const view = outputView;
    const button = h(
      'button',
      { class: 'button', 'data-testid': 'download-result', title: 'Download the output, check it against the job’s result, and preview it' },
      'Download result',
    );
    button.addEventListener('click', () =>
      act(button, async (progress) => {
        const connection = app.wallet.connection;
        if (!connection) throw new Error('Connect a wallet first');
        const blobs = new BlobClient(app.api.baseUrl, walletSigner(connection));
        progress('Sign the download request in your wallet…');
        const output = await fetchJobResult(app.api, blobs, job, (done, total) =>
          progress(`Downloading the output: ${Math.round((100 * done) / Math.max(total, 1))}%`),
        );
        const url = URL.createObjectURL(new Blob([output.npy as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
        outputs.urls.push(url);
        replaceChildren(view, outputPreview(job.id, output, url));
        return { message: `Job #${job.id}’s output: ${output.rows} × ${output.cols} int32, its SHA-256 and Merkle root checked.` };
      }),
    );
    button.disabled = pending.has(job.id);
    actions.push(button);
  }
  if (closing.closable(job, now)) {
    const button = h(
      'button',
      {
        class: 'button',
        'data-testid': 'close-job',
        title: 'Close the job account and take its rent back (the orchestrator does it soon otherwise)',
      },
      'Close',
    );
    button.addEventListener('click', () =>
      act(button, async () => {
        const instruction = await closeJobInstruction(BigInt(job.id), asAddress(job.poster));
        let sent: Sent;
        try {
          sent = await app.send([instruction]);
        } catch (error) {
          // Anyone may close a settled job: someone may have done it first.
          if (await closing.isGone(job.id).catch(() => false)) {
            closing.markClosed(job.id);
            return { message: `Job #${job.id} was already closed: its rent went back to your wallet.` };
          }
          throw error;
        }
        recordJobTransaction(job.id, 'close', sent.signature);
        closing.markClosed(job.id);
        return { message: `Closed job #${job.id}: its rent came back to your wallet.`, signature: sent.signature };
      }),
    );
    button.disabled = pending.has(job.id);
    actions.push(button);
  }
  if (!isClosed && canCancel(job)) {
    const button = h('button', { class: 'button', 'data-testid': 'cancel-job' }, 'Cancel');
    button.addEventListener('click', () =>
      act(button, async () => {
        const instructions = await app.withTokenAccount(async (signer, ata, protocol) => [
          await cancelJobInstruction(protocol, signer, BigInt(job.id), ata),
        ]);
        const sent = await app.send(instructions);
        recordJobTransaction(job.id, 'cancel', sent.signature);
        void refresh();
        return { message: `Job #${job.id} cancelled: ${formatIgn(job.reward)} returned.`, signature: sent.signature };
      }),
    );
    button.disabled = pending.has(job.id);
    actions.push(button);
  }
  if (!isClosed && canRefund(job, now)) {
    const button = h('button', { class: 'button', 'data-testid': 'refund-job' }, 'Refund');
    button.addEventListener('click', () =>
      act(button, async () => {
        const instructions = await app.withTokenAccount(async (_signer, ata, protocol) => [
          await refundJobInstruction(protocol, BigInt(job.id), ata),
        ]);
        const sent = await app.send(instructions);
        recordJobTransaction(job.id, 'refund', sent.signature);
        void refresh();
        return { message: `Job #${job.id} refunded: ${formatIgn(job.reward)} returned.`, signature: sent.signature };
      }),
    );
    button.disabled = pending.has(job.id);
    actions.push(button);
  }

  const closableFrom = closing.retention === null ? null : jobClosableFrom(job, closing.retention);
  const timing =
    job.status === 'completed'
      ? `completed ${formatRelative(job.completedAt, now)}`
      : job.status === 'open' || job.status === 'running'
        ? now >= job.expiresAt
          ? `expired ${formatRelative(job.expiresAt, now)}`
          : `expires ${formatRelative(job.expiresAt, now)}`
        : `posted ${formatRelative(job.postedAt, now)}`;

  const txLinks = Object.entries<string>(txs).map(([kind, sig]) =>
    extLink(app.explorerTx(sig), `${kind} tx`, { 'data-testid': `job-tx-${kind}` }),
  );

  return h(
    'article',
    { class: 'card job', 'data-testid': `job-${job.id}`, 'data-job-id': job.id, 'data-status': job.status, 'data-closed': isClosed },
    h(
      'header',
      { class: 'job-head' },
      h('strong', null, `#${job.id}`),
      statusBadge(job.status),
      isClosed ? h('span', { class: 'badge badge-closed', 'data-testid': 'job-closed', title: 'rent returned' }, 'closed') : null,
      hasSla(job) ? h('span', { class: 'badge badge-sla', 'data-testid': 'job-sla', title: `SLA: ${describeSla(job)}` }, 'SLA') : null,
      h('span', { class: 'muted' }, describeKind(job)),
      h('span', { class: 'job-reward' }, formatIgn(job.reward)),
    ),
    h(
      'dl',
      { class: 'job-facts' },
      h('dt', null, 'Workers'),
      h(
        'dd',
        null,
        job.assignments.length
          ? job.assignments.map((a, i) => [
              i ? ', ' : '',
              extLink(app.explorerAddress(a.worker), shortAddress(a.worker)),
              a.revealed ? ' (revealed)' : a.committed ? ' (committed)' : job.status === 'open' || job.status === 'running' ? ` (due ${formatRelative(a.deadline, now)})` : '',
            ])
          : 'none yet',
      ),
      hasSla(job) ? [h('dt', null, 'SLA'), h('dd', { 'data-testid': 'job-sla-terms' }, describeSla(job))] : null,
      h('dt', null, 'Time'),
      h('dd', { title: `posted ${formatTimestamp(app.wallTime(job.postedAt))}, expires ${formatTimestamp(app.wallTime(job.expiresAt))}` }, timing),
      job.requeues
        ? [
            h('dt', null, 'Re-queued'),
            h('dd', null, job.requeues >= MAX_REQUEUES ? `${job.requeues} times: it is no longer assigned` : `${job.requeues} times`),
          ]
        : null,
      job.status === 'completed' && /[1-9a-f]/.test(job.resultHash)
        ? [h('dt', null, 'Result'), h('dd', null, h('code', { class: 'wrap' }, job.resultHash))]
        : null,
      job.status === 'completed' && job.kind === 'pow' ? [h('dt', null, 'Nonce'), h('dd', null, job.powNonce)] : null,
      h('dt', null, 'Links'),
      h('dd', null, extLink(app.explorerAddress(job.address), 'job account'), txLinks.length ? [' · ', ...txLinks.flatMap((l, i) => (i ? [' · ', l] : [l]))] : null),
    ),
    actions.length ? h('div', { class: 'row' }, actions) : null,
    result,
    outputView ?? null,
    job.status === 'open' && job.assignments.length === 0 && !canRefund(job, now)
      ? h('small', { class: 'muted' }, `Refundable in ${formatDuration(job.expiresAt - now)} if no worker takes it.`)
      : null,
    isClosed
      ? h(
          'small',
          { class: 'muted', 'data-testid': 'job-closed-note' },
          'Closed, rent returned: the job account is gone from the chain and its rent went back to your wallet; this is its last state.',
        )
      : closableFrom !== null && closing.retention !== null && now < closableFrom
        ? h(
            'small',
            { class: 'muted', 'data-testid': 'closable-in' },
            `Its account’s rent comes back to your wallet when the job is closed, in ${formatDuration(closableFrom - now)}: ` +
              `the orchestrator closes a settled job once the protocol’s retention window (${formatDuration(closing.retention)}) has passed, or you can then.`,
          )
        : null,
  );
}
