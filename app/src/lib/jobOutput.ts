// A completed tensor job's output, as `ignis job result` gets it: the orchestrator keeps
// one output per distinct root a replica uploaded; the poster's is the one whose root
// the job settled on (its `resultHash`) for this posting of the job (its `postedAt`).
// It is downloaded signed (the poster owns it), checked against its SHA-256 and then
// against the Merkle root, and only then handed over.

import type { JobOutputView, JobView, Orchestrator } from './api';
import { BlobError, type BlobClient, type Progress } from './blobs';
import { checkOutput, predictions, TensorFileError, type CheckedOutput } from './tensors';

export interface JobResult extends CheckedOutput {
  /** The `.npy` bytes, checked. */
  npy: Uint8Array;
  sha256: string;
  /** mlp-i8: the predicted class of each row (argmax, lowest index on ties). */
  predictions: number[] | null;
}

/** Whether the job has an output to download: a completed tensor job with a result. */
export function hasOutput(job: JobView): boolean {
  return job.kind === 'tensor' && job.status === 'completed' && /[1-9a-f]/i.test(job.resultHash);
}

/** The output of this job whose root is its result and whose posting is this one. */
export function pickOutput(job: Pick<JobView, 'id' | 'resultHash' | 'postedAt'>, outputs: readonly JobOutputView[]): JobOutputView {
  const root = job.resultHash.toLowerCase();
  const found = outputs.find((o) => o.root.toLowerCase() === root && o.postedAt === job.postedAt);
  if (!found) {
    throw new Error(`The orchestrator holds no output of job #${job.id} with its result ${root}: no replica uploaded it there`);
  }
  return found;
}

/** Downloads and checks a completed tensor job's output. */
export async function fetchJobResult(api: Orchestrator, blobs: BlobClient, job: JobView, progress?: Progress): Promise<JobResult> {
  if (!hasOutput(job)) throw new Error(`Job #${job.id} has no output to download: it is not a completed job on your data`);
  const output = pickOutput(job, await api.outputs(job.id));
  let npy: Uint8Array;
  try {
    npy = await blobs.get(output.sha256, progress);
  } catch (error) {
    if (error instanceof BlobError) throw new Error(`Downloading the output of job #${job.id}: ${error.message}`, { cause: error });
    throw error;
  }
  let checked: CheckedOutput;
  try {
    checked = await checkOutput(`job #${job.id}'s output`, npy, { rows: job.size, rootHex: job.resultHash });
  } catch (error) {
    if (error instanceof TensorFileError) {
      throw new Error(`The downloaded output of job #${job.id} does not check out: ${error.message}; nothing was kept`, { cause: error });
    }
    throw error;
  }
  return {
    ...checked,
    npy,
    sha256: output.sha256,
    predictions: job.kernel === 'mlp-i8' ? predictions(checked.values, checked.cols) : null,
  };
}
