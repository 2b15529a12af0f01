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

/// The newest entry of the `SlotHashes` sysvar's account data (a u64 count, then
/// `(slot, hash)` pairs, newest first): read in place, since the sysvar is too large
/// to deserialize on chain.
pub fn newest_slot_hash(data: &[u8]) -> Option<(u64, [u8; 32])> {
    let count = u64::from_le_bytes(data.get(..8)?.try_into().ok()?);
    if count == 0 {
        return None;
    }
    let slot = u64::from_le_bytes(data.get(8..16)?.try_into().ok()?);
    let hash = data.get(16..48)?.try_into().ok()?;
    Some((slot, hash))
}

/// The seed of the `index`-th challenge of `worker`, from the slot hash when it is
/// issued: nobody knows it before that slot, and it is the worker's alone.
pub fn challenge_seed(slot_hash: &[u8; 32], worker: &Pubkey, index: u64) -> [u8; 32] {
    hashv(&[b"ignis-challenge".as_slice(), slot_hash, worker.as_ref(), &index.to_le_bytes()])
        .to_bytes()
}

/// The draw that decides whether `worker`'s next challenge is due in the slot whose
/// predecessor's hash is `slot_hash` (`Capacity::challenge_due`).
pub fn challenge_draw(slot_hash: &[u8; 32], worker: &Pubkey) -> u64 {
    let hash = hashv(&[b"ignis-challenge-draw".as_slice(), slot_hash, worker.as_ref()]);
    let mut low = [0u8; 8];
    low.copy_from_slice(&hash.to_bytes()[..8]);
    u64::from_le_bytes(low)
}

/// The plain reference answer to a challenge: the first `count` nonces from `from` on
/// that meet `difficulty` for `worker`. Off-chain only.
pub fn search_nonces(
    seed: &[u8; 32],
    worker: &Pubkey,
    difficulty: u8,
    from: u64,
    count: usize,
) -> Vec<u64> {
    (from..)
        .filter(|nonce| meets_difficulty(&pow_hash(seed, worker, *nonce), difficulty))
        .take(count)
        .collect()
}
