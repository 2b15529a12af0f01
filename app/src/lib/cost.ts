// The cost preview of a job: what leaves the poster's wallet (the escrow, and an SLA's
// premium when one is bought: lib/sla.ts), what the workers get,
// what the protocol keeps, and the work it buys; and the program's rules for a job,
// checked before the wallet is asked (programs/ignis/src/instructions/post_job.rs,
// `Config::min_reward`, `JobKind::work_units`, `JobKind::memory_mb`,
// `TensorSpec::validate`, `worker::feasible`).

import {
  JOB_ACCOUNT_SIZE,
  MAX_MATMUL_N,
  MAX_POW_DIFFICULTY,
  MAX_REPLICAS,
  MIN_EXECUTION_SECONDS,
  MIN_JOB_TTL_SECONDS,
} from './program';
import { formatIgn } from './format';
import { shapeProblems, type TensorShape } from './tensors';

export type JobKindName = 'pow' | 'matmul' | 'tensor';

/** A tensor job's shape (derived from its files) and the bytes of its two inputs. */
export interface TensorDraft extends TensorShape {
  inputBytes: bigint;
}

export interface JobDraft {
  kind: JobKindName;
  difficulty: number;
  size: number;
  /** A tensor job's shape, once both files are read and fit together. */
  tensor?: TensorDraft | null;
  replicas: number;
  reward: bigint;
  executionSeconds: number;
  ttlSeconds: number;
  /**
   * The premium of the SLA bought with the job (lib/sla.ts), paid on top of the reward;
   * absent without one. Only a PoW job can have one.
   */
  slaPremium?: bigint;
}

export interface CostInputs {
  /** Config.params.protocol_fee_bps. */
  feeBps: number;
  /** Lamports per signature (the base network fee). */
  lamportsPerSignature: bigint;
  /** Signatures on the transaction (the wallet's). */
  signatures?: number;
  /** Rent-exempt minimum of the job account (JOB_ACCOUNT_SIZE bytes), in lamports. */
  jobRentLamports: bigint;
  /** Rent of the poster's IGN token account when it must be created first, else 0. */
  tokenAccountRentLamports?: bigint;
}

export interface CostPreview {
  /** IGN moved into escrow now: the vault of the job's shard (job id mod 16) holds it. */
  escrow: bigint;
  /** Protocol fee kept from the reward when the job is paid (goes to stakers). */
  fee: bigint;
  /** What the paid replicas share. */
  toWorkers: bigint;
  /** Each replica's share. */
  perReplica: bigint;
  /** The work a replica does: 2^difficulty hashes, n^3 multiply-adds, or rows x multiply-adds per row. */
  operations: bigint;
  /**
   * `JobKind::work_units`, the measure the work pool pays verified work by (once per
   * job) and feasibility is judged by: SHA-256 compressions, a multiply-add counting
   * 1/MATMUL_MACS_PER_WORK_UNIT of one.
   */
  workUnits: bigint;
  /** The smallest reward the program accepts for this many replicas. */
  minReward: bigint;
  /** Device memory a replica needs, in bytes (matmul: three n x n u32 matrices; tensor: the inputs and the output). */
  memoryBytes: bigint;
  /** The SLA's premium, 0 without one: paid to the stakers, not escrowed. */
  slaPremium: bigint;
  /** IGN leaving the wallet now: the escrow plus the SLA's premium. */
  totalIgn: bigint;
  /** IGN the poster pays per hash or multiply-add (reward / operations of all replicas). */
  ignPerUnit: number;
  networkFeeLamports: bigint;
  rentLamports: bigint;
  /** SOL leaving the wallet: network fee + rent of the new accounts. */
  totalLamports: bigint;
}

/** A matmul multiply-add costs this fraction of a work unit (constants.rs). */
export const MATMUL_MACS_PER_WORK_UNIT = 1_024n;
/** A worker is only assigned a job it can finish this many times over in its window. */
export const FEASIBILITY_MARGIN = 8n;
const BPS_DENOMINATOR = 10_000n;

/**
 * What one replica computes: 2^difficulty hashes, n^3 multiply-adds, or a tensor job's
 * rows x multiply-adds per row (`TensorSpec::macs`; 0 until its files are read).
 */
export function operations(kind: JobKindName, difficulty: number, size: number, tensor?: TensorShape | null): bigint {
  if (kind === 'pow') return 1n << BigInt(Math.min(Math.max(difficulty, 0), MAX_POW_DIFFICULTY));
  if (kind === 'tensor') return tensor ? BigInt(Math.max(tensor.rows, 0)) * tensor.macsPerRow : 0n;
  const n = BigInt(Math.max(size, 0));
  return n * n * n;
}

/**
 * `JobKind::work_units`: 2^difficulty for PoW, ceil(n^3 / 1024) for matmul,
 * ceil(rows x macsPerRow / 1024) for a tensor job.
 */
export function workUnits(kind: JobKindName, difficulty: number, size: number, tensor?: TensorShape | null): bigint {
  const ops = operations(kind, difficulty, size, tensor);
  return kind === 'pow' ? ops : (ops + MATMUL_MACS_PER_WORK_UNIT - 1n) / MATMUL_MACS_PER_WORK_UNIT;
}

/** `JobKind::memory_mb` in bytes: matmul's three n x n u32 matrices; a tensor job's inputs and output. */
export function memoryBytes(draft: Pick<JobDraft, 'kind' | 'size' | 'tensor'>): bigint {
  if (draft.kind === 'matmul') {
    const n = BigInt(Math.max(draft.size, 0));
    return 12n * n * n;
  }
  if (draft.kind === 'tensor' && draft.tensor) {
    return draft.tensor.inputBytes + BigInt(draft.tensor.rows) * BigInt(draft.tensor.rowBytes);
  }
  return 0n;
}

/**
 * `Config::min_reward`: the smallest reward whose protocol fee is at least one base
 * unit per replica, ceil(replicas * 10000 / protocol_fee_bps).
 */
export function minReward(replicas: number, feeBps: number): bigint {
  const bps = BigInt(Math.max(feeBps, 1));
  const r = BigInt(Math.max(replicas, 0));
  return (r * BPS_DENOMINATOR + bps - 1n) / bps;
}

/**
 * `worker::feasible`: whether a worker publishing `hashrate` work units per second
 * finishes `units` within `executionSeconds` with FEASIBILITY_MARGIN to spare. The
 * orchestrator assigns a job only to workers for which this holds.
 */
export function feasible(hashrate: number | bigint, units: bigint, executionSeconds: number): boolean {
  const rate = typeof hashrate === 'bigint' ? hashrate : BigInt(Math.max(0, Math.floor(hashrate)));
  const seconds = BigInt(Math.max(0, Math.floor(executionSeconds)));
  return units * FEASIBILITY_MARGIN <= rate * seconds;
}

/** What `split_reward` does for `winners` replicas: fee rounded down, remainder to the fee. */
export function splitReward(reward: bigint, feeBps: number, winners: number): { fee: bigint; share: bigint } {
  const w = BigInt(Math.max(winners, 1));
  const fee0 = (reward * BigInt(feeBps)) / 10_000n;
  const share = (reward - fee0) / w;
  return { fee: reward - share * w, share };
}

export function costPreview(draft: JobDraft, inputs: CostInputs): CostPreview {
  const replicas = draft.kind === 'pow' ? 1 : Math.max(1, draft.replicas);
  const { fee, share } = splitReward(draft.reward, inputs.feeBps, replicas);
  const ops = operations(draft.kind, draft.difficulty, draft.size, draft.tensor);
  const totalOps = Number(ops) * replicas;
  const networkFeeLamports = inputs.lamportsPerSignature * BigInt(inputs.signatures ?? 1);
  const rentLamports = inputs.jobRentLamports + (inputs.tokenAccountRentLamports ?? 0n);
  const slaPremium = draft.slaPremium ?? 0n;
  return {
    escrow: draft.reward,
    slaPremium,
    totalIgn: draft.reward + slaPremium,
    fee,
    toWorkers: share * BigInt(replicas),
    perReplica: share,
    operations: ops,
    workUnits: workUnits(draft.kind, draft.difficulty, draft.size, draft.tensor),
    minReward: minReward(replicas, inputs.feeBps),
    memoryBytes: memoryBytes(draft),
    ignPerUnit: totalOps > 0 ? Number(draft.reward) / 1e9 / totalOps : 0,
    networkFeeLamports,
    rentLamports,
    totalLamports: networkFeeLamports + rentLamports,
  };
}

export interface JobLimits {
  maxExecutionSeconds: number;
  maxJobTtlSeconds: number;
  /** Config.params.protocol_fee_bps: sets the minimum reward. */
  protocolFeeBps: number;
}

/** The program's rules for a new job, as sentences (empty when the draft is valid). */
export function validateJob(draft: JobDraft, limits: JobLimits, balance?: bigint): string[] {
  const problems: string[] = [];
  if (draft.kind === 'pow') {
    if (!Number.isInteger(draft.difficulty) || draft.difficulty < 0 || draft.difficulty > MAX_POW_DIFFICULTY) {
      problems.push(`Difficulty must be a whole number from 0 to ${MAX_POW_DIFFICULTY}`);
    }
    if (draft.replicas !== 1) problems.push('A proof-of-work job runs on exactly one worker');
  } else {
    if (draft.slaPremium !== undefined) problems.push('An SLA covers proof-of-work jobs only: untick it, or choose Proof of work');
    if (draft.kind === 'matmul' && (!Number.isInteger(draft.size) || draft.size < 1 || draft.size > MAX_MATMUL_N)) {
      problems.push(`Matrix size must be a whole number from 1 to ${MAX_MATMUL_N}`);
    }
    if (draft.kind === 'tensor' && draft.tensor) problems.push(...shapeProblems(draft.tensor));
    if (!Number.isInteger(draft.replicas) || draft.replicas < 1 || draft.replicas > MAX_REPLICAS) {
      problems.push(`Replicas must be 1 to ${MAX_REPLICAS}`);
    }
  }
  const replicas = draft.kind === 'pow' ? 1 : Math.max(1, Number.isInteger(draft.replicas) ? draft.replicas : 1);
  const least = minReward(replicas, limits.protocolFeeBps);
  if (draft.reward < least) {
    problems.push(
      `The reward must be at least ${formatIgn(least)} (${least} base units), so that the protocol fee is at least one base unit per replica`,
    );
  }
  if (
    !Number.isInteger(draft.executionSeconds) ||
    draft.executionSeconds < MIN_EXECUTION_SECONDS ||
    draft.executionSeconds > limits.maxExecutionSeconds
  ) {
    problems.push(`Execution time must be ${MIN_EXECUTION_SECONDS} to ${limits.maxExecutionSeconds} seconds`);
  }
  if (
    !Number.isInteger(draft.ttlSeconds) ||
    draft.ttlSeconds < MIN_JOB_TTL_SECONDS ||
    draft.ttlSeconds > limits.maxJobTtlSeconds
  ) {
    problems.push(`Time to live must be ${MIN_JOB_TTL_SECONDS} to ${limits.maxJobTtlSeconds} seconds`);
  }
  if (balance !== undefined && draft.slaPremium === undefined && draft.reward > balance) {
    problems.push('The reward is more than your IGN balance');
  } else if (balance !== undefined && draft.slaPremium !== undefined && draft.reward + draft.slaPremium > balance) {
    problems.push(`The reward and the SLA premium (${formatIgn(draft.reward + draft.slaPremium)} together) are more than your IGN balance`);
  }
  return problems;
}

export { JOB_ACCOUNT_SIZE };

/**
 * A price per work unit people can read: scaled to a round batch of units so the
 * figure is at least 0.01 (`7.81 IGN per 1k hashes`).
 */
export function formatUnitPrice(ignPerUnit: number, kind: JobKindName): string {
  const unit = kind === 'pow' ? 'hash' : 'multiply-add';
  const units = kind === 'pow' ? 'hashes' : 'multiply-adds';
  if (!(ignPerUnit > 0) || !Number.isFinite(ignPerUnit)) return '–';
  const scales: Array<[number, string]> = [[1, ''], [1e3, '1k '], [1e6, '1M '], [1e9, '1G '], [1e12, '1T '], [1e15, '1P ']];
  const [scale, label] = scales.find(([m]) => ignPerUnit * m >= 0.01) ?? scales[scales.length - 1]!;
  const value = ignPerUnit * scale;
  const text = value >= 100 ? value.toFixed(0) : Number(value.toPrecision(3)).toString();
  return `${text} IGN per ${scale === 1 ? unit : label + units}`;
}
