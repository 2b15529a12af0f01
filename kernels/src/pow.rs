//! The PoW search problem, shared by both backends.

use sha2::{Digest, Sha256};

/// One PoW job as a worker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowTask {
    pub seed: [u8; 32],
    /// The worker's `Worker` account address: the nonce is bound to it.
    pub worker: [u8; 32],
    pub difficulty: u8,
}

impl PowTask {
    /// SHA-256 with `seed || worker` already absorbed: exactly one 64-byte block, so
    /// each nonce costs a single compression of the tail block (the "midstate" trick).
    pub fn prefix_hasher(&self) -> Sha256 {
        let mut hasher = Sha256::new();
        hasher.update(self.seed);
        hasher.update(self.worker);
        hasher
    }

    /// The first SHA-256 block, `seed || worker`: the GPU kernel compresses it once
    /// per thread and then one tail block per nonce.
    pub fn prefix_block(&self) -> [u8; 64] {
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.seed);
        block[32..].copy_from_slice(&self.worker);
        block
    }

    pub fn hash(&self, nonce: u64) -> [u8; 32] {
        hash_from(&self.prefix_hasher(), nonce)
    }

    pub fn meets(&self, nonce: u64) -> bool {
        ignis::pow::meets_difficulty(&self.hash(nonce), self.difficulty)
    }

    /// The end of a range starting at `from`, clamped so it never wraps.
    pub fn range_end(from: u64, count: u64) -> u64 {
        from.saturating_add(count)
    }
}

/// `sha256(prefix || nonce_le)` from a cloned prefix state.
pub fn hash_from(prefix: &Sha256, nonce: u64) -> [u8; 32] {
    let mut hasher = prefix.clone();
    hasher.update(nonce.to_le_bytes());
    hasher.finalize().into()
}
