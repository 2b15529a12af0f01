// The ignis instructions the app sends, built with the Codama client generated from the
// committed IDL (src/generated). Addresses are derived exactly as the Rust client's
// `ignis_client::pda` does; tests/unit/encoding.test.ts checks every builder against
// instructions the Rust builders produced (tests/fixtures/rust-instructions.json).

import {
  address,
  getAddressEncoder,
  getProgramDerivedAddress,
  getU64Encoder,
  type Address,
  type Instruction,
  type TransactionSigner,
} from '@solana/kit';
import {
  getBuySlaInstruction,
  getCancelJobInstruction,
  getClaimRewardsInstruction,
  getCloseJobInstruction,
  getCloseStakeInstruction,
  getPostJobInstruction,
  getRefundJobInstruction,
  getRequestUnstakeInstruction,
  getStakeTokensInstruction,
  getWithdrawInstruction,
  IGNIS_PROGRAM_ADDRESS,
  type JobKindArgs,
  type TensorSpecArgs,
} from '../generated';

export const PROGRAM_ADDRESS: Address = IGNIS_PROGRAM_ADDRESS;
export const KERNEL_MATMUL_U32 = 1;
/** Tensor kernels on the poster's data (constants.rs). */
export const KERNEL_GEMM_I8 = 2;
export const KERNEL_MLP_I8 = 3;
/** `TensorSpec::validate`'s bounds: output rows, bytes of one output row, multiply-adds in all (2^42). */
export const MAX_TENSOR_ROWS = 1_048_576;
export const MAX_TENSOR_ROW_BYTES = 1_048_576;
export const MAX_TENSOR_MACS = 4_398_046_511_104n;
export const MAX_POW_DIFFICULTY = 63;
export const MAX_MATMUL_N = 16_384;
export const MAX_REPLICAS = 3;
export const MIN_EXECUTION_SECONDS = 10;
export const MIN_JOB_TTL_SECONDS = 60;
/**
 * `8 + Job::INIT_SPACE`: the job account a poster pays rent for. Its `kind` takes the
 * room of its largest variant, a tensor job's spec (1 + 97 bytes), and its
 * `sla` that of `Some(SlaTerms)` (1 + 12 bytes).
 */
export const JOB_ACCOUNT_SIZE = 643;
/** `8 + Stake::INIT_SPACE`: created by a first stake. */
export const STAKE_ACCOUNT_SIZE = 8 + 32 + 8 + 8 + 8 + 8 + 8 + 8 + 16 + 8 + 8 + 8 + 1;
export const TOKEN_ACCOUNT_SIZE = 165;

const text = (s: string) => new TextEncoder().encode(s);

async function pda(...seeds: Uint8Array[]): Promise<Address> {
  const [found] = await getProgramDerivedAddress({ programAddress: PROGRAM_ADDRESS, seeds });
  return found;
}

export interface ProgramAddresses {
  config: Address;
  stakeVault: Address;
  rewardVault: Address;
  eventAuthority: Address;
}

let cached: Promise<ProgramAddresses> | undefined;

/** The protocol's fixed PDAs (seeds from programs/ignis/src/constants.rs). */
export function programAddresses(): Promise<ProgramAddresses> {
  cached ??= (async () => ({
    config: await pda(text('config')),
    stakeVault: await pda(text('stake_vault')),
    rewardVault: await pda(text('reward_vault')),
    eventAuthority: await pda(text('__event_authority')),
  }))();
  return cached;
}

/** `SHARDS` (constants.rs): jobs, their escrow and the jobs' totals are spread over 16 shards. */
export const SHARDS = 16;

/** `Shard::index_of`: job `jobId` belongs to shard `jobId % 16`. */
export function shardIndexOf(jobId: bigint | number): number {
  return Number(BigInt(jobId) % BigInt(SHARDS));
}

/** The `["shard", [index]]` PDA: one shard's running totals. */
export function shardAddress(index: number): Promise<Address> {
  return pda(text('shard'), Uint8Array.of(index));
}

/**
 * The `["shard_vault", [index]]` PDA: the shard's token account (owned by the config
 * PDA), which holds the escrow of the shard's jobs.
 */
export function shardVaultAddress(index: number): Promise<Address> {
  return pda(text('shard_vault'), Uint8Array.of(index));
}

/** The shard and shard vault of job `jobId`, which its post, cancel and refund take. */
export async function jobShard(jobId: bigint | number): Promise<{ shard: Address; shardVault: Address }> {
  const index = shardIndexOf(jobId);
  const [shard, shardVault] = await Promise.all([shardAddress(index), shardVaultAddress(index)]);
  return { shard, shardVault };
}

/** Every shard account, index 0 to SHARDS - 1. */
export function allShardAddresses(): Promise<Address[]> {
  return Promise.all(Array.from({ length: SHARDS }, (_, index) => shardAddress(index)));
}

export function stakeAddress(owner: Address): Promise<Address> {
  return pda(text('stake'), new Uint8Array(getAddressEncoder().encode(owner)));
}

/** The operator's `["worker", operator]` PDA (it need not exist). */
export function workerAddress(operator: Address): Promise<Address> {
  return pda(text('worker'), new Uint8Array(getAddressEncoder().encode(operator)));
}

export function jobAddress(id: bigint | number): Promise<Address> {
  return pda(text('job'), new Uint8Array(getU64Encoder().encode(BigInt(id))));
}

/** The deployment's token side, read from the Config account. */
export interface Protocol {
  mint: Address;
  tokenProgram: Address;
}

export type JobKindInput =
  | { kind: 'pow'; difficulty: number }
  | { kind: 'matmul'; size: number }
  | { kind: 'tensor'; spec: TensorSpecArgs };

export function jobKindArgs(kind: JobKindInput): JobKindArgs {
  switch (kind.kind) {
    case 'pow':
      return { __kind: 'Pow', difficulty: kind.difficulty };
    case 'matmul':
      return { __kind: 'Kernel', kernel: KERNEL_MATMUL_U32, size: kind.size };
    case 'tensor':
      return { __kind: 'Tensor', spec: kind.spec };
  }
}

export interface PostJobParams {
  jobId: bigint;
  kind: JobKindInput;
  clientSeed: Uint8Array;
  reward: bigint;
  replicas: number;
  executionSeconds: bigint;
  ttlSeconds: bigint;
}

/** Posts job `params.jobId`, escrowing its reward in the job's shard vault. */
export async function postJobInstruction(
  protocol: Protocol,
  poster: TransactionSigner,
  posterToken: Address,
  params: PostJobParams,
): Promise<Instruction> {
  const a = await programAddresses();
  return getPostJobInstruction({
    poster,
    config: a.config,
    job: await jobAddress(params.jobId),
    posterToken,
    ...(await jobShard(params.jobId)),
    mint: protocol.mint,
    tokenProgram: protocol.tokenProgram,
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
    args: {
      jobId: params.jobId,
      kind: jobKindArgs(params.kind),
      clientSeed: params.clientSeed,
      reward: params.reward,
      replicas: params.replicas,
      executionSeconds: params.executionSeconds,
      ttlSeconds: params.ttlSeconds,
    },
  });
}

/**
 * Buys an SLA for PoW job `jobId` (`buy_sla`): sent right after its `post_job`, in the
 * same transaction, before any worker can be assigned it. The premium moves from
 * `posterToken` to the job's shard vault for the stakers; the program refuses with
 * `SlaPremiumAboveMax` a premium above `maxPremium` (the price the poster was shown)
 * rather than charge more.
 */
export async function buySlaInstruction(
  protocol: Protocol,
  poster: TransactionSigner,
  posterToken: Address,
  jobId: bigint,
  maxPremium: bigint,
): Promise<Instruction> {
  const a = await programAddresses();
  return getBuySlaInstruction({
    poster,
    config: a.config,
    job: await jobAddress(jobId),
    ...(await jobShard(jobId)),
    posterToken,
    mint: protocol.mint,
    tokenProgram: protocol.tokenProgram,
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
    maxPremium,
  });
}

export async function cancelJobInstruction(
  protocol: Protocol,
  poster: TransactionSigner,
  jobId: bigint,
  posterToken: Address,
): Promise<Instruction> {
  const a = await programAddresses();
  return getCancelJobInstruction({
    poster,
    config: a.config,
    job: await jobAddress(jobId),
    posterToken,
    ...(await jobShard(jobId)),
    mint: protocol.mint,
    tokenProgram: protocol.tokenProgram,
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
  });
}

/** Permissionless: returns an expired job's escrow to a token account its poster owns. */
export async function refundJobInstruction(protocol: Protocol, jobId: bigint, posterToken: Address): Promise<Instruction> {
  const a = await programAddresses();
  return getRefundJobInstruction({
    config: a.config,
    job: await jobAddress(jobId),
    posterToken,
    ...(await jobShard(jobId)),
    mint: protocol.mint,
    tokenProgram: protocol.tokenProgram,
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
  });
}

export async function stakeInstruction(
  protocol: Protocol,
  owner: TransactionSigner,
  ownerToken: Address,
  amount: bigint,
): Promise<Instruction> {
  const a = await programAddresses();
  return getStakeTokensInstruction({
    owner,
    config: a.config,
    stake: await stakeAddress(owner.address),
    ownerToken,
    stakeVault: a.stakeVault,
    mint: protocol.mint,
    tokenProgram: protocol.tokenProgram,
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
    amount,
  });
}

export async function requestUnstakeInstruction(owner: TransactionSigner, amount: bigint): Promise<Instruction> {
  const a = await programAddresses();
  return getRequestUnstakeInstruction({
    owner,
    config: a.config,
    stake: await stakeAddress(owner.address),
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
    amount,
  });
}

/**
 * Pays out the unlocked unbonding tranche. The program reads the owner's worker PDA
 * (which may not exist) and refuses while that worker has live jobs.
 */
export async function withdrawInstruction(
  protocol: Protocol,
  owner: TransactionSigner,
  ownerToken: Address,
): Promise<Instruction> {
  const a = await programAddresses();
  return getWithdrawInstruction({
    owner,
    config: a.config,
    stake: await stakeAddress(owner.address),
    worker: await workerAddress(owner.address),
    ownerToken,
    stakeVault: a.stakeVault,
    mint: protocol.mint,
    tokenProgram: protocol.tokenProgram,
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
  });
}

/**
 * Pays `Stake::claimable_now`: the rewards booked to the accumulator as the Config was
 * last written (`claimableRewards` in lib/rewards.ts). It reads the Config only; the
 * orchestrator's `sync_shard` crank books emission and fees every few seconds.
 */
export async function claimRewardsInstruction(
  protocol: Protocol,
  owner: TransactionSigner,
  ownerToken: Address,
): Promise<Instruction> {
  const a = await programAddresses();
  return getClaimRewardsInstruction({
    owner,
    config: a.config,
    stake: await stakeAddress(owner.address),
    ownerToken,
    rewardVault: a.rewardVault,
    mint: protocol.mint,
    tokenProgram: protocol.tokenProgram,
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
  });
}

/**
 * Permissionless: closes a job settled at least the protocol's retention window ago
 * (`Job::check_close` with `Config.params.jobRetentionSeconds`, see lib/closing.ts) and
 * returns its account's rent to its poster.
 */
export async function closeJobInstruction(jobId: bigint, poster: Address): Promise<Instruction> {
  const a = await programAddresses();
  return getCloseJobInstruction({
    config: a.config,
    job: await jobAddress(jobId),
    poster,
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
  });
}

/**
 * Closes the owner's empty stake account and returns its rent. The program reads the
 * owner's worker PDA (which may not exist) and refuses while that worker is registered.
 */
export async function closeStakeInstruction(owner: TransactionSigner): Promise<Instruction> {
  const a = await programAddresses();
  return getCloseStakeInstruction({
    owner,
    config: a.config,
    stake: await stakeAddress(owner.address),
    worker: await workerAddress(owner.address),
    eventAuthority: a.eventAuthority,
    program: PROGRAM_ADDRESS,
  });
}

export const asAddress = (value: string): Address => address(value);

/**
 * A job id for a new post, as `ignis_client::instructions::fresh_job_id` picks it:
 * random below 2^53, so concurrent posters never race for one (there is no counter).
 */
export function freshJobId(): bigint {
  const [high = 0, low = 0] = crypto.getRandomValues(new Uint32Array(2));
  return (BigInt(high >>> 11) << 32n) | BigInt(low);
}
