//! Checking a claimed int8 output without recomputing all of it.
//!
//! - `gemm-i8`: Freivalds' check over Z/2^32, the ring the i32 sums wrap in
//!   (`matmul::freivalds_product`, shared with `matmul-u32`): at most 2^-rounds of
//!   wrong outputs pass.
//! - `mlp-i8`: the verifier samples rows of the batch, the worker opens them against the
//!   Merkle root it committed to (`merkle`), and the verifier recomputes those rows. If
//!   `bad` of `rows` rows are wrong and `samples` distinct rows are checked, the check
//!   misses them all with probability C(rows - bad, samples) / C(rows, samples)
//!   ([`miss_probability`]); for one bad row that is 1 - samples / rows.

use rand::{seq::index::sample, Rng, RngCore};

use crate::{
    int8::Mlp,
    merkle::{self, Hash},
};

/// Freivalds' check that `c` (m x n) is `A` (m x k) times `B` (k x n): the entries
/// taken into Z/2^32, where the i32 sums wrap, for `matmul::freivalds_product`.
pub fn freivalds_gemm(
    a: &[i8],
    b: &[i8],
    c: &[i32],
    dims: (usize, usize, usize),
    rounds: u32,
    rng: &mut impl RngCore,
) -> bool {
    let ring =
        |values: &[i8]| -> Vec<u32> { values.iter().map(|v| i32::from(*v) as u32).collect() };
    let c: Vec<u32> = c.iter().map(|v| *v as u32).collect();
    crate::matmul::freivalds_product(&ring(a), &ring(b), &c, dims, rounds, rng)
}

/// The chance that checking `samples` distinct rows out of `rows` finds none of `bad`
/// wrong ones: C(rows - bad, samples) / C(rows, samples).
pub fn miss_probability(rows: usize, bad: usize, samples: usize) -> f64 {
    if bad == 0 {
        return 1.0;
    }
    if samples > rows - bad.min(rows) {
        return 0.0;
    }
    // prod over i < samples of (rows - bad - i) / (rows - i)
    (0..samples).map(|i| (rows - bad - i) as f64 / (rows - i) as f64).product()
}

/// The rows a verifier asks to see: `samples` distinct indices (all of them when
/// `samples >= rows`).
pub fn sample_rows(rows: usize, samples: usize, rng: &mut impl Rng) -> Vec<usize> {
    sample(rng, rows, samples.min(rows)).into_vec()
}

/// A row of an output as the worker opens it: its bytes and its Merkle proof.
pub struct Opening {
    pub index: usize,
    pub row: Vec<u8>,
    pub proof: Vec<Hash>,
}

/// Why an opened `mlp-i8` row fails.
#[derive(Debug, PartialEq, Eq)]
pub enum RowFault {
    /// The row does not prove against the committed root.
    NotInRoot { index: usize },
    /// The row is in the root, but the model gives other logits.
    Wrong { index: usize },
}

/// The bytes of one row of `mlp-i8` logits, as committed: each int32 little-endian.
pub fn logits_row_bytes(logits: &[i32]) -> Vec<u8> {
    logits.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Checks opened rows of an `mlp-i8` output against the committed root (over `rows`
/// rows of logits) by recomputing each from its input row. The first fault found.
pub fn check_mlp_rows(
    model: &Mlp,
    x: &[i8],
    root: &Hash,
    rows: usize,
    openings: &[Opening],
) -> Result<(), RowFault> {
    let inputs = model.inputs();
    for opening in openings {
        let index = opening.index;
        if !merkle::verify(root, rows, index, &opening.row, &opening.proof) {
            return Err(RowFault::NotInRoot { index });
        }
        let input = &x[index * inputs..(index + 1) * inputs];
        let expected = model.infer(input, 1);
        if logits_row_bytes(&expected.logits) != opening.row {
            return Err(RowFault::Wrong { index });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::{rngs::StdRng, SeedableRng};

    use super::*;
    use crate::int8;

    #[test]
    fn freivalds_accepts_the_product_and_rejects_a_changed_entry() {
        let mut rng = StdRng::seed_from_u64(1);
        let (m, k, n) = (9, 13, 7);
        let a: Vec<i8> = (0..m * k).map(|_| rng.gen()).collect();
        let b: Vec<i8> = (0..k * n).map(|_| rng.gen()).collect();
        let c = int8::gemm(&a, &b, m, k, n);
        assert!(freivalds_gemm(&a, &b, &c, (m, k, n), 20, &mut rng));
        // i32::MIN is the worst case (caught only by an odd r entry): 20 rounds miss it
        // with probability 2^-20.
        for delta in [1, -1, 1 << 20, i32::MIN] {
            let index = rng.gen_range(0..m * n);
            let mut wrong = c.clone();
            wrong[index] = c[index].wrapping_add(delta);
            assert!(!freivalds_gemm(&a, &b, &wrong, (m, k, n), 20, &mut rng), "delta {delta}");
        }
    }

    #[test]
    fn the_miss_probability_follows_the_hypergeometric_formula() {
        assert_eq!(miss_probability(100, 0, 10), 1.0);
        assert!((miss_probability(100, 1, 10) - 0.9).abs() < 1e-12);
        assert_eq!(miss_probability(10, 1, 10), 0.0);
        // 2 bad of 5, 2 samples: C(3,2)/C(5,2) = 3/10.
        assert!((miss_probability(5, 2, 2) - 0.3).abs() < 1e-12);
    }

    /// A worker flips one row of a 64-row output; checks of 8 sampled rows catch it as
    /// often as the formula says (1 - 56/64 = 12.5%), over many independent checks.
    #[test]
    fn sampling_catches_a_flipped_row_as_often_as_the_formula_says() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut layer = |inputs: usize, outputs: usize, requant| int8::Layer {
            inputs,
            outputs,
            weight: (0..inputs * outputs).map(|_| rng.gen()).collect(),
            bias: (0..outputs).map(|_| rng.gen_range(-1000..1000)).collect(),
            requant,
        };
        // Scales by 2^-8: hidden values spread over 0..127, so rows differ.
        let requant = Some(int8::Requant { multiplier: 1 << 30, shift: 38 });
        let model = Mlp { layers: vec![layer(16, 12, requant), layer(12, 10, None)] };
        let rows = 64;
        let x: Vec<i8> = (0..rows * model.inputs()).map(|_| rng.gen()).collect();
        let honest = model.infer(&x, rows);
        let distinct: std::collections::HashSet<&[i32]> = honest.logits.chunks_exact(10).collect();
        assert_eq!(distinct.len(), rows, "every row its own logits");
        let mut claimed: Vec<Vec<u8>> =
            honest.logits.chunks_exact(10).map(logits_row_bytes).collect();
        let flipped = 37;
        claimed[flipped][0] ^= 1;
        let leaves: Vec<Hash> = claimed.iter().map(|row| merkle::leaf(row)).collect();
        let root = merkle::root(&leaves);
        let (samples, checks) = (8, 4_000);
        let mut caught = 0;
        for _ in 0..checks {
            let openings: Vec<Opening> = sample_rows(rows, samples, &mut rng)
                .into_iter()
                .map(|index| Opening {
                    index,
                    row: claimed[index].clone(),
                    proof: merkle::proof(&leaves, index),
                })
                .collect();
            match check_mlp_rows(&model, &x, &root, rows, &openings) {
                Ok(()) => {}
                Err(RowFault::Wrong { index }) => {
                    assert_eq!(index, flipped);
                    caught += 1;
                }
                Err(fault) => panic!("an honest opening failed: {fault:?}"),
            }
        }
        let expected = 1.0 - miss_probability(rows, 1, samples);
        let observed = caught as f64 / checks as f64;
        // Four standard deviations of the binomial: a false alarm about once in 30,000.
        let sigma = (expected * (1.0 - expected) / checks as f64).sqrt();
        assert!(
            (observed - expected).abs() < 4.0 * sigma,
            "caught {observed:.4} of checks, the formula says {expected:.4}"
        );
        // A row opened with another row's proof does not pass as in the root.
        let opening =
            Opening { index: 3, row: claimed[4].clone(), proof: merkle::proof(&leaves, 4) };
        assert_eq!(
            check_mlp_rows(&model, &x, &root, rows, &[opening]),
            Err(RowFault::NotInRoot { index: 3 })
        );
    }
}
