//! The formats ML users hold their data in, read into the kernels' types with every
//! dtype and shape checked: NumPy `.npy` for tensors (through `npyz`) and `safetensors`
//! for `mlp-i8` models. An error names the tensor, what was expected and what it holds.

use std::str::FromStr;

use npyz::{DType, NpyFile, Order, TypeStr, WriterBuilder};
use safetensors::{Dtype, SafeTensors};

use crate::int8::{Layer, Mlp, ModelError, Requant};

/// The `format` a model's safetensors metadata names.
pub const MLP_FORMAT: &str = "ignis-mlp-i8";

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TensorError {
    #[error("{name} is not a readable {format} file ({reason})")]
    Unreadable { name: String, format: &'static str, reason: String },
    #[error("{name} holds {actual} values; it must hold {expected}")]
    Dtype { name: String, expected: &'static str, actual: String },
    #[error("{name} has shape {actual:?}; expected {expected}")]
    Shape { name: String, expected: String, actual: Vec<usize> },
    #[error("the model has no tensor `{name}`")]
    Missing { name: String },
    #[error("the model's {what}")]
    Metadata { what: String },
    #[error("the model does not hold together: {0}")]
    Model(#[from] ModelError),
}

/// A matrix of int8, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixI8 {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<i8>,
}

fn unreadable(name: &str, format: &'static str, reason: impl ToString) -> TensorError {
    TensorError::Unreadable { name: name.to_string(), format, reason: reason.to_string() }
}

/// Reads an int8 matrix (2-D, C or Fortran order) from `.npy` bytes; `name` is what
/// errors call it (e.g. the file name).
pub fn read_npy_matrix_i8(name: &str, bytes: &[u8]) -> Result<MatrixI8, TensorError> {
    let (rows, cols, data) = read_npy_matrix(name, bytes, "|i1", "int8 (numpy |i1)")?;
    Ok(MatrixI8 { rows, cols, data })
}

/// Reads an int32 matrix (little-endian, 2-D, C or Fortran order) from `.npy` bytes:
/// (rows, cols, row-major values).
pub fn read_npy_matrix_i32(
    name: &str,
    bytes: &[u8],
) -> Result<(usize, usize, Vec<i32>), TensorError> {
    read_npy_matrix(name, bytes, "<i4", "int32 (numpy <i4)")
}

fn read_npy_matrix<T: npyz::Deserialize + Copy + Default>(
    name: &str,
    bytes: &[u8],
    type_str: &str,
    expected: &'static str,
) -> Result<(usize, usize, Vec<T>), TensorError> {
    let file = NpyFile::new(bytes).map_err(|err| unreadable(name, ".npy", err))?;
    let wanted = TypeStr::from_str(type_str).expect("a type string");
    match file.dtype() {
        DType::Plain(ty) if ty == wanted => {}
        other => {
            return Err(TensorError::Dtype {
                name: name.to_string(),
                expected,
                actual: describe_dtype(&other),
            })
        }
    }
    let shape: Vec<usize> = file.shape().iter().map(|d| *d as usize).collect();
    let [rows, cols] = shape[..] else {
        return Err(TensorError::Shape {
            name: name.to_string(),
            expected: "a matrix (2 dimensions)".into(),
            actual: shape,
        });
    };
    let order = file.order();
    let values: Vec<T> = file.into_vec().map_err(|err| unreadable(name, ".npy", err))?;
    if values.len() != rows.saturating_mul(cols) {
        return Err(unreadable(name, ".npy", "its data is shorter than its shape"));
    }
    let data = match order {
        Order::C => values,
        // Column-major (what numpy saves for a transposed array): made row-major.
        Order::Fortran => crate::int8::transpose(&values, cols, rows),
    };
    Ok((rows, cols, data))
}

fn describe_dtype(dtype: &DType) -> String {
    match dtype {
        DType::Plain(ty) => format!("numpy {ty}"),
        _ => "a structured or array dtype".to_string(),
    }
}

/// An int32 matrix (rows x cols, row-major) as `.npy` bytes.
pub fn npy_matrix_i32(rows: usize, cols: usize, values: &[i32]) -> Vec<u8> {
    npy_matrix(rows, cols, values)
}

/// An int8 matrix as `.npy` bytes.
pub fn npy_matrix_i8(matrix: &MatrixI8) -> Vec<u8> {
    npy_matrix(matrix.rows, matrix.cols, &matrix.data)
}

fn npy_matrix<T: npyz::AutoSerialize + Copy>(rows: usize, cols: usize, values: &[T]) -> Vec<u8> {
    assert_eq!(values.len(), rows * cols, "rows x cols values");
    let mut bytes = vec![];
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[rows as u64, cols as u64])
        .writer(&mut bytes)
        .begin_nd()
        .expect("writing to memory");
    writer.extend(values.iter().copied()).expect("writing to memory");
    writer.finish().expect("writing to memory");
    bytes
}

/// Reads an `mlp-i8` model from safetensors bytes: `layers.{l}.weight` (I8, out x in),
/// `layers.{l}.bias` (I32, out) and, for every layer but the last, `layers.{l}.requant`
/// (I32, [multiplier, shift]); metadata `format` = `ignis-mlp-i8` and `layers` = L.
pub fn read_mlp(bytes: &[u8]) -> Result<Mlp, TensorError> {
    let tensors = SafeTensors::deserialize(bytes)
        .map_err(|err| unreadable("the model", "safetensors", err))?;
    let (_, metadata) = SafeTensors::read_metadata(bytes)
        .map_err(|err| unreadable("the model", "safetensors", err))?;
    let metadata = metadata.metadata().clone().unwrap_or_default();
    match metadata.get("format").map(String::as_str) {
        Some(MLP_FORMAT) => {}
        other => {
            return Err(TensorError::Metadata {
                what: format!(
                    "metadata names format {other:?}; an mlp-i8 model's is \"{MLP_FORMAT}\""
                ),
            })
        }
    }
    let layers: usize = metadata
        .get("layers")
        .and_then(|layers| layers.parse().ok())
        .filter(|layers| (1..=64).contains(layers))
        .ok_or_else(|| TensorError::Metadata {
            what: "metadata must give `layers`, the number of layers (1 to 64)".into(),
        })?;
    let tensor = |name: &str, dtype: Dtype, expected: &'static str| {
        let view =
            tensors.tensor(name).map_err(|_| TensorError::Missing { name: name.to_string() })?;
        if view.dtype() != dtype {
            return Err(TensorError::Dtype {
                name: name.to_string(),
                expected,
                actual: format!("{:?}", view.dtype()),
            });
        }
        Ok((view.shape().to_vec(), view.data()))
    };
    let mut built = Vec::with_capacity(layers);
    for index in 0..layers {
        let weight_name = format!("layers.{index}.weight");
        let (shape, data) = tensor(&weight_name, Dtype::I8, "int8 (I8)")?;
        let [outputs, inputs] = shape[..] else {
            return Err(TensorError::Shape {
                name: weight_name,
                expected: "[outputs, inputs]".into(),
                actual: shape,
            });
        };
        let weight = data.iter().map(|byte| *byte as i8).collect();
        let bias_name = format!("layers.{index}.bias");
        let (shape, data) = tensor(&bias_name, Dtype::I32, "int32 (I32)")?;
        if shape != [outputs] {
            return Err(TensorError::Shape {
                name: bias_name,
                expected: format!("[{outputs}] (the weight's outputs)"),
                actual: shape,
            });
        }
        let bias = little_endian_i32(data);
        let requant_name = format!("layers.{index}.requant");
        let last = index + 1 == layers;
        let requant = match (last, tensors.tensor(&requant_name).is_ok()) {
            (true, true) => {
                return Err(TensorError::Metadata {
                    what: format!("last layer gives the logits and must not have {requant_name}"),
                })
            }
            (true, false) => None,
            (false, _) => {
                let (shape, data) = tensor(&requant_name, Dtype::I32, "int32 (I32)")?;
                if shape != [2] {
                    return Err(TensorError::Shape {
                        name: requant_name,
                        expected: "[2] (multiplier, shift)".into(),
                        actual: shape,
                    });
                }
                let values = little_endian_i32(data);
                Some(Requant { multiplier: values[0], shift: values[1].max(0) as u32 })
            }
        };
        built.push(Layer { inputs, outputs, weight, bias, requant });
    }
    let model = Mlp { layers: built };
    model.validate()?;
    Ok(model)
}

/// An `mlp-i8` model as safetensors bytes, the form `read_mlp` reads. Each weight must
/// hold outputs x inputs values.
pub fn write_mlp(model: &Mlp) -> Vec<u8> {
    use safetensors::tensor::TensorView;
    let mut buffers: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = vec![];
    for (index, layer) in model.layers.iter().enumerate() {
        let weight = layer.weight.iter().map(|w| *w as u8).collect();
        buffers.push((
            format!("layers.{index}.weight"),
            Dtype::I8,
            vec![layer.outputs, layer.inputs],
            weight,
        ));
        let bias = layer.bias.iter().flat_map(|b| b.to_le_bytes()).collect();
        // As long as the bias is, so that a reader sees what a layer holds.
        buffers.push((format!("layers.{index}.bias"), Dtype::I32, vec![layer.bias.len()], bias));
        if let Some(requant) = layer.requant {
            let values = [requant.multiplier, requant.shift as i32];
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            buffers.push((format!("layers.{index}.requant"), Dtype::I32, vec![2], bytes));
        }
    }
    let views = buffers.iter().map(|(name, dtype, shape, data)| {
        (name.clone(), TensorView::new(*dtype, shape.clone(), data).expect("consistent"))
    });
    let metadata = [
        ("format".to_string(), MLP_FORMAT.to_string()),
        ("layers".to_string(), model.layers.len().to_string()),
    ];
    safetensors::serialize(views, Some(metadata.into_iter().collect())).expect("serializable")
}

fn little_endian_i32(bytes: &[u8]) -> Vec<i32> {
    bytes.chunks_exact(4).map(|w| i32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect()
}

/// Checks that `input` is a batch for `model`: one row per sample, the model's inputs
/// wide.
pub fn check_batch(name: &str, input: &MatrixI8, model: &Mlp) -> Result<(), TensorError> {
    if input.cols != model.inputs() || input.rows == 0 {
        return Err(TensorError::Shape {
            name: name.to_string(),
            expected: format!("[batch, {}] (the model's inputs)", model.inputs()),
            actual: vec![input.rows, input.cols],
        });
    }
    Ok(())
}

/// Checks that `a` and `b` can be multiplied: a's columns are b's rows.
pub fn check_gemm(a: &MatrixI8, b: &MatrixI8, b_name: &str) -> Result<(), TensorError> {
    if a.cols != b.rows || a.rows == 0 || b.cols == 0 {
        return Err(TensorError::Shape {
            name: b_name.to_string(),
            expected: format!("[{}, n] (as many rows as A has columns)", a.cols),
            actual: vec![b.rows, b.cols],
        });
    }
    Ok(())
}
