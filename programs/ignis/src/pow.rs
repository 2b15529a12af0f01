//! The proof-of-work rule, in the one place the program and the worker share.

use anchor_lang::prelude::*;
use solana_sha256_hasher::hashv;

/// `sha256(seed || worker || nonce_le)`: binding the worker's key means a nonce found
/// by one worker is worthless to any other.
pub fn pow_hash(seed: &[u8; 32], worker: &Pubkey, nonce: u64) -> [u8; 32] {
    hashv(&[seed.as_slice(), worker.as_ref(), &nonce.to_le_bytes()]).to_bytes()
}

/// The seed of job `job_id`: the poster's entropy mixed with the id and poster, so no
/// two jobs share a seed even when a poster reuses its entropy.
pub fn job_seed(job_id: u64, poster: &Pubkey, client_seed: &[u8; 32]) -> [u8; 32] {
    hashv(&[b"ignis-job-seed".as_slice(), &job_id.to_le_bytes(), poster.as_ref(), client_seed])
        .to_bytes()
}

/// Number of leading zero bits of a hash, most significant bit of byte 0 first.
pub fn leading_zero_bits(hash: &[u8; 32]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        bits += byte.leading_zeros();
        if *byte != 0 {
            break;
        }
    }
    bits
}

pub fn meets_difficulty(hash: &[u8; 32], difficulty: u8) -> bool {
    leading_zero_bits(hash) >= u32::from(difficulty)
}

/// The plain reference search: the first nonce in `from..from + count` that meets
/// `difficulty` for `worker`. Off-chain only (the program just checks one nonce); fast
/// searches must find nonces this accepts.
pub fn search_nonce(
    seed: &[u8; 32],
    worker: &Pubkey,
    difficulty: u8,
    from: u64,
    count: u64,
) -> Option<u64> {
    (from..from.saturating_add(count))
        .find(|nonce| meets_difficulty(&pow_hash(seed, worker, *nonce), difficulty))
}
