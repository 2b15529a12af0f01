//! `gemm-i8` and `mlp-i8` on the CPU: quantized inference in integers only, specified
//! to the bit so that every honest replica, on any GPU or CPU, produces the same bytes.
//!
//! - `gemm-i8`: `C = A B` for int8 `A` (m x k) and `B` (k x n), row-major; each entry of
//!   the int32 `C` is the sum over k of the products, wrapping in i32 (a product is at
//!   most 2^14 in magnitude, so nothing wraps below k = 2^17).
//! - `mlp-i8`: layers of int8 weights `W` (out x in, PyTorch's layout) and int32 biases.
//!   Per layer `acc = bias + x W^T`, wrapping in i32. A hidden layer then requantizes to
//!   int8 with an integer multiplier `M` and shift `s` (`Requant::apply`):
//!   `clamp((acc * M + 2^(s-1)) >> s, 0, 127)` in i64, an arithmetic shift, so rounding
//!   is half up and the clamp at 0 is the ReLU. The last layer's `acc` are the int32
//!   logits; a row's prediction is the index of its largest logit, the lowest on ties.

use rayon::prelude::*;

/// Rows computed per rayon task.
const ROWS_PER_TASK: usize = 16;

/// `sum a[i] * b[i]`, wrapping in i32, with the widest vectors the CPU has (the
/// build targets baseline x86-64, so AVX2 and AVX-512 are chosen at run time). Integer
/// sums are exact in any order, so every path gives the same bytes.
fn dot(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512bw") {
            // SAFETY: the CPU has AVX-512 F and BW (checked just above).
            return unsafe { dot_avx512(a, b) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_portable(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn dot_avx512(a: &[i8], b: &[i8]) -> i32 {
    dot_portable(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_avx2(a: &[i8], b: &[i8]) -> i32 {
    dot_portable(a, b)
}

/// The dot product the compiler vectorizes for whichever features its caller enables.
/// Plain loops over fixed-width lanes, no closures, so that the caller's features apply.
#[inline(always)]
fn dot_portable(a: &[i8], b: &[i8]) -> i32 {
    const LANES: usize = 64;
    // Blocks of 2^15 products cannot overflow an i32 (each is at most 2^14).
    const BLOCK: usize = 1 << 15;
    let len = a.len().min(b.len());
    let mut total = 0i32;
    let mut start = 0;
    while start < len {
        let end = (start + BLOCK).min(len);
        let (a, b) = (&a[start..end], &b[start..end]);
        let mut lanes = [0i32; LANES];
        let (mut chunks_a, mut chunks_b) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
        for (x, y) in (&mut chunks_a).zip(&mut chunks_b) {
            for lane in 0..LANES {
                // Never wraps (see BLOCK); wrapping ops only keep overflow checks (on
                // in test builds) from blocking vectorization.
                let product = i32::from(x[lane]).wrapping_mul(i32::from(y[lane]));
                lanes[lane] = lanes[lane].wrapping_add(product);
            }
        }
        let mut block = lanes.iter().fold(0i32, |sum, lane| sum.wrapping_add(*lane));
        for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
            block = block.wrapping_add(i32::from(*x).wrapping_mul(i32::from(*y)));
        }
        total = total.wrapping_add(block);
        start = end;
    }
    total
}

/// `B` (k x n) transposed to n x k, so that each output is a dot product of two
/// contiguous rows.
pub fn transpose<T: Copy + Default>(b: &[T], k: usize, n: usize) -> Vec<T> {
    assert_eq!(b.len(), k * n, "B must be k x n");
    let mut t = vec![T::default(); k * n];
    for (row, values) in b.chunks_exact(n.max(1)).enumerate().take(k) {
        for (col, value) in values.iter().enumerate() {
            t[col * k + row] = *value;
        }
    }
    t
}

/// Why `a` and `b` are not m x k and k x n (with no dimension zero), if they are not.
pub fn check_gemm(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Result<(), String> {
    if m == 0 || k == 0 || n == 0 {
        return Err(format!("gemm-i8 needs non-empty matrices, got {m} x {k} times {k} x {n}"));
    }
    let sizes = |rows: usize, cols: usize| rows.checked_mul(cols);
    if sizes(m, k) != Some(a.len()) {
        return Err(format!("A holds {} values, expected {m} x {k}", a.len()));
    }
    if sizes(k, n) != Some(b.len()) {
        return Err(format!("B holds {} values, expected {k} x {n}", b.len()));
    }
    Ok(())
}

/// Why `x` is not a batch of `batch` rows for a valid `model`, if it is not.
pub fn check_mlp(model: &Mlp, x: &[i8], batch: usize) -> Result<(), String> {
    model.validate().map_err(|err| err.to_string())?;
    if batch == 0 || batch.checked_mul(model.inputs()) != Some(x.len()) {
        return Err(format!(
            "the input holds {} values, expected {batch} x {} (batch x the model's inputs)",
            x.len(),
            model.inputs()
        ));
    }
    Ok(())
}

/// `gemm-i8`: `A` (m x k) times `B` (k x n) to int32 (m x n), row-major, on every core.
pub fn gemm(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Vec<i32> {
    assert_eq!(a.len(), m * k, "A must be m x k");
    let bt = transpose(b, k, n);
    multiply_transposed(a, &bt, m, k, n, |_, acc| acc)
}

/// `x Wt^T` for `x` (m x k) and `Wt` (n x k), each output passed through
/// `epilogue(column, acc)`.
fn multiply_transposed<T: Send + Copy + Default>(
    x: &[i8],
    wt: &[i8],
    m: usize,
    k: usize,
    n: usize,
    epilogue: impl Fn(usize, i32) -> T + Sync,
) -> Vec<T> {
    let mut out = vec![T::default(); m * n];
    if n == 0 {
        return out;
    }
    out.par_chunks_mut(ROWS_PER_TASK * n).enumerate().for_each(|(task, rows)| {
        for (r, out_row) in rows.chunks_exact_mut(n).enumerate() {
            let row = task * ROWS_PER_TASK + r;
            let x_row = &x[row * k..(row + 1) * k];
            for (col, out) in out_row.iter_mut().enumerate() {
                *out = epilogue(col, dot(x_row, &wt[col * k..(col + 1) * k]));
            }
        }
    });
    out
}

/// A hidden layer's requantization from the int32 accumulator to int8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    /// 1 ..= 2^31 - 1.
    pub multiplier: i32,
    /// 1 ..= 62.
    pub shift: u32,
}

impl Requant {
    /// `clamp((acc * M + 2^(s-1)) >> s, 0, 127)`, in i64 (no overflow: |acc * M| < 2^62).
    pub fn apply(self, acc: i32) -> i8 {
        let scaled = i64::from(acc) * i64::from(self.multiplier) + (1i64 << (self.shift - 1));
        (scaled >> self.shift).clamp(0, 127) as i8
    }

    pub fn is_valid(self) -> bool {
        self.multiplier >= 1 && (1..=62).contains(&self.shift)
    }
}

/// One layer of an `mlp-i8` model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    /// outputs x inputs, row-major.
    pub weight: Vec<i8>,
    /// outputs.
    pub bias: Vec<i32>,
    /// Every layer but the last requantizes; the last gives the logits.
    pub requant: Option<Requant>,
}

/// An `mlp-i8` model: layers, each one's outputs the next one's inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mlp {
    pub layers: Vec<Layer>,
}

/// Why a model does not hold together.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("the model has no layers")]
    NoLayers,
    #[error("layer {layer} takes {actual} inputs, but the layer before it gives {expected}")]
    LayerMismatch { layer: usize, expected: usize, actual: usize },
    #[error("layer {layer}: {what}")]
    Layer { layer: usize, what: String },
}

/// What `mlp-i8` gives for a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MlpOutput {
    /// batch x classes, row-major.
    pub logits: Vec<i32>,
    pub classes: usize,
    /// Per row, the index of its largest logit (the lowest on ties).
    pub predictions: Vec<u32>,
}

impl Mlp {
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |layer| layer.inputs)
    }

    pub fn classes(&self) -> usize {
        self.layers.last().map_or(0, |layer| layer.outputs)
    }

    /// Shapes chain, sizes match, and exactly the hidden layers requantize.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.layers.is_empty() {
            return Err(ModelError::NoLayers);
        }
        let last = self.layers.len() - 1;
        for (index, layer) in self.layers.iter().enumerate() {
            let what = |what: String| ModelError::Layer { layer: index, what };
            if layer.inputs == 0 || layer.outputs == 0 {
                return Err(what("has no inputs or no outputs".into()));
            }
            if layer.weight.len() != layer.inputs * layer.outputs {
                return Err(what(format!(
                    "weight holds {} values, expected {} x {}",
                    layer.weight.len(),
                    layer.outputs,
                    layer.inputs
                )));
            }
            if layer.bias.len() != layer.outputs {
                return Err(what(format!(
                    "bias holds {} values, expected {}",
                    layer.bias.len(),
                    layer.outputs
                )));
            }
            match (index == last, layer.requant) {
                (true, Some(_)) => return Err(what("the last layer gives logits and must not requantize".into())),
                (false, None) => return Err(what("a hidden layer needs its requantization".into())),
                (false, Some(requant)) if !requant.is_valid() => {
                    return Err(what(format!(
                        "requantization multiplier {} and shift {} are out of range (1..=2^31-1, 1..=62)",
                        requant.multiplier, requant.shift
                    )))
                }
                _ => {}
            }
            if index > 0 && self.layers[index - 1].outputs != layer.inputs {
                return Err(ModelError::LayerMismatch {
                    layer: index,
                    expected: self.layers[index - 1].outputs,
                    actual: layer.inputs,
                });
            }
        }
        Ok(())
    }

    /// Runs a batch (`batch x inputs`, row-major) through every layer.
    pub fn infer(&self, x: &[i8], batch: usize) -> MlpOutput {
        assert_eq!(x.len(), batch * self.inputs(), "the batch must be batch x inputs");
        let mut activations = x.to_vec();
        let mut logits = vec![];
        for layer in &self.layers {
            let (k, n) = (layer.inputs, layer.outputs);
            match layer.requant {
                Some(requant) => {
                    activations = multiply_transposed(
                        &activations,
                        &layer.weight,
                        batch,
                        k,
                        n,
                        |col, acc| requant.apply(acc.wrapping_add(layer.bias[col])),
                    );
                }
                None => {
                    logits = multiply_transposed(
                        &activations,
                        &layer.weight,
                        batch,
                        k,
                        n,
                        |col, acc| acc.wrapping_add(layer.bias[col]),
                    );
                }
            }
        }
        let classes = self.classes();
        let predictions = logits.chunks_exact(classes).map(argmax).collect();
        MlpOutput { logits, classes, predictions }
    }
}

/// The index of the largest value, the lowest on ties.
pub fn argmax(row: &[i32]) -> u32 {
    let mut best = 0;
    for (index, value) in row.iter().enumerate() {
        if *value > row[best] {
            best = index;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_gemm(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Vec<i32> {
        let mut c = vec![0i32; m * n];
        for i in 0..m {
            for j in 0..n {
                for l in 0..k {
                    let product = i32::from(a[i * k + l]) * i32::from(b[l * n + j]);
                    c[i * n + j] = c[i * n + j].wrapping_add(product);
                }
            }
        }
        c
    }

    #[test]
    fn gemm_matches_the_definition_on_awkward_shapes() {
        let mut seed = 1u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 56) as i8
        };
        for (m, k, n) in [(1, 1, 1), (1, 7, 1), (3, 5, 2), (17, 33, 9), (1, 130, 64), (40, 3, 1)] {
            let a: Vec<i8> = (0..m * k).map(|_| next()).collect();
            let b: Vec<i8> = (0..k * n).map(|_| next()).collect();
            assert_eq!(gemm(&a, &b, m, k, n), naive_gemm(&a, &b, m, k, n), "{m}x{k}x{n}");
        }
    }

    #[test]
    fn every_vector_path_gives_the_portable_sum() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 56) as i8
        };
        for len in [0, 1, 3, 31, 32, 33, 63, 64, 65, 1000, 70_000] {
            let (a, b): (Vec<i8>, Vec<i8>) = (0..len).map(|_| (next(), next())).unzip();
            let expected = dot_portable(&a, &b);
            assert_eq!(dot(&a, &b), expected, "len {len}");
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512bw") {
                    assert_eq!(unsafe { dot_avx512(&a, &b) }, expected, "avx512 len {len}");
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    assert_eq!(unsafe { dot_avx2(&a, &b) }, expected, "avx2 len {len}");
                }
            }
        }
    }

    #[test]
    fn the_extremes_do_not_overflow_below_two_to_the_seventeen() {
        // (-128)^2 = 2^14 per product; 2^17 - 1 of them stays below 2^31.
        let k = (1 << 17) - 1;
        let a = vec![-128i8; k];
        let b = vec![-128i8; k];
        assert_eq!(gemm(&a, &b, 1, k, 1), vec![(k as i32) << 14]);
        // One more wraps, as specified.
        let (a, b) = (vec![-128i8; k + 1], vec![-128i8; k + 1]);
        assert_eq!(gemm(&a, &b, 1, k + 1, 1), vec![i32::MIN]);
    }

    #[test]
    fn requantization_rounds_half_up_and_clamps() {
        let half = Requant { multiplier: 1, shift: 1 };
        // acc / 2, rounded half up: 3/2 -> 2, -3/2 -> -1 -> ReLU 0, 5/2 -> 3.
        assert_eq!([3, -3, 5, 1, 0].map(|acc| half.apply(acc)), [2, 0, 3, 1, 0]);
        let big = Requant { multiplier: i32::MAX, shift: 31 };
        assert_eq!(big.apply(i32::MAX), 127);
        assert_eq!(big.apply(i32::MIN), 0);
        assert_eq!(big.apply(100), 100);
    }

    #[test]
    fn argmax_takes_the_lowest_index_on_ties() {
        assert_eq!(argmax(&[1, 5, 5, 2]), 1);
        assert_eq!(argmax(&[-3]), 0);
        assert_eq!(argmax(&[i32::MIN, i32::MIN]), 0);
    }

    #[test]
    fn a_model_that_does_not_hold_together_is_named() {
        let layer = |inputs, outputs, requant| Layer {
            inputs,
            outputs,
            weight: vec![1; inputs * outputs],
            bias: vec![0; outputs],
            requant,
        };
        let requant = Some(Requant { multiplier: 1, shift: 1 });
        let good = Mlp { layers: vec![layer(4, 3, requant), layer(3, 2, None)] };
        assert_eq!(good.validate(), Ok(()));
        let mismatch = Mlp { layers: vec![layer(4, 3, requant), layer(5, 2, None)] };
        assert_eq!(
            mismatch.validate(),
            Err(ModelError::LayerMismatch { layer: 1, expected: 3, actual: 5 })
        );
        let no_requant = Mlp { layers: vec![layer(4, 3, None), layer(3, 2, None)] };
        assert!(no_requant
            .validate()
            .unwrap_err()
            .to_string()
            .contains("needs its requantization"));
        assert_eq!(Mlp { layers: vec![] }.validate(), Err(ModelError::NoLayers));
    }

    #[test]
    fn an_mlp_computes_by_the_definition() {
        // 2 inputs -> 2 hidden (identity weights, acc/2) -> 3 logits.
        let model = Mlp {
            layers: vec![
                Layer {
                    inputs: 2,
                    outputs: 2,
                    weight: vec![1, 0, 0, 1],
                    bias: vec![1, -100],
                    requant: Some(Requant { multiplier: 1, shift: 1 }),
                },
                Layer {
                    inputs: 2,
                    outputs: 3,
                    weight: vec![1, 0, 0, 1, -1, -1],
                    bias: vec![0, 0, 7],
                    requant: None,
                },
            ],
        };
        let out = model.infer(&[4, 6, -8, 127], 2);
        // Row 0: hidden (5/2 -> 3, (6-100)/2 -> 0) -> logits (3, 0, 4).
        // Row 1: hidden ((-8+1)/2 -> 0 by ReLU, (127-100)/2 = 13.5 -> 14) -> (0, 14, -7).
        assert_eq!(out.logits, vec![3, 0, 4, 0, 14, -7]);
        assert_eq!(out.predictions, vec![2, 1]);
    }
}
