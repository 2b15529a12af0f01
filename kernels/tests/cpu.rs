//! The CPU kernels against independent reference code: the `sha2` crate over the
//! concatenated message, a sequential nonce scan, and a naive triple-loop matmul.

use ignis_kernels::{cpu, matmul, PowTask};
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use sha2::{Digest, Sha256};

fn task(rng: &mut StdRng, difficulty: u8) -> PowTask {
    PowTask { seed: rng.gen(), worker: rng.gen(), difficulty }
}

fn reference_hash(task: &PowTask, nonce: u64) -> [u8; 32] {
    let mut message = Vec::with_capacity(72);
    message.extend_from_slice(&task.seed);
    message.extend_from_slice(&task.worker);
    message.extend_from_slice(&nonce.to_le_bytes());
    Sha256::digest(&message).into()
}

/// The first winning nonce by a plain scan with the reference hash.
fn reference_search(task: &PowTask, from: u64, count: u64) -> Option<u64> {
    (from..from.saturating_add(count)).find(|nonce| {
        ignis::pow::leading_zero_bits(&reference_hash(task, *nonce)) >= u32::from(task.difficulty)
    })
}

fn naive_matmul(seed: &[u8; 32], n: u32) -> Vec<u32> {
    let n = n as usize;
    let a: Vec<u32> = (0..n * n).map(|i| ignis::kernels::matmul_input(seed, 0, i as u64)).collect();
    let b: Vec<u32> = (0..n * n).map(|i| ignis::kernels::matmul_input(seed, 1, i as u64)).collect();
    let mut c = vec![0u32; n * n];
    for row in 0..n {
        for col in 0..n {
            c[row * n + col] = (0..n)
                .fold(0u32, |acc, k| acc.wrapping_add(a[row * n + k].wrapping_mul(b[k * n + col])));
        }
    }
    c
}

proptest! {
    /// The GPU's launches: ascending windows, none crossing a multiple of 2^32, that
    /// cover the range exactly (clamped at the end of the nonce space).
    #[test]
    fn nonce_windows_cover_the_range_in_order(from: u64, count in 0u64..1 << 40, near_edge: bool) {
        let from = if near_edge { from | 0xffff_fff0 } else { from };
        let end = PowTask::range_end(from, count);
        let mut next = from;
        for w in ignis_kernels::pow::nonce_windows(from, count) {
            prop_assert!(w.low_first <= w.low_last);
            let first = u64::from(w.high) << 32 | u64::from(w.low_first);
            prop_assert_eq!(first, next);
            next = (u64::from(w.high) << 32 | u64::from(w.low_last)) + 1;
        }
        prop_assert_eq!(next, end.max(from));
    }

    #[test]
    fn pow_hash_matches_sha2_and_the_program(seed: [u8; 32], worker: [u8; 32], nonce: u64) {
        let task = PowTask { seed, worker, difficulty: 0 };
        let expected = reference_hash(&task, nonce);
        prop_assert_eq!(task.hash(nonce), expected);
        let worker_key = anchor_lang::prelude::Pubkey::new_from_array(worker);
        prop_assert_eq!(ignis::pow::pow_hash(&seed, &worker_key, nonce), expected);
    }
}

#[test]
fn the_compression_level_search_matches_sha2_on_ten_thousand_random_cases() {
    // The CPU search compresses one prepared tail block per nonce from the midstate and
    // checks the difficulty on the state words: both must agree with the full digest.
    let mut rng = StdRng::seed_from_u64(17);
    for case in 0..10_000 {
        let difficulty = rng.gen_range(0..=40);
        let task = task(&mut rng, difficulty);
        let midstate = ignis_kernels::pow::Midstate::new(&task);
        let mut tail = ignis_kernels::pow::Midstate::tail_block();
        let nonce = if case % 2 == 0 { rng.gen() } else { rng.gen_range(0..1 << 20) };
        let state = midstate.state_for(&mut tail, nonce);
        let digest: Vec<u8> = state.iter().flat_map(|word| word.to_be_bytes()).collect();
        let expected = reference_hash(&task, nonce);
        assert_eq!(digest, expected, "case {case}");
        let meets = ignis::pow::leading_zero_bits(&expected) >= u32::from(task.difficulty);
        assert_eq!(midstate.meets(&state), meets, "case {case}");
    }
    // Every difficulty against states with a known number of leading zero bits.
    for zeros in 0..=256u32 {
        let mut digest = [0xffu8; 32];
        for bit in 0..zeros.min(256) {
            digest[(bit / 8) as usize] &= !(0x80 >> (bit % 8));
        }
        let state: [u32; 8] = std::array::from_fn(|i| {
            u32::from_be_bytes(digest[4 * i..4 * i + 4].try_into().unwrap())
        });
        for difficulty in 0..=255u8 {
            let midstate = ignis_kernels::pow::Midstate::new(&PowTask {
                seed: [0; 32],
                worker: [0; 32],
                difficulty,
            });
            assert_eq!(
                midstate.meets(&state),
                zeros >= u32::from(difficulty),
                "{zeros} zeros, difficulty {difficulty}"
            );
        }
    }
}

#[test]
fn search_finds_the_smallest_nonce_like_a_sequential_scan() {
    let mut rng = StdRng::seed_from_u64(7);
    for difficulty in [1u8, 2, 4, 8, 10, 12] {
        for _ in 0..6 {
            let task = task(&mut rng, difficulty);
            let from: u64 = rng.gen_range(0..1 << 40);
            let count = 1 << 16;
            let found = cpu::pow_search(&task, from, count);
            assert_eq!(
                found,
                reference_search(&task, from, count),
                "difficulty {difficulty} from {from}"
            );
            if let Some(nonce) = found {
                assert!(task.meets(nonce));
            }
        }
    }
}

#[test]
fn search_spanning_many_chunks_keeps_the_smallest() {
    // Difficulty 18 needs ~260k nonces: the answer usually lies many rayon tasks in.
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..3 {
        let task = task(&mut rng, 18);
        let found = cpu::pow_search(&task, 0, 1 << 22);
        assert_eq!(
            found,
            ignis::pow::search_nonce(&task.seed, &task.worker.into(), 18, 0, 1 << 22)
        );
    }
}

#[test]
fn difficulty_zero_takes_the_first_nonce() {
    let task = PowTask { seed: [1; 32], worker: [2; 32], difficulty: 0 };
    assert_eq!(cpu::pow_search(&task, 12345, 10), Some(12345));
}

#[test]
fn resumed_search_continues_where_it_stopped() {
    let mut rng = StdRng::seed_from_u64(3);
    let task = task(&mut rng, 14);
    let whole = cpu::pow_search(&task, 0, 1 << 20).expect("a 14-bit nonce in 2^20");
    // Searching in two halves split below the answer gives the same nonce.
    let split = whole / 2;
    assert_eq!(cpu::pow_search(&task, 0, split), None);
    assert_eq!(cpu::pow_search(&task, split, (1 << 20) - split), Some(whole));
}

#[test]
fn difficulty_beyond_the_budget_finds_nothing() {
    let task = PowTask { seed: [9; 32], worker: [8; 32], difficulty: 60 };
    assert_eq!(cpu::pow_search(&task, 0, 1 << 16), None);
    assert_eq!(cpu::pow_search(&task, 0, 0), None);
}

#[test]
fn search_near_the_end_of_the_nonce_space_does_not_wrap() {
    let task = PowTask { seed: [5; 32], worker: [6; 32], difficulty: 0 };
    assert_eq!(cpu::pow_search(&task, u64::MAX - 3, 100), Some(u64::MAX - 3));
    let hard = PowTask { difficulty: 64, ..task };
    assert_eq!(cpu::pow_search(&hard, u64::MAX - 100, 1000), None);
}

#[test]
fn matmul_matches_the_naive_product_on_many_sizes() {
    let mut rng = StdRng::seed_from_u64(5);
    // Edge cases: 1, sizes around the row block (8) and the column block (512).
    for n in [1u32, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 255, 513] {
        let seed: [u8; 32] = rng.gen();
        let output = matmul::compute(&seed, n);
        assert_eq!(output, naive_matmul(&seed, n), "n = {n}");
    }
}

#[test]
fn result_hash_is_sha256_of_the_little_endian_output() {
    let mut rng = StdRng::seed_from_u64(6);
    for n in [1u32, 5, 64, 129] {
        let seed: [u8; 32] = rng.gen();
        let output = matmul::compute(&seed, n);
        let bytes = matmul::output_bytes(&output);
        assert_eq!(bytes.len(), (n * n * 4) as usize);
        assert_eq!(matmul::result_hash(&output), <[u8; 32]>::from(Sha256::digest(&bytes)));
        assert_eq!(matmul::output_from_bytes(&bytes, n).as_deref(), Some(&output[..]));
        assert_eq!(matmul::output_from_bytes(&bytes[1..], n), None, "a short upload is refused");
    }
}

#[test]
fn freivalds_accepts_the_product_and_rejects_any_single_wrong_word() {
    let mut rng = StdRng::seed_from_u64(8);
    let seed: [u8; 32] = rng.gen();
    let n = 48;
    let output = matmul::compute(&seed, n);
    assert!(matmul::freivalds(&seed, n, &output, 20, &mut rng));
    // The hardest errors over Z/2^32 flip only high bits; 2^31 survives a round with
    // probability 1/2, so 40 rounds miss it with probability 2^-40.
    for delta in [1u32, 2, 1 << 16, 1 << 31, u32::MAX] {
        let mut wrong = output.clone();
        let at = rng.gen_range(0..wrong.len());
        wrong[at] = wrong[at].wrapping_add(delta);
        assert!(!matmul::freivalds(&seed, n, &wrong, 40, &mut rng), "delta {delta} at {at}");
    }
    assert!(!matmul::freivalds(&seed, n, &output[1..], 20, &mut rng), "wrong length");
    let other_seed: [u8; 32] = rng.gen();
    assert!(!matmul::freivalds(&other_seed, n, &output, 20, &mut rng), "another job's output");
}

#[test]
fn the_matmul_result_matches_the_program_test_reference() {
    // The program tests hash the naive product directly; both must agree.
    let seed = [42u8; 32];
    let mut hasher = Sha256::new();
    for word in naive_matmul(&seed, 20) {
        hasher.update(word.to_le_bytes());
    }
    assert_eq!(
        matmul::result_hash(&matmul::compute(&seed, 20)),
        <[u8; 32]>::from(hasher.finalize())
    );
}
