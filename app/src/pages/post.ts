// Post a job: PoW difficulty, matmul size and replicas, or a job on your data (gemm-i8
// or mlp-i8: its files are read and checked here, refused with the reason before
// anything is paid, and uploaded to the data plane when posting; ui/tensorFiles.ts);
// reward, execution time and time to live; a cost preview (escrow, protocol fee,
// network fee and rent, the rent that comes back once the job is closed, the work it
// buys); the wallet signs; the job appears with its id, transaction and live status.
//
// A PoW job may carry an SLA (lib/sla.ts): its premium, computed here from the Config
// exactly as the program prices it, and its guarantee are shown before paying, and the
// posting transaction buys it right after `post_job` with the previewed premium as the
// most it may cost (a higher price is refused, never charged).

import type { App } from '../app';
import type { JobView, WorkerView } from '../lib/api';
import { BlobClient, walletSigner } from '../lib/blobs';
import { readJob, readTokenBalance, rentExempt, jobViewFromAccount } from '../lib/chain';
import { describeRetention, jobRetentionOf } from '../lib/closing';
import { costPreview, feasible, formatUnitPrice, minReward, validateJob, type JobDraft } from '../lib/cost';
import { isJobIdRace } from '../lib/errors';
import { describeSlaGuarantee, slaAdmits, slaQuote, type SlaQuote } from '../lib/sla';
import { estimateFee } from '../lib/tx';
import {
  formatBps,
  formatBytes,
  formatDuration,
  formatIgn,
  formatSol,
  formatWork,
  parseIgn,
} from '../lib/format';
import { recordJobTransaction, recordSlaBought } from '../lib/jobTxs';
import {
  buySlaInstruction,
  freshJobId,
  JOB_ACCOUNT_SIZE,
  jobAddress,
  postJobInstruction,
  TOKEN_ACCOUNT_SIZE,
  type JobKindInput,
} from '../lib/program';
import { notice, runAction, statusBadge } from '../ui/components';
import { h, replaceChildren } from '../ui/dom';
import { tensorFiles, type ReadyTensorJob } from '../ui/tensorFiles';

const LAMPORTS_PER_SIGNATURE = 5_000n;
const TERMINAL = new Set(['completed', 'cancelled', 'refunded']);

export function postPage(app: App, root: HTMLElement): () => void {
  const input = (attrs: Record<string, string | number | boolean>) => h('input', attrs);
  const kindPow = input({ type: 'radio', name: 'kind', value: 'pow', checked: true, 'data-testid': 'kind-pow' });
  const kindMatmul = input({ type: 'radio', name: 'kind', value: 'matmul', 'data-testid': 'kind-matmul' });
  const kindTensor = input({ type: 'radio', name: 'kind', value: 'tensor', 'data-testid': 'kind-tensor' });
  const difficulty = input({ type: 'number', name: 'difficulty', min: 0, max: 63, step: 1, value: 20, inputmode: 'numeric', 'data-testid': 'difficulty' });
  const size = input({ type: 'number', name: 'size', min: 1, max: 16384, step: 1, value: 256, inputmode: 'numeric', 'data-testid': 'size' });
  const replicas = h('select', { name: 'replicas', 'data-testid': 'replicas' }, [1, 2, 3].map((n) => h('option', { value: n }, String(n))));
  const reward = input({ type: 'text', name: 'reward', value: '1', inputmode: 'decimal', autocomplete: 'off', 'data-testid': 'reward' });
  const execution = input({ type: 'number', name: 'execution', min: 10, step: 1, value: 300, inputmode: 'numeric', 'data-testid': 'execution' });
  const ttl = input({ type: 'number', name: 'ttl', min: 60, step: 1, value: 3600, inputmode: 'numeric', 'data-testid': 'ttl' });
  const executionHint = h('small');
  const ttlHint = h('small');
  const rewardHint = h('small');
  const powFields = h('div', { class: 'kind-fields' }, h('label', { class: 'field' }, h('span', null, 'Difficulty (leading zero bits)'), difficulty, h('small', null, 'Work = 2^difficulty SHA-256 hashes, checked on chain.')));
  const matmulFields = h('div', { class: 'kind-fields', hidden: true }, h('label', { class: 'field' }, h('span', null, 'Matrix size n (n × n, u32)'), size));
  const tensor = tensorFiles(() => render());
  tensor.element.hidden = true;
  const replicasField = h(
    'div',
    { class: 'kind-fields', hidden: true },
    h('label', { class: 'field' }, h('span', null, 'Replicas (distinct operators)'), replicas, h('small', null, 'Replicas compare their results; agreeing replicas are paid.')),
  );
  const slaBox = input({ type: 'checkbox', name: 'sla', 'data-testid': 'sla' });
  const slaHint = h('small', { 'data-testid': 'sla-hint' });
  const slaField = h(
    'div',
    { class: 'field' },
    h('label', { class: 'check' }, slaBox, ' Service level (SLA)'),
    slaHint,
  );
  const preview = h('div', { class: 'preview', 'data-testid': 'cost-preview', 'aria-live': 'polite' });
  const problems = h('ul', { class: 'problems', 'data-testid': 'form-problems' });
  const submit = h('button', { class: 'button button-primary', type: 'submit', 'data-testid': 'post-submit' }, 'Post job');
  const result = h('div', { class: 'result', 'data-testid': 'post-result' });
  const form = h(
    'form',
    { class: 'card form', novalidate: true },
    h(
      'fieldset',
      { class: 'segmented' },
      h('legend', null, 'Kind'),
      h('label', null, kindPow, ' Proof of work'),
      h('label', null, kindMatmul, ' Matrix multiply (matmul-u32)'),
      h('label', null, kindTensor, ' Your data (gemm-i8, mlp-i8)'),
    ),
    powFields,
    matmulFields,
    tensor.element,
    replicasField,
    slaField,
    h('label', { class: 'field' }, h('span', null, 'Reward (IGN)'), reward, rewardHint),
    h('div', { class: 'row2' },
      h('label', { class: 'field' }, h('span', null, 'Execution time (seconds)'), execution, executionHint),
      h('label', { class: 'field' }, h('span', null, 'Time to live (seconds)'), ttl, ttlHint),
    ),
    problems,
    submit,
    result,
  );
  replaceChildren(root, h('h1', null, 'Post a job'), h('div', { class: 'two-col' }, form, h('aside', { class: 'card' }, h('h2', null, 'Cost preview'), preview)));

  let jobRent: bigint | null = null;
  let tokenAccountRent = 0n;
  /** From getFeeForMessage on a real post_job transaction, once a wallet is connected. */
  let networkFee: bigint | null = null;
  let balance: { amount: bigint; exists: boolean } | null = null;
  let workers: WorkerView[] = [];

  /** The SLA's price and terms for `replicas` now, from the Config the page has (null without it). */
  const quoteFor = (replicas: number): SlaQuote | null => {
    const config = app.config;
    if (!config) return null;
    try {
      return slaQuote(config, replicas);
    } catch {
      return null;
    }
  };

  const draft = (): { draft: JobDraft | null; rewardError: string | null; sla: SlaQuote | null } => {
    let rewardValue = 0n;
    let rewardError: string | null = null;
    try {
      rewardValue = parseIgn(reward.value);
    } catch (error) {
      rewardError = (error as Error).message;
    }
    const kind = kindTensor.checked ? 'tensor' : kindMatmul.checked ? 'matmul' : 'pow';
    const replicaCount = kind === 'pow' ? 1 : Number(replicas.value);
    // SLAs cover PoW jobs only (the box is disabled for the others).
    const sla = kind === 'pow' && slaBox.checked ? quoteFor(replicaCount) : null;
    return {
      rewardError,
      sla,
      draft: {
        kind,
        difficulty: Number(difficulty.value),
        size: Number(size.value),
        tensor: kind === 'tensor' ? tensor.state().shape : null,
        replicas: replicaCount,
        reward: rewardValue,
        executionSeconds: Number(execution.value),
        ttlSeconds: Number(ttl.value),
        ...(sla ? { slaPremium: sla.premium } : {}),
      },
    };
  };

  const render = () => {
    powFields.hidden = !kindPow.checked;
    matmulFields.hidden = !kindMatmul.checked;
    tensor.element.hidden = !kindTensor.checked;
    replicasField.hidden = kindPow.checked;
    slaBox.disabled = !kindPow.checked;
    slaField.classList.toggle('disabled', !kindPow.checked);
    slaHint.textContent = kindPow.checked
      ? 'Only proven workers with the SLA’s uptime take the job; if its worker misses the deadline, part of the worker’s slash comes to you.'
      : 'SLAs cover proof-of-work jobs only, whose deadlines the program settles on its own: choose Proof of work to buy one.';
    executionHint.textContent = `${formatDuration(Number(execution.value) || 0)} per assignment`;
    ttlHint.textContent = `refundable ${formatDuration(Number(ttl.value) || 0)} after posting if unfinished`;
    const config = app.config;
    const { draft: d, rewardError, sla } = draft();
    const issues: string[] = [];
    if (kindPow.checked && slaBox.checked && config && !sla) issues.push('The SLA premium cannot be priced from this protocol’s parameters (it would overflow): post without an SLA');
    // A job on your data: each file read and checked, and the two fitting together.
    if (d?.kind === 'tensor') issues.push(...tensor.state().problems);
    if (rewardError) issues.push(rewardError);
    if (!config) issues.push(app.chainError ?? 'Loading the protocol configuration…');
    if (d && config) {
      issues.push(
        ...validateJob(
          d,
          {
            maxExecutionSeconds: Number(config.params.maxExecutionSeconds),
            maxJobTtlSeconds: Number(config.params.maxJobTtlSeconds),
            protocolFeeBps: config.params.protocolFeeBps,
          },
          balance && app.address ? balance.amount : undefined,
        ).filter((p) => !(rewardError && p.startsWith('The reward must'))),
      );
    }
    if (!app.address) issues.push('Connect a wallet to post');
    replaceChildren(problems, issues.map((p) => h('li', null, p)));
    submit.disabled = issues.length > 0;
    const least = d && config ? minReward(d.kind === 'pow' ? 1 : d.replicas, config.params.protocolFeeBps) : null;
    rewardHint.textContent = [
      least !== null ? `At least ${formatIgn(least)}` : '',
      app.address && balance ? `your balance: ${formatIgn(balance.amount)}` : '',
    ]
      .filter(Boolean)
      .join('; ');

    if (!d || !config) {
      replaceChildren(preview, notice('The preview needs the protocol configuration from the chain.'));
      return;
    }
    const retention = jobRetentionOf(config);
    const cost = costPreview(d, {
      feeBps: config.params.protocolFeeBps,
      lamportsPerSignature: networkFee ?? LAMPORTS_PER_SIGNATURE,
      jobRentLamports: jobRent ?? 0n,
      tokenAccountRentLamports: balance && !balance.exists ? tokenAccountRent : 0n,
    });
    const line = (label: string, value: string, testId: string, hint?: string) =>
      h('div', { class: 'line', 'data-testid': testId }, h('span', null, label, hint ? h('small', null, hint) : null), h('strong', null, value));
    const fits = workers.filter((w) => {
      const kernelOk = w.kernels.some((k) =>
        d.kind === 'pow' ? /pow|sha/i.test(k) : d.kind === 'tensor' ? k === tensor.kernel() : /matmul/i.test(k),
      );
      const memoryOk = d.kind === 'pow' || BigInt(w.vramMb) * 1_048_576n >= cost.memoryBytes;
      // The program assigns a job only to a worker that finishes it in time at the
      // hashrate it trusts: the claim, cut to what capacity challenges proved.
      const inTime = feasible(trustedHashrate(w), cost.workUnits, d.executionSeconds);
      const available = w.accepting && !w.capacity?.suspended && w.activeJobs < w.maxConcurrentJobs;
      const slaOk = !sla || slaAdmits(w, sla.minUptimeBps);
      return available && kernelOk && memoryOk && inTime && slaOk && BigInt(w.minPrice) <= cost.perReplica;
    }).length;
    replaceChildren(
      preview,
      h('h3', null, 'IGN'),
      line('Escrowed now', formatIgn(cost.escrow), 'preview-escrow', 'held in the job’s shard vault; returned if you cancel before assignment or the job expires'),
      line(`Protocol fee (${formatBps(config.params.protocolFeeBps)})`, formatIgn(cost.fee), 'preview-fee', 'kept from the reward when paid; goes to stakers'),
      line(d.kind === 'pow' ? 'Worker receives' : `Each of ${d.replicas} replicas receives`, formatIgn(cost.perReplica), 'preview-worker', 'plus the work pool’s emission for verified work'),
      line(
        'Minimum reward',
        formatIgn(cost.minReward),
        'preview-min-reward',
        `the ${formatBps(config.params.protocolFeeBps)} fee must be at least one base unit per replica`,
      ),
      sla
        ? [
            line(
              'SLA premium',
              formatIgn(cost.slaPremium),
              'preview-sla-premium',
              `priced from the network’s ${formatBps(sla.networkUptimeBps)} challenge uptime; paid to the stakers, who give up ${formatBps(sla.compensationBps)} of a missing worker’s slash to you`,
            ),
            h('p', { class: 'sla-guarantee', 'data-testid': 'preview-sla-guarantee' }, `${describeSlaGuarantee(sla)}.`),
          ]
        : null,
      line('Total IGN', formatIgn(cost.totalIgn), 'preview-total-ign', sla ? 'the escrow plus the SLA premium' : 'the escrow'),
      h('h3', null, 'SOL'),
      line('Network fee', formatSol(cost.networkFeeLamports), 'preview-network-fee', networkFee === null ? 'estimate: 5,000 lamports per signature' : 'quoted by the cluster'),
      line('Job account rent', jobRent === null ? '…' : formatSol(jobRent), 'preview-rent', `${JOB_ACCOUNT_SIZE} bytes, back to you when the job is closed`),
      balance && !balance.exists ? line('IGN token account rent', formatSol(tokenAccountRent), 'preview-ata-rent', 'your IGN account is created first') : null,
      line('Total SOL', formatSol(cost.totalLamports), 'preview-total-sol'),
      line(
        'Rent back to you',
        jobRent === null ? '…' : formatSol(jobRent),
        'preview-rent-returned',
        `the job account’s rent, when the job is closed: the orchestrator closes it ${describeRetention(retention)}` +
          (retention > 0 ? ' (the protocol’s retention window)' : ''),
      ),
      h('h3', null, 'Work'),
      d.kind === 'tensor' && !d.tensor
        ? line('Work bought', '…', 'preview-work', 'read from your files once both are chosen')
        : line(
            'Work bought',
            d.kind === 'pow' ? formatWork('pow', cost.operations) : `${formatWork(d.kind, cost.operations)} × ${d.replicas}`,
            'preview-work',
            d.kind === 'pow'
              ? `2^${d.difficulty} hashes`
              : d.kind === 'tensor' && d.tensor
                ? `${tensor.kernel()}: ${d.tensor.rows} rows × ${d.tensor.macsPerRow} multiply-adds per row, per replica; ${formatBytes(cost.memoryBytes)} of device memory`
                : `${d.size}³ per replica, ${formatBytes(cost.memoryBytes)} of device memory`,
          ),
      d.kind === 'tensor' && d.tensor
        ? line('Work units', cost.workUnits.toLocaleString('en-US'), 'preview-work-units', 'multiply-adds / 1,024, rounded up: what the work pool pays verified work by')
        : null,
      line('Price', formatUnitPrice(cost.ignPerUnit, d.kind), 'preview-price'),
      workers.length
        ? line(
            'Workers that would take it now',
            `${fits} of ${workers.length}`,
            'preview-workers',
            !workers.some((w) => feasible(trustedHashrate(w), cost.workUnits, d.executionSeconds))
              ? 'none can finish it in time at its hashrate: lower the work or allow more execution time'
              : sla && !workers.some((w) => slaAdmits(w, sla.minUptimeBps))
                ? `none has proven ${formatBps(sla.minUptimeBps)} uptime yet: an SLA job waits for one that has, or until it expires (refundable)`
                : undefined,
          )
        : null,
    );
  };

  const loadBalances = async () => {
    try {
      jobRent ??= await rentExempt(app.rpc, JOB_ACCOUNT_SIZE);
      tokenAccountRent ||= await rentExempt(app.rpc, TOKEN_ACCOUNT_SIZE);
      const protocol = app.protocol;
      const owner = app.address;
      balance = protocol && owner ? await readTokenBalance(app.rpc, owner, protocol) : null;
      if (protocol && owner && app.config && networkFee === null) {
        const { draft: d } = draft();
        const sample = await app.withTokenAccount(async (signer, ata, p) => [
          await postJobInstruction(p, signer, ata, {
            jobId: freshJobId(),
            kind: { kind: 'pow', difficulty: 0 },
            clientSeed: new Uint8Array(32),
            reward: d?.reward ?? 1n,
            replicas: 1,
            executionSeconds: 300n,
            ttlSeconds: 3_600n,
          }),
        ]);
        networkFee = await estimateFee(app.rpc, owner, sample);
      }
    } catch {
      /* the preview shows what it has */
    }
    render();
  };
  const loadWorkers = async () => {
    try {
      workers = await app.api.workers();
    } catch {
      workers = [];
    }
    render();
  };

  for (const el of [kindPow, kindMatmul, kindTensor, difficulty, size, replicas, reward, execution, ttl, slaBox]) {
    el.addEventListener('input', render);
    el.addEventListener('change', render);
  }

  let stopWatch: (() => void) | null = null;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // The premium the poster was shown: the most the SLA may cost.
    const { draft: d, sla: shown } = draft();
    if (!d) return;
    const maxPremium = shown?.premium ?? null;
    let data: ReadyTensorJob | null = null;
    if (d.kind === 'tensor') {
      data = tensor.state().ready;
      if (!data) return;
    }
    const kind: JobKindInput = data
      ? { kind: 'tensor', spec: data.spec }
      : d.kind === 'pow'
        ? { kind: 'pow', difficulty: d.difficulty }
        : { kind: 'matmul', size: d.size };
    stopWatch?.();
    void runAction(app, submit, result, async (progress) => {
      if (data) {
        // The files first: if an upload fails nothing is paid, and posting again resumes it.
        const connection = app.wallet.connection;
        if (!connection) throw new Error('Connect a wallet first');
        await tensor.upload(new BlobClient(app.api.baseUrl, walletSigner(connection)), progress);
      }
      for (let attempt = 0; ; attempt++) {
        await app.refreshConfig();
        const config = app.config;
        if (!config) throw new Error(app.chainError ?? 'The protocol is not initialised on this cluster');
        if (maxPremium !== null) {
          // The price follows the network's uptime: a rise since the preview is shown
          // again rather than sent to be refused.
          const now = slaQuote(config, d.replicas).premium;
          if (now > maxPremium) {
            render();
            throw new Error(
              `The SLA premium rose from ${formatIgn(maxPremium)} to ${formatIgn(now)} since the preview (it follows the network’s challenge uptime): check the new preview and post again`,
            );
          }
        }
        const jobId = freshJobId();
        const instructions = await app.withTokenAccount(async (signer, ata, protocol) => [
          await postJobInstruction(protocol, signer, ata, {
            jobId,
            kind,
            clientSeed: crypto.getRandomValues(new Uint8Array(32)),
            reward: d.reward,
            replicas: d.replicas,
            executionSeconds: BigInt(d.executionSeconds),
            ttlSeconds: BigInt(d.ttlSeconds),
          }),
          // In the same transaction, before any worker can be assigned the job.
          ...(maxPremium !== null ? [await buySlaInstruction(protocol, signer, ata, jobId, maxPremium)] : []),
        ]);
        progress(attempt === 0 ? 'Waiting for your wallet…' : 'That job id was taken: approve again in your wallet…');
        try {
          const sent = await app.send(instructions);
          recordJobTransaction(jobId, 'post', sent.signature);
          if (maxPremium !== null) recordSlaBought(jobId);
          const live = h('div', { class: 'posted-job', 'data-testid': 'posted-job', 'data-job-id': String(jobId) });
          stopWatch = watchJob(app, jobId, live);
          const slaTerms = maxPremium !== null ? h('div', { class: 'posted-sla', 'data-testid': 'posted-job-sla' }, 'SLA bought: reading its terms from the chain…') : null;
          if (slaTerms) void showSlaTerms(app, jobId, slaTerms);
          void loadBalances();
          return {
            message: maxPremium !== null ? `Job #${jobId} posted with an SLA.` : `Job #${jobId} posted.`,
            signature: sent.signature,
            extra: h('div', null, live, slaTerms, h('a', { href: '#/jobs' }, 'See all my jobs')),
          };
        } catch (error) {
          if (attempt < 2 && isJobIdRace(error)) continue;
          throw error;
        }
      }
    });
  });

  const offs = [app.on('config', () => void loadBalances()), app.on('wallet', () => void loadBalances())];
  render();
  void loadBalances();
  void loadWorkers();
  return () => {
    offs.forEach((off) => off());
    stopWatch?.();
  };
}

/**
 * The hashrate the program trusts for assignment: the claim, cut to what capacity
 * challenges proved (`capacity.ratedHashrate` is already the lower of the two); the
 * claim where the orchestrator sends no capacity.
 */
function trustedHashrate(w: WorkerView): number {
  return w.capacity ? Math.min(w.capacity.ratedHashrate, w.hashrate) : w.hashrate;
}

/** The SLA the job carries on chain, in words, in `el` (`data-sla` set once confirmed). */
async function showSlaTerms(app: App, jobId: bigint, el: HTMLElement): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const job = await readJob(app.rpc, jobId);
      const view = job ? jobViewFromAccount(job, await jobAddress(jobId)) : null;
      if (view?.sla) {
        el.dataset.sla = 'true';
        replaceChildren(
          el,
          h('span', { class: 'badge badge-sla' }, 'SLA'),
          ` premium paid ${formatIgn(view.sla.premium)}; ${formatBps(view.sla.compensationBps)} of a missing worker’s slash comes to you; only workers with ≥ ${formatBps(view.sla.minUptimeBps)} proven uptime take it.`,
        );
        return;
      }
    } catch {
      /* try again */
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  replaceChildren(el, 'SLA bought with the job (its terms could not be read from the chain yet: see My jobs).');
}

/** Shows a job's live status (events, then polling the API or the chain) in `el`. */
function watchJob(app: App, jobId: bigint, el: HTMLElement): () => void {
  let last: JobView | null = null;
  const show = (job: JobView) => {
    last = job;
    el.dataset.status = job.status;
    replaceChildren(
      el,
      h('span', null, `Job #${job.id}: `),
      statusBadge(job.status),
      job.sla ? [' ', h('span', { class: 'badge badge-sla', title: 'bought with the job' }, 'SLA')] : null,
      job.status === 'completed' && job.powNonce !== '0' ? h('small', null, ` nonce ${job.powNonce}`) : null,
      job.assignments.length ? h('small', null, ` · ${job.assignments.length} of ${job.replicas} assigned`) : null,
      job.status === 'completed' && job.kind === 'tensor' ? [' · ', h('a', { href: '#/jobs' }, 'download the result in My jobs')] : null,
    );
  };
  replaceChildren(el, `Job #${jobId}: waiting for its first status…`);
  const off = app.on('job', (detail) => {
    const job = detail as JobView;
    if (BigInt(job.id) === jobId) show(job);
  });
  const poll = async () => {
    if (last && TERMINAL.has(last.status)) return;
    try {
      const job = app.apiOnline === false ? null : await app.api.job(jobId);
      if (job) return show(job);
    } catch {
      /* read the chain */
    }
    try {
      const account = await readJob(app.rpc, jobId);
      if (account) show(jobViewFromAccount(account, await jobAddress(jobId)));
    } catch {
      /* next time */
    }
  };
  void poll();
  const timer = setInterval(() => void poll(), 2_000);
  return () => {
    off();
    clearInterval(timer);
  };
}
