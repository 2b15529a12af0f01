//! A tensor job (`gemm-i8`, `mlp-i8`) from its input bytes to its committed result,
//! and the checks on it: one home for what the CLI checks before a poster pays, what a
//! worker checks before it computes, and what the verifier checks before it attests.
//!
//! - Inputs: `gemm-i8` takes A (m x k) and B (k x n), int8 `.npy`; `mlp-i8` takes the
//!   model (`.safetensors`) and a batch (int8 `.npy`, batch x inputs).
//! - Output: int32, one row per output row (n values, or the logits), as `.npy`.
//! - Result: the Merkle root over the output's rows, each row its int32 values
//!   little-endian (`merkle::root_of_rows`).

use rand::RngCore;

use crate::{
    int8::{self, Mlp},
    merkle::{self, Hash},
    tensors::{self, MatrixI8, TensorError},
    verify, Backend, KernelError,
};
use ignis::{
    constants::{KERNEL_GEMM_I8, KERNEL_MLP_I8},
    state::{BlobRef, TensorSpec},
};

/// A tensor job's inputs, parsed and checked against each other.
#[derive(Clone, Debug)]
pub enum TensorInputs {
    Gemm { a: MatrixI8, b: MatrixI8 },
    Mlp { model: Mlp, batch: MatrixI8 },
}

/// What the program is told about a job's shape (`ignis::state::TensorSpec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub rows: u32,
    pub row_bytes: u32,
    pub macs_per_row: u64,
}

impl From<&TensorSpec> for Shape {
    fn from(spec: &TensorSpec) -> Self {
        Shape { rows: spec.rows, row_bytes: spec.row_bytes, macs_per_row: spec.macs_per_row }
    }
}

/// Why a job's inputs cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JobInputError {
    #[error(transparent)]
    Tensor(#[from] TensorError),
    #[error("kernel {0} is not a tensor kernel (gemm-i8 or mlp-i8)")]
    NotTensor(u8),
    #[error("the inputs make a job of {actual:?}, but it was posted as {declared:?}")]
    ShapeMismatch { declared: Shape, actual: Shape },
    #[error("the job is too big: {0}")]
    TooBig(String),
}

impl TensorInputs {
    /// Parses a job's two inputs; `names` are what errors call them.
    pub fn parse(kernel: u8, inputs: [&[u8]; 2], names: [&str; 2]) -> Result<Self, JobInputError> {
        let parsed = match kernel {
            KERNEL_GEMM_I8 => {
                let a = tensors::read_npy_matrix_i8(names[0], inputs[0])?;
                let b = tensors::read_npy_matrix_i8(names[1], inputs[1])?;
                tensors::check_gemm(&a, &b, names[1])?;
                TensorInputs::Gemm { a, b }
            }
            KERNEL_MLP_I8 => {
                let model = tensors::read_mlp(inputs[0]).map_err(|err| match err {
                    TensorError::Unreadable { reason, format, .. } => {
                        TensorError::Unreadable { name: names[0].to_string(), format, reason }
                    }
                    other => other,
                })?;
                let batch = tensors::read_npy_matrix_i8(names[1], inputs[1])?;
                tensors::check_batch(names[1], &batch, &model)?;
                TensorInputs::Mlp { model, batch }
            }
            other => return Err(JobInputError::NotTensor(other)),
        };
        parsed.try_shape()?;
        Ok(parsed)
    }

    fn try_shape(&self) -> Result<Shape, JobInputError> {
        let too_big = |what: &str| JobInputError::TooBig(what.to_string());
        let (rows, cols, macs_per_row) = match self {
            TensorInputs::Gemm { a, b } => (a.rows, b.cols, (a.cols as u64) * (b.cols as u64)),
            TensorInputs::Mlp { model, batch } => (
                batch.rows,
                model.classes(),
                model.layers.iter().map(|l| (l.inputs as u64) * (l.outputs as u64)).sum(),
            ),
        };
        Ok(Shape {
            rows: u32::try_from(rows).map_err(|_| too_big("more than 2^32 output rows"))?,
            row_bytes: u32::try_from(cols * 4).map_err(|_| too_big("output rows over 4 GiB"))?,
            macs_per_row,
        })
    }

    /// The job's shape, as it must be posted.
    pub fn shape(&self) -> Shape {
        self.try_shape().expect("checked by parse")
    }

    /// The spec to post these inputs with, stored as `inputs` (their hashes and sizes).
    pub fn spec(&self, inputs: [BlobRef; 2]) -> TensorSpec {
        let shape = self.shape();
        let kernel = match self {
            TensorInputs::Gemm { .. } => KERNEL_GEMM_I8,
            TensorInputs::Mlp { .. } => KERNEL_MLP_I8,
        };
        TensorSpec {
            kernel,
            inputs,
            rows: shape.rows,
            row_bytes: shape.row_bytes,
            macs_per_row: shape.macs_per_row,
        }
    }

    /// Refuses inputs whose shape is not the one the job was posted with (the program
    /// priced and bounded the job by it).
    pub fn check_declared(&self, declared: Shape) -> Result<(), JobInputError> {
        let actual = self.try_shape()?;
        if actual != declared {
            return Err(JobInputError::ShapeMismatch { declared, actual });
        }
        Ok(())
    }

    /// Output columns (int32 values per row).
    pub fn cols(&self) -> usize {
        self.shape().row_bytes as usize / 4
    }

    /// Runs the kernel: the output, row-major.
    pub fn run(&self, backend: &dyn Backend) -> Result<Vec<i32>, KernelError> {
        match self {
            TensorInputs::Gemm { a, b } => {
                backend.gemm_i8(&a.data, &b.data, a.rows, a.cols, b.cols)
            }
            TensorInputs::Mlp { model, batch } => {
                Ok(backend.mlp_i8(model, &batch.data, batch.rows)?.logits)
            }
        }
    }

    /// The output on this CPU by the reference definitions (the verifier's recompute).
    pub fn run_reference(&self) -> Vec<i32> {
        match self {
            TensorInputs::Gemm { a, b } => int8::gemm(&a.data, &b.data, a.rows, a.cols, b.cols),
            TensorInputs::Mlp { model, batch } => model.infer(&batch.data, batch.rows).logits,
        }
    }

    /// Checks a claimed output (already matched against its root): Freivalds' test
    /// (`rounds` rounds) for gemm-i8; for mlp-i8, `samples` random rows plus the rows in
    /// `must_check` (where replicas disagree) opened against `root` and recomputed. True
    /// when it passes.
    pub fn check_output(
        &self,
        output: &[i32],
        root: &Hash,
        rounds: u32,
        samples: usize,
        must_check: &[usize],
        rng: &mut impl RngCore,
    ) -> bool {
        let rows = self.shape().rows as usize;
        if output.len() != rows * self.cols() {
            return false;
        }
        match self {
            TensorInputs::Gemm { a, b } => verify::freivalds_gemm(
                &a.data,
                &b.data,
                output,
                (a.rows, a.cols, b.cols),
                rounds,
                rng,
            ),
            TensorInputs::Mlp { model, batch } => {
                let row_bytes = self.cols() * 4;
                let bytes = output_row_bytes(output);
                let leaves: Vec<Hash> = bytes.chunks_exact(row_bytes).map(merkle::leaf).collect();
                let mut opened = verify::sample_rows(rows, samples, rng);
                opened.extend(must_check.iter().copied().filter(|row| *row < rows));
                opened.sort_unstable();
                opened.dedup();
                let openings: Vec<verify::Opening> = opened
                    .into_iter()
                    .map(|index| verify::Opening {
                        index,
                        row: bytes[index * row_bytes..(index + 1) * row_bytes].to_vec(),
                        proof: merkle::proof(&leaves, index),
                    })
                    .collect();
                verify::check_mlp_rows(model, &batch.data, root, rows, &openings).is_ok()
            }
        }
    }
}

/// The output's rows as committed: each int32 little-endian.
pub fn output_row_bytes(output: &[i32]) -> Vec<u8> {
    output.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The result a replica commits to: the Merkle root over the output's rows.
pub fn output_root(output: &[i32], cols: usize) -> Hash {
    merkle::root_of_rows(&output_row_bytes(output), cols.max(1) * 4)
}

/// The output as the poster downloads it: an int32 `.npy` matrix.
pub fn output_npy(output: &[i32], cols: usize) -> Vec<u8> {
    tensors::npy_matrix_i32(output.len() / cols.max(1), cols, output)
}

/// Reads an uploaded or downloaded output and checks it against the shape the job was
/// posted with: the values, row-major, and their Merkle root.
pub fn parse_output(npy: &[u8], shape: Shape) -> Result<(Vec<i32>, Hash), String> {
    let (rows, cols, values) =
        tensors::read_npy_matrix_i32("the output", npy).map_err(|err| err.to_string())?;
    let expected = (shape.rows as usize, shape.row_bytes as usize / 4);
    if (rows, cols) != expected {
        return Err(format!(
            "the output is {rows} x {cols}; the job's is {} x {}",
            expected.0, expected.1
        ));
    }
    let root = output_root(&values, cols);
    Ok((values, root))
}

/// Reads a downloaded output and checks it against the root the replicas committed to
/// and the shape the job was posted with: the values, row-major.
pub fn read_output(npy: &[u8], shape: Shape, root: &Hash) -> Result<Vec<i32>, String> {
    let (values, actual) = parse_output(npy, shape)?;
    if actual != *root {
        return Err("the output's Merkle root is not the one the replicas committed to".into());
    }
    Ok(values)
}

/// Rows where any two of `outputs` (each `cols` wide) differ.
pub fn disagreeing_rows(outputs: &[&[i32]], cols: usize) -> Vec<usize> {
    let Some(first) = outputs.first() else { return Vec::new() };
    let rows = first.len() / cols.max(1);
    (0..rows)
        .filter(|row| {
            let span = row * cols..(row + 1) * cols;
            outputs.iter().any(|other| other.get(span.clone()) != first.get(span.clone()))
        })
        .collect()
}

/// The predicted class per row of `mlp-i8` logits (lowest index on ties).
pub fn predictions(logits: &[i32], classes: usize) -> Vec<u32> {
    logits.chunks_exact(classes.max(1)).map(int8::argmax).collect()
}
