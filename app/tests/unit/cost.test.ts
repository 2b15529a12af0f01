import { describe, expect, it } from 'vitest';
import {
  costPreview,
  feasible,
  formatUnitPrice,
  minReward,
  operations,
  splitReward,
  validateJob,
  workUnits,
  type JobDraft,
} from '../../src/lib/cost';
import { JOB_ACCOUNT_SIZE } from '../../src/lib/program';

const pow: JobDraft = { kind: 'pow', difficulty: 8, size: 0, replicas: 1, reward: 2_000_000_000n, executionSeconds: 300, ttlSeconds: 3_600 };
const matmul: JobDraft = { kind: 'matmul', difficulty: 0, size: 1_024, replicas: 3, reward: 3_000_000_001n, executionSeconds: 600, ttlSeconds: 86_400 };
const inputs = { feeBps: 250, lamportsPerSignature: 5_000n, jobRentLamports: 4_579_200n };
const limits = { maxExecutionSeconds: 3_600, maxJobTtlSeconds: 7 * 86_400, protocolFeeBps: 250 };

describe('cost preview', () => {
  it('PoW: escrow, the protocol fee kept from the reward, network fee and rent, the work', () => {
    const cost = costPreview(pow, inputs);
    expect(cost.escrow).toBe(2_000_000_000n);
    expect(cost.fee).toBe(50_000_000n); // 2.5%
    expect(cost.perReplica).toBe(1_950_000_000n);
    expect(cost.toWorkers + cost.fee).toBe(cost.escrow);
    expect(cost.operations).toBe(256n);
    expect(cost.workUnits).toBe(256n);
    expect(cost.minReward).toBe(40n); // ceil(1 * 10000 / 250)
    expect(cost.memoryBytes).toBe(0n);
    expect(cost.networkFeeLamports).toBe(5_000n);
    expect(cost.rentLamports).toBe(4_579_200n);
    expect(cost.totalLamports).toBe(4_584_200n);
    expect(cost.ignPerUnit).toBeCloseTo(2 / 256);
  });

  it('matmul: equal shares per replica, the rounding remainder joins the fee (split_reward)', () => {
    const cost = costPreview(matmul, { ...inputs, tokenAccountRentLamports: 2_039_280n });
    // fee0 = floor(3000000001 * 250 / 10000) = 75000000; net = 2925000001; share = 975000000
    expect(cost.perReplica).toBe(975_000_000n);
    expect(cost.fee).toBe(75_000_001n);
    expect(cost.toWorkers).toBe(2_925_000_000n);
    expect(cost.toWorkers + cost.fee).toBe(cost.escrow);
    expect(cost.operations).toBe(1_073_741_824n);
    // 1024^3 multiply-adds at 1024 per work unit.
    expect(cost.workUnits).toBe(1_048_576n);
    expect(cost.minReward).toBe(120n);
    expect(cost.memoryBytes).toBe(12n * 1_024n * 1_024n);
    expect(cost.rentLamports).toBe(4_579_200n + 2_039_280n);
  });

  it('a PoW job has one replica whatever the form says', () => {
    expect(costPreview({ ...pow, replicas: 3 }, inputs).perReplica).toBe(1_950_000_000n);
  });

  it('splits like the program for awkward numbers', () => {
    expect(splitReward(1n, 250, 1)).toEqual({ fee: 0n, share: 1n });
    expect(splitReward(2n, 9_999, 2)).toEqual({ fee: 2n, share: 0n });
    expect(splitReward(10_000n, 0, 3)).toEqual({ fee: 1n, share: 3_333n });
  });

  it('counts work units as the program does (JobKind::work_units)', () => {
    expect(workUnits('pow', 0, 0)).toBe(1n);
    expect(workUnits('pow', 63, 0)).toBe(1n << 63n);
    expect(workUnits('pow', 80, 0)).toBe(1n << 63n);
    expect(operations('matmul', 0, 16_384)).toBe(16_384n ** 3n);
    expect(workUnits('matmul', 0, 16_384)).toBe(16_384n ** 3n / 1_024n);
    // Rounded up: a 10 x 10 product is 1000 multiply-adds, one work unit.
    expect(workUnits('matmul', 0, 10)).toBe(1n);
    expect(workUnits('matmul', 0, 11)).toBe(2n);
  });

  it('knows the smallest reward the program accepts (Config::min_reward)', () => {
    expect(minReward(1, 250)).toBe(40n);
    expect(minReward(3, 250)).toBe(120n);
    expect(minReward(3, 2_000)).toBe(15n);
    expect(minReward(2, 3)).toBe(6_667n); // ceil(20000 / 3)
    expect(minReward(1, 0)).toBe(10_000n); // a zero fee counts as 1 bps, as on chain
  });

  it('knows which workers can finish a job in time (worker::feasible)', () => {
    // 2^20 hashes in 10 s with 8x to spare needs 838,861 H/s (rounded up).
    expect(feasible(838_861, 1n << 20n, 10)).toBe(true);
    expect(feasible(838_860, 1n << 20n, 10)).toBe(false);
    expect(feasible(0, 1n, 300)).toBe(false);
    expect(feasible(1_000_000n, 1_048_576n, 600)).toBe(true);
  });

  it('states a price people can read', () => {
    expect(formatUnitPrice(2 / 256, 'pow')).toBe('7.81 IGN per 1k hashes');
    expect(formatUnitPrice(0.5, 'pow')).toBe('0.5 IGN per hash');
    expect(formatUnitPrice(3 / 1_073_741_824 / 3, 'matmul')).toBe('0.931 IGN per 1G multiply-adds');
    expect(formatUnitPrice(0, 'pow')).toBe('–');
  });

  it('knows the size of the job account it pays rent for', () => {
    // 8 + Job::INIT_SPACE: 524 bytes of fields besides its kind, whose largest variant
    // is a tensor job's spec (1 + kernel 1 + 2 x (32 + 8) + 4 + 4 + 8).
    expect(JOB_ACCOUNT_SIZE).toBe(8 + 524 + 1 + 97 + 1 + 12);
  });

  it('prices a job on your data by its multiply-adds (TensorSpec::macs / 1024, rounded up)', () => {
    // The digits batch through the digits model: 450 rows of 64 x 64 + 64 x 10.
    const digits = { rows: 450, rowBytes: 40, macsPerRow: 4_736n, inputBytes: 5_464n + 28_928n };
    const draft: JobDraft = { ...matmul, kind: 'tensor', size: 0, replicas: 2, tensor: digits };
    const cost = costPreview(draft, inputs);
    expect(cost.operations).toBe(450n * 4_736n);
    expect(cost.workUnits).toBe(2_082n); // ceil(2131200 / 1024)
    expect(workUnits('tensor', 0, 0, { rows: 1, rowBytes: 4, macsPerRow: 1_024n })).toBe(1n);
    expect(workUnits('tensor', 0, 0, { rows: 1, rowBytes: 4, macsPerRow: 1_025n })).toBe(2n);
    expect(workUnits('tensor', 0, 0, null)).toBe(0n);
    // Inputs and output in device memory (JobKind::memory_mb).
    expect(cost.memoryBytes).toBe(5_464n + 28_928n + 450n * 40n);
    expect(cost.perReplica).toBe(1_462_500_000n);
    expect(formatUnitPrice(cost.ignPerUnit, 'tensor')).toBe('0.704 IGN per 1M multiply-adds');
  });
});

describe('job rules (post_job.rs)', () => {
  it('accepts valid drafts', () => {
    expect(validateJob(pow, limits, 10_000_000_000n)).toEqual([]);
    expect(validateJob(matmul, limits)).toEqual([]);
    const tensor = { rows: 450, rowBytes: 40, macsPerRow: 4_736n, inputBytes: 100n };
    expect(validateJob({ ...matmul, kind: 'tensor', size: 0, tensor }, limits)).toEqual([]);
  });

  it('holds a job on your data to the protocol’s bounds and replicas', () => {
    const huge = { rows: 1_048_576, rowBytes: 40, macsPerRow: 1n << 23n, inputBytes: 100n };
    expect(validateJob({ ...matmul, kind: 'tensor', size: 0, tensor: huge }, limits)).toEqual([
      'This job is outside the protocol’s bounds: it has 8796093022208 multiply-adds, and a job may have at most 4398046511104 (2^42): split the batch',
    ]);
    const tensor = { rows: 1, rowBytes: 4, macsPerRow: 1n, inputBytes: 2n };
    expect(validateJob({ ...matmul, kind: 'tensor', replicas: 4, tensor }, limits)).toEqual(['Replicas must be 1 to 3']);
  });

  it('explains each rule it breaks', () => {
    expect(validateJob({ ...pow, difficulty: 64 }, limits)).toEqual(['Difficulty must be a whole number from 0 to 63']);
    expect(validateJob({ ...pow, replicas: 2 }, limits)).toContain('A proof-of-work job runs on exactly one worker');
    expect(validateJob({ ...matmul, size: 0 }, limits)).toEqual(['Matrix size must be a whole number from 1 to 16384']);
    expect(validateJob({ ...matmul, size: 16_385 }, limits)).toHaveLength(1);
    expect(validateJob({ ...matmul, replicas: 4 }, limits)).toEqual(['Replicas must be 1 to 3']);
    expect(validateJob({ ...matmul, reward: 119n }, limits)).toEqual([
      'The reward must be at least 0.00000012 IGN (120 base units), so that the protocol fee is at least one base unit per replica',
    ]);
    expect(validateJob({ ...matmul, reward: 120n }, limits)).toEqual([]);
    expect(validateJob({ ...pow, reward: 39n }, { ...limits, protocolFeeBps: 250 })).toHaveLength(1);
    expect(validateJob({ ...pow, reward: 40n }, limits)).toEqual([]);
    expect(validateJob({ ...pow, executionSeconds: 9 }, limits)).toEqual(['Execution time must be 10 to 3600 seconds']);
    expect(validateJob({ ...pow, executionSeconds: 3_601 }, limits)).toHaveLength(1);
    expect(validateJob({ ...pow, ttlSeconds: 59 }, limits)).toEqual([`Time to live must be 60 to ${7 * 86_400} seconds`]);
    expect(validateJob(pow, limits, 1_000_000_000n)).toEqual(['The reward is more than your IGN balance']);
  });
});

describe('a job with an SLA', () => {
  const withSla: JobDraft = { ...pow, slaPremium: 10_000_000n };

  it('adds the premium to what leaves the wallet, not to the escrow', () => {
    const cost = costPreview(withSla, inputs);
    expect(cost.escrow).toBe(2_000_000_000n);
    expect(cost.slaPremium).toBe(10_000_000n);
    expect(cost.totalIgn).toBe(2_010_000_000n);
    const plain = costPreview(pow, inputs);
    expect(plain.slaPremium).toBe(0n);
    expect(plain.totalIgn).toBe(plain.escrow);
  });

  it('holds the reward and the premium together to the balance, and SLAs to PoW jobs', () => {
    expect(validateJob(withSla, limits, 2_010_000_000n)).toEqual([]);
    expect(validateJob(withSla, limits, 2_009_999_999n)).toEqual([
      'The reward and the SLA premium (2.01 IGN together) are more than your IGN balance',
    ]);
    expect(validateJob({ ...matmul, slaPremium: 1n }, limits)).toEqual([
      'An SLA covers proof-of-work jobs only: untick it, or choose Proof of work',
    ]);
  });
});
