//! kernels.cu's arithmetic, built for the host, against the Rust CPU path on 10,000
//! random cases per function: a change that breaks the GPU's bytes fails here, without
//! a GPU. (The tiled matmul kernel needs a block of cooperating threads; its products
//! are checked on a GPU by `scripts/test` and the `cuda` tests.)

use ignis_kernels::{
    pow::{nonce_windows, Midstate},
    PowTask,
};
use ignis_kernels_host as device;
use rand::{rngs::StdRng, Rng, SeedableRng};

const CASES: usize = 10_000;

fn words(block: &[u8; 64]) -> [u32; 16] {
    std::array::from_fn(|i| u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().unwrap()))
}

#[test]
fn sha256_compress_matches_sha2() {
    let mut rng = StdRng::seed_from_u64(1);
    for case in 0..CASES {
        let mut state: [u32; 8] = rng.gen();
        let block: [u8; 64] = std::array::from_fn(|_| rng.gen());
        let mut expected = state;
        sha2::compress256(&mut expected, &[block.into()]);
        device::sha256_compress(&mut state, &words(&block));
        assert_eq!(state, expected, "case {case}");
    }
}

#[test]
fn the_difficulty_checks_match_the_programs_rule() {
    let mut rng = StdRng::seed_from_u64(2);
    for case in 0..CASES {
        // States with a random number of leading zero bits, and random difficulties.
        let mut state: [u32; 8] = rng.gen();
        let zeros = rng.gen_range(0..=256u32);
        for bit in 0..zeros {
            state[(bit / 32) as usize] &= !(0x8000_0000 >> (bit % 32));
        }
        // A difficulty is a u8 (the program caps it at 63).
        let difficulty = if case % 4 == 0 {
            rng.gen_range(0..=255u32)
        } else {
            (zeros.saturating_sub(2) + rng.gen_range(0..5)).min(255)
        };
        let digest: [u8; 32] = std::array::from_fn(|i| state[i / 4].to_be_bytes()[i % 4]);
        let expected = ignis::pow::leading_zero_bits(&digest) >= difficulty;
        assert_eq!(
            device::meets_difficulty(&state, difficulty),
            expected,
            "case {case}: difficulty {difficulty}, state {state:08x?}"
        );
        // The kernel's form: first-word rejection, then the full rule.
        assert_eq!(
            device::pow_accepts(&state, difficulty),
            expected,
            "case {case}: difficulty {difficulty}, state {state:08x?}"
        );
    }
}

/// The kernel's search as the CUDA backend runs it: the range split into windows that
/// never cross a multiple of 2^32, launched in order, sharing one answer.
fn kernel_search(task: &PowTask, from: u64, count: u64) -> Option<u64> {
    let midstate = Midstate::new(task).words();
    let mut found = u64::MAX;
    for w in nonce_windows(from, count) {
        device::pow_search_window(
            &midstate,
            (w.high, w.low_first, w.low_last),
            u32::from(task.difficulty),
            &mut found,
        );
    }
    (found != u64::MAX).then_some(found)
}

#[test]
fn pow_search_kernel_finds_the_cpu_backends_nonce() {
    let mut rng = StdRng::seed_from_u64(3);
    for case in 0..CASES {
        let task = PowTask { seed: rng.gen(), worker: rng.gen(), difficulty: rng.gen_range(0..8) };
        let from = match case % 4 {
            0 => u64::MAX - rng.gen_range(0..64),
            // Ranges across a multiple of 2^32: two windows with different high words.
            1 => (rng.gen::<u64>() | 0xffff_ffff) - rng.gen_range(0..64),
            _ => rng.gen::<u64>() >> rng.gen_range(0..64),
        };
        let count = rng.gen_range(0..128);
        let expected = ignis_kernels::cpu::pow_search(&task, from, count);
        let found = kernel_search(&task, from, count);
        assert_eq!(found, expected, "case {case}: {task:?} from {from} count {count}");
        // And the kernel's answer hashes as the program checks it.
        if let Some(nonce) = found {
            assert!(task.meets(nonce));
            assert!(ignis::pow::meets_difficulty(&task.hash(nonce), task.difficulty));
        }
    }
}

#[test]
fn matmul_inputs_kernel_and_splitmix64_match_the_specification() {
    let mut rng = StdRng::seed_from_u64(4);
    for case in 0..CASES {
        let z: u64 = rng.gen();
        assert_eq!(device::splitmix64(z), ignis::kernels::splitmix64(z), "case {case}");
    }
    for case in 0..CASES / 100 {
        let seed: [u8; 32] = rng.gen();
        let key = ignis::kernels::seed_key(&seed);
        let matrix = rng.gen_range(0..2u32);
        let len = rng.gen_range(1..2_000);
        let out = device::matmul_inputs_kernel(len, matrix, key[matrix as usize]);
        for (index, value) in out.iter().enumerate() {
            assert_eq!(
                *value,
                ignis::kernels::matmul_input(&seed, matrix, index as u64),
                "case {case} index {index}"
            );
        }
    }
}

#[test]
fn the_shims_intrinsics_follow_cudas_definitions() {
    // __byte_perm(x, 0, 0x0123) reverses x's bytes: the kernel's little-endian nonce
    // words become big-endian message words.
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..CASES {
        let x: u32 = rng.gen();
        assert_eq!(device::byte_perm(x, 0, 0x0123), x.swap_bytes());
        assert_eq!(device::byte_perm(x, 0, 0x3210), x);
    }
}

/// Random int8 values, the extremes included often.
fn int8s(rng: &mut StdRng, len: usize) -> Vec<i8> {
    (0..len)
        .map(|_| match rng.gen_range(0..8) {
            0 => -128,
            1 => 127,
            _ => rng.gen(),
        })
        .collect()
}

#[test]
fn gemm_i8_kernel_matches_the_cpu_on_awkward_shapes() {
    let mut rng = StdRng::seed_from_u64(6);
    let mut shapes = vec![(1, 1, 1), (1, 3, 1), (1, 4, 1), (1, 5, 7), (7, 5, 1), (2, 259, 3)];
    shapes.extend(
        (0..200).map(|_| (rng.gen_range(1..24), rng.gen_range(1..70), rng.gen_range(1..24))),
    );
    for (m, k, n) in shapes {
        let a = int8s(&mut rng, m * k);
        let b = int8s(&mut rng, k * n);
        assert_eq!(
            device::gemm_i8_kernel(&a, &b, m, k, n),
            ignis_kernels::int8::gemm(&a, &b, m, k, n),
            "{m} x {k} x {n}"
        );
    }
}

#[test]
fn mlp_i8_kernel_matches_the_cpu_on_random_models() {
    use ignis_kernels::int8::{Layer, Mlp, Requant};
    let mut rng = StdRng::seed_from_u64(7);
    for case in 0..200 {
        let depth = rng.gen_range(1..4);
        let mut widths = vec![rng.gen_range(1..40)];
        widths.extend((0..depth).map(|_| rng.gen_range(1..20)));
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(index, pair)| {
                let (inputs, outputs) = (pair[0], pair[1]);
                Layer {
                    inputs,
                    outputs,
                    weight: int8s(&mut rng, inputs * outputs),
                    bias: (0..outputs).map(|_| rng.gen_range(-50_000..50_000)).collect(),
                    requant: (index + 1 < depth).then(|| Requant {
                        multiplier: rng.gen_range(1..i32::MAX),
                        shift: rng.gen_range(20..40),
                    }),
                }
            })
            .collect();
        let model = Mlp { layers };
        model.validate().expect("a valid model");
        let batch = rng.gen_range(1..9);
        let x = int8s(&mut rng, batch * model.inputs());
        assert_eq!(
            device::mlp_i8_kernel(&model, &x, batch),
            model.infer(&x, batch).logits,
            "case {case}"
        );
    }
}

#[test]
fn the_shims_dp4a_follows_cudas_definition() {
    let mut rng = StdRng::seed_from_u64(8);
    for _ in 0..CASES {
        let (a, b): ([i8; 4], [i8; 4]) = (rng.gen(), rng.gen());
        let c: i32 = rng.gen();
        let expected =
            a.iter().zip(&b).fold(c, |sum, (x, y)| sum.wrapping_add(i32::from(*x) * i32::from(*y)));
        let pack = |v: [i8; 4]| i32::from_le_bytes(v.map(|x| x as u8));
        assert_eq!(device::dp4a(pack(a), pack(b), c), expected);
    }
}

#[test]
fn the_digits_example_through_the_mlp_kernel_gives_its_scripts_logits() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/digits");
    let read = |name: &str| std::fs::read(format!("{dir}/{name}")).unwrap();
    let model = ignis_kernels::tensors::read_mlp(&read("model.safetensors")).unwrap();
    let x = ignis_kernels::tensors::read_npy_matrix_i8("inputs", &read("test_inputs.npy")).unwrap();
    let expected: Vec<i32> =
        npyz::NpyFile::new(&read("expected_logits.npy")[..]).unwrap().into_vec().unwrap();
    assert_eq!(device::mlp_i8_kernel(&model, &x.data, x.rows), expected);
}
