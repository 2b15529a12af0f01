// The app's instructions, byte for byte against what the Rust client builds
// (client/tests/app_fixture.rs writes tests/fixtures/rust-instructions.json).
import { readFileSync } from 'node:fs';
import { address, AccountRole, createNoopSigner, type Address, type Instruction } from '@solana/kit';
import { describe, expect, it } from 'vitest';
import { getJobEncoder, getStakeEncoder, JobStatus } from '../../src/generated';
import {
  cancelJobInstruction,
  claimRewardsInstruction,
  closeJobInstruction,
  closeStakeInstruction,
  JOB_ACCOUNT_SIZE,
  postJobInstruction,
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

describe('account sizes', () => {
  it('a job account is 8 + Job::INIT_SPACE bytes (largest kind variant)', () => {
    const bytes = getJobEncoder().encode({
      id: 0n,
      poster: address('11111111111111111111111111111111'),
      kind: { __kind: 'Kernel', kernel: 1, size: 1 },
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
