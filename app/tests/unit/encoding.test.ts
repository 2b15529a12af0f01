// The app's instructions, byte for byte against what the Rust client builds
// (client/tests/app_fixture.rs writes tests/fixtures/rust-instructions.json).
import { readFileSync } from 'node:fs';
import { address, AccountRole, createNoopSigner, some, type Address, type Instruction } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import idl from '../../../idl/ignis.json';
import { getJobEncoder, getStakeEncoder, JobStatus } from '../../src/generated';
import {
  buySlaInstruction,
  cancelJobInstruction,
  claimRewardsInstruction,
  closeJobInstruction,
  closeStakeInstruction,
  JOB_ACCOUNT_SIZE,
  jobAddress,
  postJobInstruction,
  programAddresses,
  PROGRAM_ADDRESS,
  shardAddress,
  shardVaultAddress,
  refundJobInstruction,
  requestUnstakeInstruction,
  STAKE_ACCOUNT_SIZE,
  stakeInstruction,
  withdrawInstruction,
  type JobKindInput,
  type Protocol,
} from '../../src/lib/program';

interface FixtureEntry {
  name: string;
  instruction: string;
  programId: string;
  args: Record<string, unknown> & { user: string; userToken: string; mint: string; tokenProgram: string };
  accounts: Array<{ pubkey: string; isSigner: boolean; isWritable: boolean }>;
  data: string;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/rust-instructions.json', import.meta.url), 'utf8'),
) as FixtureEntry[];

function kindOf(kind: Record<string, Record<string, number>>): JobKindInput {
  if (kind.pow) return { kind: 'pow', difficulty: kind.pow.difficulty! };
  if (kind.kernel) {
    expect(kind.kernel.kernel).toBe(1);
    return { kind: 'matmul', size: kind.kernel.size! };
  }
  throw new Error(`unknown kind ${JSON.stringify(kind)}`);
}

async function build(entry: FixtureEntry): Promise<Instruction> {
  const a = entry.args;
  const protocol: Protocol = { mint: address(a.mint), tokenProgram: address(a.tokenProgram) };
  const user = createNoopSigner(address(a.user));
  const userToken: Address = address(a.userToken);
  switch (entry.instruction) {
    case 'post_job':
      return postJobInstruction(protocol, user, userToken, {
        jobId: BigInt(a.jobId as string),
        kind: kindOf(a.kind as Record<string, Record<string, number>>),
        clientSeed: new Uint8Array(a.clientSeed as number[]),
        reward: BigInt(a.reward as string),
        replicas: a.replicas as number,
        executionSeconds: BigInt(a.executionSeconds as string),
        ttlSeconds: BigInt(a.ttlSeconds as string),
      });
    case 'stake':
      return stakeInstruction(protocol, user, userToken, BigInt(a.amount as string));
    case 'request_unstake':
      return requestUnstakeInstruction(user, BigInt(a.amount as string));
    case 'withdraw':
      return withdrawInstruction(protocol, user, userToken);
    case 'cancel_job':
      return cancelJobInstruction(protocol, user, BigInt(a.jobId as string), userToken);
    case 'buy_sla':
      return buySlaInstruction(protocol, user, userToken, BigInt(a.jobId as string), BigInt(a.maxPremium as string));
    case 'refund_job':
      return refundJobInstruction(protocol, BigInt(a.jobId as string), userToken);
    case 'claim_rewards':
      return claimRewardsInstruction(protocol, user, userToken);
    case 'close_job':
      // The poster gets the rent back; anyone may send it.
      return closeJobInstruction(BigInt(a.jobId as string), user.address);
    case 'close_stake':
      return closeStakeInstruction(user);
    default:
      throw new Error(`no builder for ${entry.instruction}`);
  }
}

describe('instructions match the Rust client byte for byte', () => {
  it('the fixture covers the instructions the app sends', () => {
    expect(new Set(fixture.map((e) => e.instruction))).toEqual(
      new Set([
        'post_job',
        'stake',
        'request_unstake',
        'withdraw',
        'cancel_job',
        'buy_sla',
        'refund_job',
        'claim_rewards',
        'close_job',
        'close_stake',
      ]),
    );
  });

  for (const entry of fixture) {
    it(entry.name, async () => {
      const ix = await build(entry);
      expect(ix.programAddress).toBe(entry.programId);
      expect(Buffer.from(ix.data ?? []).toString('base64')).toBe(entry.data);
      const accounts = (ix.accounts ?? []).map((m) => ({
        pubkey: m.address,
        isSigner: m.role === AccountRole.READONLY_SIGNER || m.role === AccountRole.WRITABLE_SIGNER,
        isWritable: m.role === AccountRole.WRITABLE || m.role === AccountRole.WRITABLE_SIGNER,
      }));
      expect(accounts).toEqual(entry.accounts);
    });
  }
});

describe('buy_sla (sent after post_job in the posting transaction)', () => {
  it('takes the accounts the IDL lists, in its order, and max_premium as a u64 after the discriminator', async () => {
    // No Rust fixture entry yet: checked against the committed IDL instead.
    const user = address('4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi');
    const userToken = address('CktRuQ2mttgRGkXJtyksdKHjUdc2C4TgDzyB98oEzy8');
    const protocol: Protocol = { mint: address('D8846tPvEiKejySqyNnJoLiS9EynLw8wGTJ4MuvUtw8X'), tokenProgram: address('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA') };
    const ix = await buySlaInstruction(protocol, createNoopSigner(user), userToken, 17n, 12_345n);
    const a = await programAddresses();
    const expected: Record<string, Address> = {
      poster: user,
      config: a.config,
      job: await jobAddress(17n),
      // Job 17 is in shard 17 mod 16.
      shard: await shardAddress(1),
      shard_vault: await shardVaultAddress(1),
      poster_token: userToken,
      mint: protocol.mint,
      token_program: protocol.tokenProgram,
      event_authority: a.eventAuthority,
      program: PROGRAM_ADDRESS,
    };
    const spec = idl.instructions.find((i) => i.name === 'buy_sla')!;
    expect(ix.programAddress).toBe(PROGRAM_ADDRESS);
    expect(
      (ix.accounts ?? []).map((m) => ({
        pubkey: m.address,
        isSigner: m.role === AccountRole.READONLY_SIGNER || m.role === AccountRole.WRITABLE_SIGNER,
        isWritable: m.role === AccountRole.WRITABLE || m.role === AccountRole.WRITABLE_SIGNER,
      })),
    ).toEqual(
      spec.accounts.map((account) => ({
        pubkey: expected[account.name],
        isSigner: 'signer' in account && account.signer === true,
        isWritable: 'writable' in account && account.writable === true,
      })),
    );
    const data = Buffer.from(ix.data ?? []);
    expect([...data.subarray(0, 8)]).toEqual(spec.discriminator);
    expect(data.length).toBe(16);
    expect(data.readBigUInt64LE(8)).toBe(12_345n);
  });
});

describe('a job on your data', () => {
  it('encodes its Tensor kind as the program reads it (Borsh: variant 2, kernel, two blob refs, shape)', async () => {
    const user = address('11111111111111111111111111111112');
    const protocol: Protocol = { mint: user, tokenProgram: user };
    const inputs = [0xaa, 0xbb].map((fill, i) => ({ sha256: new Uint8Array(32).fill(fill), size: BigInt(1_000 + i) }));
    const ix = await postJobInstruction(protocol, createNoopSigner(user), user, {
      jobId: 7n,
      kind: { kind: 'tensor', spec: { kernel: 3, inputs, rows: 450, rowBytes: 40, macsPerRow: 4_736n } },
      clientSeed: new Uint8Array(32),
      reward: 1n,
      replicas: 2,
      executionSeconds: 300n,
      ttlSeconds: 3_600n,
    });
    const data = Buffer.from(ix.data ?? []);
    // 8-byte discriminator, job id, then the kind.
    expect(data.readBigUInt64LE(8)).toBe(7n);
    const kind = data.subarray(16, 16 + 98);
    expect(kind[0]).toBe(2);
    expect(kind[1]).toBe(3);
    expect(kind.subarray(2, 34)).toEqual(Buffer.alloc(32, 0xaa));
    expect(kind.readBigUInt64LE(34)).toBe(1_000n);
    expect(kind.subarray(42, 74)).toEqual(Buffer.alloc(32, 0xbb));
    expect(kind.readBigUInt64LE(74)).toBe(1_001n);
    expect(kind.readUInt32LE(82)).toBe(450);
    expect(kind.readUInt32LE(86)).toBe(40);
    expect(kind.readBigUInt64LE(90)).toBe(4_736n);
    // Then the client seed (32), reward, replicas...
    expect(data.length).toBe(16 + 98 + 32 + 8 + 1 + 8 + 8);
  });
});

describe('account sizes', () => {
  it('a job account is 8 + Job::INIT_SPACE bytes (largest kind variant)', () => {
    const bytes = getJobEncoder().encode({
      id: 0n,
      poster: address('11111111111111111111111111111111'),
      // The largest variant: a tensor job's spec.
      kind: {
        __kind: 'Tensor',
        spec: { kernel: 3, inputs: [0, 1].map(() => ({ sha256: new Uint8Array(32), size: 1n })), rows: 1, rowBytes: 4, macsPerRow: 1n },
      },
      seed: new Uint8Array(32),
      reward: 0n,
      replicas: 1,
      status: JobStatus.Open,
      assignments: Array.from({ length: 3 }, () => ({
        worker: address('11111111111111111111111111111111'),
        assignedAt: 0n,
        deadline: 0n,
        commitment: new Uint8Array(32),
        resultHash: new Uint8Array(32),
        committed: false,
        revealed: false,
      })),
      assigned: 0,
      executionSeconds: 0n,
      postedAt: 0n,
      expiresAt: 0n,
      revealDeadline: 0n,
      challengeDeadline: 0n,
      completedAt: 0n,
      resultHash: new Uint8Array(32),
      powNonce: 0n,
      requeues: 0,
      lastDeadline: 0n,
      bump: 0,
      // The largest: with an SLA.
      sla: some({ compensationBps: 0, minUptimeBps: 0, premium: 0n }),
    });
    expect(bytes.length).toBe(JOB_ACCOUNT_SIZE);
  });

  it('a stake account is 8 + Stake::INIT_SPACE bytes', () => {
    const bytes = getStakeEncoder().encode({
      owner: address('11111111111111111111111111111111'),
      amount: 0n,
      unbondingAmount: 0n,
      activatingAmount: 0n,
      activatingSlot: 0n,
      unlockAt: 0n,
      slashedTotal: 0n,
      rewardDebt: 0n,
      pendingRewards: 0n,
      claimedTotal: 0n,
      createdAt: 0n,
      bump: 0,
    });
    expect(bytes.length).toBe(STAKE_ACCOUNT_SIZE);
  });
});
