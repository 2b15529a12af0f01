//! Program-derived addresses, one function per seed in `ignis::constants`.

use anchor_lang::prelude::Pubkey;
use ignis::constants::*;

fn find(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &ignis::ID).0
}

pub fn config() -> Pubkey {
    find(&[CONFIG_SEED])
}

/// Mint authority of IGN: hand the mint's authority to this before `initialize`.
pub fn emission() -> Pubkey {
    find(&[EMISSION_SEED])
}

pub fn stake_vault() -> Pubkey {
    find(&[STAKE_VAULT_SEED])
}

/// Shard `index` (of `SHARDS`): its running totals.
pub fn shard(index: u8) -> Pubkey {
    find(&[SHARD_SEED, &index.to_le_bytes()])
}

/// Shard `index`'s vault: its jobs' escrow, fees and work pool.
pub fn shard_vault(index: u8) -> Pubkey {
    find(&[SHARD_VAULT_SEED, &index.to_le_bytes()])
}

/// The shard of job `id` and its vault.
pub fn job_shard(id: u64) -> (Pubkey, Pubkey) {
    let index = ignis::state::Shard::index_of(id);
    (shard(index), shard_vault(index))
}

pub fn reward_vault() -> Pubkey {
    find(&[REWARD_VAULT_SEED])
}

pub fn stake(owner: &Pubkey) -> Pubkey {
    find(&[STAKE_SEED, owner.as_ref()])
}

pub fn worker(operator: &Pubkey) -> Pubkey {
    find(&[WORKER_SEED, operator.as_ref()])
}

pub fn job(id: u64) -> Pubkey {
    find(&[JOB_SEED, &id.to_le_bytes()])
}

/// Signs Anchor's self-CPI that carries events (`emit_cpi!`).
pub fn event_authority() -> Pubkey {
    find(&[b"__event_authority"])
}

/// The challenge shard of the worker of `operator` and its vault
/// (`Worker::challenge_shard`): its challenges are paid from and counted there.
pub fn worker_challenge_shard(operator: &Pubkey) -> (Pubkey, Pubkey) {
    let index = ignis::state::Worker::challenge_shard(&worker(operator));
    (shard(index), shard_vault(index))
}
