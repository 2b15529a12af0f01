// Signatures of the transactions this browser sent for each job (post, cancel,
// refund, close), so My jobs can link them: the chain keeps no index from a job to them;
// and the jobs it bought an SLA for.

const KEY = 'ignis.jobTransactions';

export type JobTxKind = 'post' | 'cancel' | 'refund' | 'close';
export type JobTxs = Partial<Record<JobTxKind, string>>;

function load(): Record<string, JobTxs> {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, JobTxs>;
  } catch {
    return {};
  }
}

export function jobTransactions(jobId: number | bigint): JobTxs {
  return load()[String(jobId)] ?? {};
}

export function recordJobTransaction(jobId: number | bigint, kind: JobTxKind, signature: string): void {
  const all = load();
  all[String(jobId)] = { ...all[String(jobId)], [kind]: signature };
  localStorage.setItem(KEY, JSON.stringify(all));
}

const SLA_KEY = 'ignis.slaJobs';

function loadSlaJobs(): string[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(SLA_KEY) ?? '[]');
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * Whether this browser bought an SLA for the job (in its posting transaction): what My
 * jobs goes by when the orchestrator does not say whether a job has one.
 */
export function slaBought(jobId: number | bigint): boolean {
  return loadSlaJobs().includes(String(jobId));
}

export function recordSlaBought(jobId: number | bigint): void {
  const list = loadSlaJobs();
  if (!list.includes(String(jobId))) localStorage.setItem(SLA_KEY, JSON.stringify([...list, String(jobId)]));
}
