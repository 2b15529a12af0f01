// Reading the chain: the protocol's Config, the jobs' totals summed over the 16 shards,
// a holder's Stake and IGN balance, jobs, the cluster's clock and rent. Accounts are decoded with the generated client.

import {
  address,
  createSolanaRpc,
  getBase58Decoder,
  getBase64Encoder,
  getI64Decoder,
  isSome,
  type Address,
  type Rpc,
  type SolanaRpcApi,
} from '@solana/kit';
import { findAssociatedTokenPda } from '@solana-program/token';
import {
  fetchAllMaybeShard,
  fetchMaybeConfig,
  fetchMaybeJob,
  fetchMaybeStake,
  fetchMaybeWorker,
  getJobDecoder,
  JOB_DISCRIMINATOR,
  JobStatus,
  type Config,
  type Job,
  type Shard,
  type Stake,
  type Worker,
} from '../generated';
import type { JobView } from './api';
import {
  allShardAddresses,
  jobAddress,
  programAddresses,
  PROGRAM_ADDRESS,
  stakeAddress,
  workerAddress,
  type Protocol,
} from './program';

export type ChainRpc = Rpc<SolanaRpcApi>;

export function createRpc(url: string): ChainRpc {
  return createSolanaRpc(url);
}

export async function readConfig(rpc: ChainRpc): Promise<Config | null> {
  const { config } = await programAddresses();
  const account = await fetchMaybeConfig(rpc, config, { commitment: 'confirmed' });
  return account.exists ? account.data : null;
}

/**
 * The jobs' running totals, protocol-wide: the program keeps them per shard (the Config
 * no longer has them), so they are the sum over the shards.
 */
export interface JobTotals {
  jobsPosted: bigint;
  jobsCompleted: bigint;
  jobsCancelled: bigint;
  jobsRefunded: bigint;
  /** Rewards of live jobs, neither paid nor returned. */
  escrowed: bigint;
  /** Rewards paid to workers from escrow (fees excluded). */
  paidToWorkers: bigint;
  /** Shard accounts found (all 16 once the protocol is set up). */
  shards: number;
}

const TOTAL_FIELDS = ['jobsPosted', 'jobsCompleted', 'jobsCancelled', 'jobsRefunded', 'escrowed', 'paidToWorkers'] as const;

/** The shards' job totals added up. */
export function sumShards(shards: readonly Pick<Shard, (typeof TOTAL_FIELDS)[number]>[]): JobTotals {
  const totals: JobTotals = {
    jobsPosted: 0n,
    jobsCompleted: 0n,
    jobsCancelled: 0n,
    jobsRefunded: 0n,
    escrowed: 0n,
    paidToWorkers: 0n,
    shards: shards.length,
  };
  for (const shard of shards) for (const field of TOTAL_FIELDS) totals[field] += shard[field];
  return totals;
}

/** Every shard account in one getMultipleAccounts, summed (a shard not created yet counts as empty). */
export async function readJobTotals(rpc: ChainRpc): Promise<JobTotals> {
  const accounts = await fetchAllMaybeShard(rpc, await allShardAddresses(), { commitment: 'confirmed' });
  return sumShards(accounts.flatMap((account) => (account.exists ? [account.data] : [])));
}

export function protocolOf(config: Config): Protocol {
  return { mint: config.mint, tokenProgram: config.tokenProgram };
}

export async function readStake(rpc: ChainRpc, owner: Address): Promise<Stake | null> {
  const account = await fetchMaybeStake(rpc, await stakeAddress(owner), { commitment: 'confirmed' });
  return account.exists ? account.data : null;
}

/** The operator's worker account, or null when it never registered one. */
export async function readWorker(rpc: ChainRpc, operator: Address): Promise<Worker | null> {
  const account = await fetchMaybeWorker(rpc, await workerAddress(operator), { commitment: 'confirmed' });
  return account.exists ? account.data : null;
}

export async function readJob(rpc: ChainRpc, id: bigint): Promise<Job | null> {
  const account = await fetchMaybeJob(rpc, await jobAddress(id), { commitment: 'confirmed' });
  return account.exists ? account.data : null;
}

/**
 * Which of `addresses` hold no account now (closed, or never created): one
 * getMultipleAccounts per 100 addresses, reading no data.
 */
export async function missingAccounts(
  rpc: ChainRpc,
  addresses: readonly Address[],
  abortSignal?: AbortSignal,
): Promise<Set<Address>> {
  const missing = new Set<Address>();
  for (let i = 0; i < addresses.length; i += 100) {
    const batch = addresses.slice(i, i + 100);
    const { value } = await rpc
      .getMultipleAccounts(batch, { encoding: 'base64', commitment: 'confirmed', dataSlice: { offset: 0, length: 0 } })
      .send({ abortSignal });
    value.forEach((account, j) => {
      if (!account) missing.add(batch[j]!);
    });
  }
  return missing;
}

export interface TokenBalance {
  ata: Address;
  exists: boolean;
  amount: bigint;
}

export async function associatedTokenAddress(owner: Address, protocol: Protocol): Promise<Address> {
  const [ata] = await findAssociatedTokenPda({ owner, mint: protocol.mint, tokenProgram: protocol.tokenProgram });
  return ata;
}

export async function readTokenBalance(rpc: ChainRpc, owner: Address, protocol: Protocol): Promise<TokenBalance> {
  const ata = await associatedTokenAddress(owner, protocol);
  const info = await rpc.getAccountInfo(ata, { encoding: 'base64', commitment: 'confirmed' }).send();
  if (!info.value) return { ata, exists: false, amount: 0n };
  const balance = await rpc.getTokenAccountBalance(ata, { commitment: 'confirmed' }).send();
  return { ata, exists: true, amount: BigInt(balance.value.amount) };
}

export async function readSolBalance(rpc: ChainRpc, owner: Address): Promise<bigint> {
  const { value } = await rpc.getBalance(owner, { commitment: 'confirmed' }).send();
  return BigInt(value);
}

const CLOCK_SYSVAR = address('SysvarC1ock11111111111111111111111111111111');

/**
 * The cluster's unix time (the Clock sysvar). Emission runs on it; stored deadlines and
 * unlock times are on the protocol clock derived from it (lib/clock.ts).
 */
export async function readClock(rpc: ChainRpc): Promise<bigint> {
  const info = await rpc.getAccountInfo(CLOCK_SYSVAR, { encoding: 'base64', commitment: 'confirmed' }).send();
  if (!info.value) return BigInt(Math.floor(Date.now() / 1000));
  const bytes = getBase64Encoder().encode(info.value.data[0]);
  // slot u64, epoch_start_timestamp i64, epoch u64, leader_schedule_epoch u64, unix_timestamp i64
  return getI64Decoder().decode(bytes, 32);
}

export async function rentExempt(rpc: ChainRpc, size: number): Promise<bigint> {
  return BigInt(await rpc.getMinimumBalanceForRentExemption(BigInt(size)).send());
}

export const STATUS_NAMES: Record<JobStatus, JobView['status']> = {
  [JobStatus.Open]: 'open',
  [JobStatus.Running]: 'running',
  [JobStatus.Completed]: 'completed',
  [JobStatus.Cancelled]: 'cancelled',
  [JobStatus.Refunded]: 'refunded',
  [JobStatus.Revealing]: 'revealing',
  [JobStatus.Challenge]: 'challenge',
};

/** The kernel catalog's names by id (the program's `kernels::KERNEL_NAMES`). */
const KERNEL_NAMES: Record<number, string> = { 0: 'pow-sha256', 1: 'matmul-u32', 2: 'gemm-i8', 3: 'mlp-i8' };

const hex = (bytes: ArrayLike<number>) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A Job account in the orchestrator's JobView shape, for when the API is unreachable. */
export function jobViewFromAccount(job: Job, jobAccount: Address, slot = 0): JobView {
  return {
    id: Number(job.id),
    address: jobAccount,
    poster: job.poster,
    kind: job.kind.__kind === 'Pow' ? 'pow' : job.kind.__kind === 'Kernel' ? 'matmul' : 'tensor',
    kernel: KERNEL_NAMES[job.kind.__kind === 'Tensor' ? job.kind.spec.kernel : job.kind.__kind === 'Pow' ? 0 : job.kind.kernel],
    difficulty: job.kind.__kind === 'Pow' ? job.kind.difficulty : null,
    size: job.kind.__kind === 'Kernel' ? job.kind.size : job.kind.__kind === 'Tensor' ? job.kind.spec.rows : null,
    replicas: job.replicas,
    reward: job.reward.toString(),
    status: STATUS_NAMES[job.status],
    assignments: job.assignments.slice(0, job.assigned).map((a) => ({
      worker: a.worker,
      deadline: Number(a.deadline),
      committed: a.committed,
      revealed: a.revealed,
    })),
    postedAt: Number(job.postedAt),
    expiresAt: Number(job.expiresAt),
    completedAt: Number(job.completedAt),
    resultHash: hex(job.resultHash),
    powNonce: job.powNonce.toString(),
    requeues: job.requeues,
    slot,
    // Read from the chain: the account exists.
    closed: false,
    sla: isSome(job.sla)
      ? { compensationBps: job.sla.value.compensationBps, minUptimeBps: job.sla.value.minUptimeBps, premium: job.sla.value.premium.toString() }
      : null,
  };
}

/** Every job a poster posted, straight from the chain (getProgramAccounts). */
export async function readJobsOfPoster(rpc: ChainRpc, poster: Address): Promise<JobView[]> {
  const base58 = getBase58Decoder();
  const accounts = await rpc
    .getProgramAccounts(PROGRAM_ADDRESS, {
      encoding: 'base64',
      commitment: 'confirmed',
      withContext: true,
      filters: [
        { memcmp: { offset: 0n, bytes: base58.decode(JOB_DISCRIMINATOR) as never, encoding: 'base58' } },
        // Job: discriminator (8), id (8), poster.
        { memcmp: { offset: 16n, bytes: poster, encoding: 'base58' } },
      ],
    })
    .send();
  const decoder = getJobDecoder();
  const slot = Number(accounts.context.slot);
  return accounts.value
    .map(({ pubkey, account }) =>
      jobViewFromAccount(decoder.decode(getBase64Encoder().encode(account.data[0])), pubkey, slot),
    )
    .sort(newestFirst);
}

/** Newest posted first (ids are the posters' random picks, not an order). */
export function newestFirst(a: Pick<JobView, 'postedAt' | 'id'>, b: Pick<JobView, 'postedAt' | 'id'>): number {
  return b.postedAt - a.postedAt || b.id - a.id;
}
