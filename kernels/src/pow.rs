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

    /// The first SHA-256 block, `seed || worker`, compressed once per search into the
    /// midstate (see [`Midstate`]).
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

/// SHA-256's initial state.
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The search at the level of the compression function: the state after the prefix
/// block (the midstate) is computed once, and each nonce costs exactly one compression
/// of a tail block prepared once per batch (only its first 8 bytes change). The
/// difficulty is checked on the state words directly, rejecting on the first word.
/// `sha2::compress256` uses SHA-NI where the CPU has it.
pub struct Midstate {
    state: [u32; 8],
    difficulty: u8,
}

impl Midstate {
    pub fn new(task: &PowTask) -> Self {
        let mut state = IV;
        let block = sha2::digest::generic_array::GenericArray::from(task.prefix_block());
        sha2::compress256(&mut state, std::slice::from_ref(&block));
        Midstate { state, difficulty: task.difficulty }
    }

    /// The state after the first block, which the GPU kernel starts every nonce from.
    pub fn words(&self) -> [u32; 8] {
        self.state
    }

    /// The tail block of a 72-byte message: the nonce, the 0x80 pad, and the length in
    /// bits (576) big-endian.
    pub fn tail_block() -> sha2::digest::generic_array::GenericArray<u8, sha2::digest::consts::U64>
    {
        let mut block = [0u8; 64];
        block[8] = 0x80;
        block[56..].copy_from_slice(&(72u64 * 8).to_be_bytes());
        block.into()
    }

    /// The final state of `sha256(prefix || nonce_le)`: the digest is its words,
    /// big-endian. `tail` is a block from [`Midstate::tail_block`].
    pub fn state_for(
        &self,
        tail: &mut sha2::digest::generic_array::GenericArray<u8, sha2::digest::consts::U64>,
        nonce: u64,
    ) -> [u32; 8] {
        tail[..8].copy_from_slice(&nonce.to_le_bytes());
        let mut state = self.state;
        sha2::compress256(&mut state, std::slice::from_ref(tail));
        state
    }

    /// Whether a final state has `difficulty` leading zero bits (the digest's bytes are
    /// the words big-endian, so its leading bits are the words' from the first).
    pub fn meets(&self, state: &[u32; 8]) -> bool {
        let mut needed = u32::from(self.difficulty);
        for word in state {
            if needed == 0 {
                return true;
            }
            let zeros = word.leading_zeros();
            if zeros < needed.min(32) {
                return false;
            }
            needed = needed.saturating_sub(32);
        }
        needed == 0
    }

    /// The smallest nonce in `start..stop` that meets the difficulty.
    pub fn search(&self, start: u64, stop: u64) -> Option<u64> {
        let mut tail = Self::tail_block();
        (start..stop).find(|&nonce| self.meets(&self.state_for(&mut tail, nonce)))
    }
}

/// One launch of the GPU nonce search: the nonces `high << 32 | low` for `low` in
/// `low_first..=low_last`. A window never crosses a multiple of 2^32, so the nonce's
/// high word (the tail block's second message word) is the same for every thread and
/// the kernel computes its share of the message schedule once per thread, not once per
/// nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonceWindow {
    pub high: u32,
    pub low_first: u32,
    pub low_last: u32,
}

/// `[from, from + count)` (clamped at `u64::MAX`, as [`PowTask::range_end`]) as
/// ascending windows: launched in this order on one stream, the first answer is the
/// smallest.
pub fn nonce_windows(from: u64, count: u64) -> impl Iterator<Item = NonceWindow> {
    let end = PowTask::range_end(from, count);
    let mut next = from;
    std::iter::from_fn(move || {
        if next >= end {
            return None;
        }
        let high = (next >> 32) as u32;
        // The last nonce of this window: the range's, or the last below the next 2^32.
        let last = (end - 1).min(u64::from(high) << 32 | u64::from(u32::MAX));
        let window = NonceWindow { high, low_first: next as u32, low_last: last as u32 };
        // `end` is at most u64::MAX (exclusive), so this never overflows.
        next = last + 1;
        Some(window)
    })
}
