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
