//! The kernel catalog's specification: how inputs are generated from a job's seed and
//! how results are hashed. The worker's CPU and CUDA kernels and the orchestrator's
//! verifier implement exactly this; the program only needs the sizes.

use crate::constants::{KERNEL_GEMM_I8, KERNEL_MATMUL_U32, KERNEL_MLP_I8, KERNEL_POW_SHA256};

/// The catalog's names, as people and every client write them.
pub const KERNEL_NAMES: [(u8, &str); 4] = [
    (KERNEL_POW_SHA256, "pow-sha256"),
    (KERNEL_MATMUL_U32, "matmul-u32"),
    (KERNEL_GEMM_I8, "gemm-i8"),
    (KERNEL_MLP_I8, "mlp-i8"),
];

pub fn kernel_name(id: u8) -> Option<&'static str> {
    KERNEL_NAMES.iter().find(|(known, _)| *known == id).map(|(_, name)| *name)
}

pub fn kernel_id(name: &str) -> Option<u8> {
    KERNEL_NAMES.iter().find(|(_, known)| *known == name).map(|(id, _)| *id)
}

/// The names of the kernels in a worker's `supported_kernels` mask.
pub fn kernel_names(mask: u32) -> Vec<&'static str> {
    KERNEL_NAMES.iter().filter(|(id, _)| mask & (1 << id) != 0).map(|(_, name)| *name).collect()
}

/// Largest `n` of a `matmul-u32` job: three n x n u32 matrices must fit a worker.
pub const MAX_MATMUL_N: u32 = 16_384;

/// Counter-based PRNG (SplitMix64's finalizer): element `index` of input matrix
/// `matrix` (0 = A, 1 = B) of a job is a pure function of the seed, so any device can
/// generate any element independently, in any order.
pub fn matmul_input(seed: &[u8; 32], matrix: u32, index: u64) -> u32 {
    matmul_input_keyed(&seed_key(seed), matrix, index)
}

/// `matmul_input` with the key already derived, for kernels that generate whole
/// matrices.
pub fn matmul_input_keyed(key: &[u64; 2], matrix: u32, index: u64) -> u32 {
    let counter = (u64::from(matrix) << 48) ^ index;
    (splitmix64(counter ^ key[matrix as usize & 1]) >> 32) as u32
}

/// The two 64-bit keys of the PRNG, one per input matrix, from all 32 seed bytes.
pub fn seed_key(seed: &[u8; 32]) -> [u64; 2] {
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&seed[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    // Mixed, not XORed, so seeds whose halves are equal do not collapse to one key.
    [splitmix64(word(0) ^ splitmix64(word(16))), splitmix64(word(8) ^ splitmix64(word(24)))]
}

pub const fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Bytes of device memory a `matmul-u32` job of size `n` needs: A, B and C.
pub fn matmul_memory_bytes(n: u32) -> u64 {
    3 * 4 * u64::from(n) * u64::from(n)
}

/// A replica's commitment to its result: `sha256(result_hash || salt || worker)`.
/// Binding the worker key means no replica can copy another's commitment, and the salt
/// hides the result until every replica has committed.
pub fn result_commitment(
    result_hash: &[u8; 32],
    salt: &[u8; 32],
    worker: &anchor_lang::prelude::Pubkey,
) -> [u8; 32] {
    solana_sha256_hasher::hashv(&[result_hash.as_slice(), salt.as_slice(), worker.as_ref()])
        .to_bytes()
}
