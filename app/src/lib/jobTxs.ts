// Signatures of the transactions this browser sent for each job (post, cancel,
// refund, close), so My jobs can link them: the chain keeps no index from a job to them.

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
