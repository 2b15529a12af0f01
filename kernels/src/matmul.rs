//! `matmul-u32` on the CPU: input generation, the product, its result hash and
//! Freivalds' check. Arithmetic is wrapping u32 (the ring Z/2^32), as on the GPU.

use rand::RngCore;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// Rows of the output computed together so that each row of B read from memory is
/// used this many times.
const ROW_BLOCK: usize = 8;
/// Columns per pass: a slice of B's row and of each output row stay in L1.
const COL_BLOCK: usize = 512;

/// The two input matrices of a job, row-major.
pub fn inputs(seed: &[u8; 32], n: u32) -> (Vec<u32>, Vec<u32>) {
    let key = ignis::kernels::seed_key(seed);
    let len = (n as usize) * (n as usize);
    let generate = |matrix: u32| -> Vec<u32> {
        (0..len as u64)
            .into_par_iter()
            .map(|i| ignis::kernels::matmul_input_keyed(&key, matrix, i))
            .collect()
    };
    (generate(0), generate(1))
}

/// `a * b` for n x n row-major matrices, wrapping, on every core.
pub fn multiply(a: &[u32], b: &[u32], n: u32) -> Vec<u32> {
    let n = n as usize;
    assert!(a.len() == n * n && b.len() == n * n, "matrices must be n x n");
    let mut c = vec![0u32; n * n];
    c.par_chunks_mut(ROW_BLOCK * n).enumerate().for_each(|(block, rows)| {
        let first_row = block * ROW_BLOCK;
        let row_count = rows.len() / n;
        for col_start in (0..n).step_by(COL_BLOCK) {
            let col_end = (col_start + COL_BLOCK).min(n);
            for k in 0..n {
                let b_row = &b[k * n + col_start..k * n + col_end];
                for r in 0..row_count {
                    let a_rk = a[(first_row + r) * n + k];
                    let c_row = &mut rows[r * n + col_start..r * n + col_end];
                    for (c, b) in c_row.iter_mut().zip(b_row) {
                        *c = c.wrapping_add(a_rk.wrapping_mul(*b));
                    }
                }
            }
        }
    });
    c
}

/// The job's output: the product of its generated inputs.
pub fn compute(seed: &[u8; 32], n: u32) -> Vec<u32> {
    let (a, b) = inputs(seed, n);
    multiply(&a, &b, n)
}

/// The result hash a worker commits to: SHA-256 of the output, row-major, each word
/// little-endian.
pub fn result_hash(output: &[u32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut buffer = Vec::with_capacity(4096 * 4);
    for chunk in output.chunks(4096) {
        buffer.clear();
        buffer.extend(chunk.iter().flat_map(|w| w.to_le_bytes()));
        hasher.update(&buffer);
    }
    hasher.finalize().into()
}

/// The output as bytes, the form uploaded to the verifier.
pub fn output_bytes(output: &[u32]) -> Vec<u8> {
    output.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Reads an output back from its bytes; `None` unless it holds exactly n x n words.
pub fn output_from_bytes(bytes: &[u8], n: u32) -> Option<Vec<u32>> {
    let len = (n as usize).checked_mul(n as usize)?.checked_mul(4)?;
    (bytes.len() == len).then(|| {
        bytes.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect()
    })
}

/// Freivalds' check that `output == A * B` for the job's inputs (see `freivalds_product`).
pub fn freivalds(
    seed: &[u8; 32],
    n: u32,
    output: &[u32],
    rounds: u32,
    rng: &mut impl RngCore,
) -> bool {
    let size = n as usize;
    if output.len() != size * size {
        return false;
    }
    let (a, b) = inputs(seed, n);
    freivalds_product(&a, &b, output, (size, size, size), rounds, rng)
}

/// Freivalds' check that `c` (m x n) is `a` (m x k) times `b` (k x n), row-major, in
/// O(mk + kn + mn) per round: compare `A (B r)` with `C r` for random vectors r. Over
/// Z/2^32 (not a field) a wrong product survives one round with probability at most
/// 1/2 (the worst case is an error of 2^31 in one entry, caught only when its r entry
/// is odd), so `rounds` rounds leave at most 2^-rounds. `gemm-i8` is checked with it
/// too: its i32 sums wrap in the same ring.
pub fn freivalds_product(
    a: &[u32],
    b: &[u32],
    c: &[u32],
    (m, k, n): (usize, usize, usize),
    rounds: u32,
    rng: &mut impl RngCore,
) -> bool {
    if a.len() != m * k || b.len() != k * n || c.len() != m * n || k == 0 || n == 0 {
        return false;
    }
    (0..rounds).all(|_| {
        let r: Vec<u32> = (0..n).map(|_| rng.next_u32()).collect();
        let br = mul_vector(b, &r);
        mul_vector(a, &br) == mul_vector(c, &r)
    })
}

/// `m v` for a row-major matrix whose rows are as long as `v`, wrapping.
fn mul_vector(m: &[u32], v: &[u32]) -> Vec<u32> {
    m.par_chunks(v.len())
        .map(|row| row.iter().zip(v).fold(0u32, |acc, (x, y)| acc.wrapping_add(x.wrapping_mul(*y))))
        .collect()
}
