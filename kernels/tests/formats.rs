//! The digits example (examples/digits: a model trained and quantized by its script,
//! with the exact logits it computed in numpy) through the mlp-i8 kernel, and every
//! malformed input named.

use ignis_kernels::{
    cpu::CpuBackend,
    int8::{Layer, Mlp, Requant},
    tensors::{self, MatrixI8, TensorError},
    Backend,
};

const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/digits");

fn example(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIGITS}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn npy<T: npyz::Deserialize>(name: &str) -> Vec<T> {
    npyz::NpyFile::new(&example(name)[..]).unwrap().into_vec().unwrap()
}

#[test]
fn the_digits_model_gives_the_logits_and_accuracy_of_its_script() {
    let model = tensors::read_mlp(&example("model.safetensors")).expect("the model reads");
    assert_eq!((model.inputs(), model.classes(), model.layers.len()), (64, 10, 2));
    let inputs = tensors::read_npy_matrix_i8("test_inputs.npy", &example("test_inputs.npy"))
        .expect("the inputs read");
    tensors::check_batch("test_inputs.npy", &inputs, &model).unwrap();
    let output = CpuBackend::new().mlp_i8(&model, &inputs.data, inputs.rows).unwrap();
    assert_eq!(output.logits, npy::<i32>("expected_logits.npy"), "byte for byte");
    let expected: Vec<u32> =
        npy::<u8>("expected_predictions.npy").into_iter().map(u32::from).collect();
    assert_eq!(output.predictions, expected);
    let labels = npy::<u8>("test_labels.npy");
    let right =
        output.predictions.iter().zip(&labels).filter(|(p, l)| **p == u32::from(**l)).count();
    let accuracy = right as f64 / labels.len() as f64;
    let reported: serde_json::Value =
        serde_json::from_slice(&example("accuracy.json")).expect("accuracy.json");
    assert!((accuracy - reported["quantized_accuracy"].as_f64().unwrap()).abs() < 1e-6);
    eprintln!("digits: {right} of {} test digits right ({:.2}%)", labels.len(), accuracy * 100.0);
}

#[test]
fn a_model_written_and_read_back_is_the_same_and_fortran_order_is_made_row_major() {
    let model = Mlp {
        layers: vec![
            Layer {
                inputs: 3,
                outputs: 2,
                weight: vec![1, -2, 3, -128, 127, 0],
                bias: vec![-7, 1 << 20],
                requant: Some(Requant { multiplier: 123_456, shift: 17 }),
            },
            Layer { inputs: 2, outputs: 1, weight: vec![5, -5], bias: vec![0], requant: None },
        ],
    };
    assert_eq!(tensors::read_mlp(&tensors::write_mlp(&model)), Ok(model));

    // 2 x 3, column-major in the file.
    let mut bytes = vec![];
    {
        use npyz::WriterBuilder;
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[2, 3])
            .order(npyz::Order::Fortran)
            .writer(&mut bytes)
            .begin_nd()
            .unwrap();
        writer.extend([1i8, 4, 2, 5, 3, 6]).unwrap();
        writer.finish().unwrap();
    }
    let matrix = tensors::read_npy_matrix_i8("f.npy", &bytes).unwrap();
    assert_eq!(matrix, MatrixI8 { rows: 2, cols: 3, data: vec![1, 2, 3, 4, 5, 6] });
    assert_eq!(tensors::read_npy_matrix_i8("c.npy", &tensors::npy_matrix_i8(&matrix)), Ok(matrix));
}

#[test]
fn every_malformed_input_is_named() {
    let good = tensors::npy_matrix_i8(&MatrixI8 { rows: 2, cols: 2, data: vec![1, 2, 3, 4] });
    let wrong_dtype = tensors::npy_matrix_i32(2, 2, &[1, 2, 3, 4]);
    let err = tensors::read_npy_matrix_i8("a.npy", &wrong_dtype).unwrap_err();
    assert!(matches!(&err, TensorError::Dtype { name, .. } if name == "a.npy"), "{err}");
    assert_eq!(err.to_string(), "a.npy holds numpy <i4 values; it must hold int8 (numpy |i1)");

    let truncated = &good[..good.len() - 1];
    let err = tensors::read_npy_matrix_i8("a.npy", truncated).unwrap_err();
    assert!(matches!(err, TensorError::Unreadable { .. }), "{err}");
    let err = tensors::read_npy_matrix_i8("a.npy", b"not numpy at all").unwrap_err();
    assert!(matches!(err, TensorError::Unreadable { .. }), "{err}");

    let vector = {
        use npyz::WriterBuilder;
        let mut bytes = vec![];
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[4])
            .writer(&mut bytes)
            .begin_nd()
            .unwrap();
        writer.extend([1i8, 2, 3, 4]).unwrap();
        writer.finish().unwrap();
        bytes
    };
    let err = tensors::read_npy_matrix_i8("v.npy", &vector).unwrap_err();
    assert_eq!(err.to_string(), "v.npy has shape [4]; expected a matrix (2 dimensions)");

    let model = tensors::read_mlp(&example("model.safetensors")).unwrap();
    let narrow = MatrixI8 { rows: 1, cols: 63, data: vec![0; 63] };
    let err = tensors::check_batch("batch.npy", &narrow, &model).unwrap_err();
    assert_eq!(
        err.to_string(),
        "batch.npy has shape [1, 63]; expected [batch, 64] (the model's inputs)"
    );
    let a = MatrixI8 { rows: 2, cols: 3, data: vec![0; 6] };
    let err = tensors::check_gemm(&a, &a, "b.npy").unwrap_err();
    assert_eq!(
        err.to_string(),
        "b.npy has shape [2, 3]; expected [3, n] (as many rows as A has columns)"
    );

    // Models: a tensor missing, of the wrong dtype or shape, layers that do not chain.
    let mut broken = model.clone();
    broken.layers[0].bias.pop();
    let err = tensors::read_mlp(&tensors::write_mlp(&broken)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layers.0.bias has shape [63]; expected [64] (the weight's outputs)"
    );
    let mut unchained = model.clone();
    unchained.layers[1].inputs = 32;
    unchained.layers[1].weight.truncate(32 * 10);
    let err = tensors::read_mlp(&tensors::write_mlp(&unchained)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the model does not hold together: layer 1 takes 32 inputs, but the layer before it gives 64"
    );
    let mut logits_requantized = model.clone();
    logits_requantized.layers[1].requant = Some(Requant { multiplier: 1, shift: 1 });
    let err = tensors::read_mlp(&tensors::write_mlp(&logits_requantized)).unwrap_err();
    assert!(err.to_string().contains("must not have layers.1.requant"), "{err}");
    let weight_only = {
        use safetensors::{tensor::TensorView, Dtype};
        let weight = vec![1u8; 4];
        let view = TensorView::new(Dtype::I8, vec![2, 2], &weight).unwrap();
        let metadata = [("format", "ignis-mlp-i8"), ("layers", "1")]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        safetensors::serialize([("layers.0.weight", view)], Some(metadata.into_iter().collect()))
            .unwrap()
    };
    let err = tensors::read_mlp(&weight_only).unwrap_err();
    assert_eq!(err, TensorError::Missing { name: "layers.0.bias".into() });
    let bytes = example("model.safetensors");
    let err = tensors::read_mlp(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(matches!(err, TensorError::Unreadable { .. }), "{err}");
}
