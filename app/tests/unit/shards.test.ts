// Jobs are spread over 16 shards (programs/ignis/src/state/shard.rs): a job's shard and
// shard vault are derived from its id, and the jobs' totals are the sum over the shards.
import { describe, expect, it } from 'vitest';
import { findShardPda, findShardVaultPda } from '../../src/generated';
import { sumShards } from '../../src/lib/chain';
import { allShardAddresses, jobShard, SHARDS, shardAddress, shardIndexOf, shardVaultAddress } from '../../src/lib/program';

describe('shards', () => {
  it('puts job id n in shard n mod 16 (Shard::index_of)', () => {
    expect(SHARDS).toBe(16);
    expect(shardIndexOf(0n)).toBe(0);
    expect(shardIndexOf(42n)).toBe(10);
    expect(shardIndexOf(1_099_511_627_779n)).toBe(3);
    expect(shardIndexOf((1n << 64n) - 1n)).toBe(15);
    expect(shardIndexOf(31)).toBe(15);
  });

  it('derives ["shard", [index]] and ["shard_vault", [index]] as the IDL does', async () => {
    for (let index = 0; index < SHARDS; index++) {
      expect(await shardAddress(index)).toBe((await findShardPda({ index }))[0]);
      expect(await shardVaultAddress(index)).toBe((await findShardVaultPda({ index }))[0]);
    }
    const all = await allShardAddresses();
    expect(all).toHaveLength(SHARDS);
    expect(new Set(all).size).toBe(SHARDS);
    expect(await jobShard(42n)).toEqual({ shard: all[10], shardVault: await shardVaultAddress(10) });
  });

  it('adds the jobs’ totals up over the shards', () => {
    const shard = (n: bigint) => ({
      jobsPosted: n,
      jobsCompleted: 2n * n,
      jobsCancelled: 3n * n,
      jobsRefunded: 4n * n,
      escrowed: 5n * n,
      paidToWorkers: 6n * n,
    });
    expect(sumShards([shard(1n), shard(10n), shard(100n)])).toEqual({
      jobsPosted: 111n,
      jobsCompleted: 222n,
      jobsCancelled: 333n,
      jobsRefunded: 444n,
      escrowed: 555n,
      paidToWorkers: 666n,
      shards: 3,
    });
    expect(sumShards([]).jobsPosted).toBe(0n);
  });
});
