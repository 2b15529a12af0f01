//! The CUDA backend against the CPU backend: the same bytes for the same job. These
//! need an NVIDIA GPU with its driver and NVRTC, so they are `#[ignore]`d and show up
//! as ignored (not passed) elsewhere; `scripts/test` runs them with `--ignored` when
//! `nvidia-smi` finds a GPU.

use ignis_kernels::{cpu, cuda::CudaBackend, matmul, Backend, PowTask};
use rand::{rngs::StdRng, Rng, SeedableRng};

fn gpu() -> CudaBackend {
    CudaBackend::open().unwrap_or_else(|e| panic!("this test needs a CUDA GPU: {e}"))
}

#[test]
#[ignore = "needs an NVIDIA GPU (run with --ignored)"]
fn cuda_pow_search_equals_cpu() {
    let gpu = gpu();
    let mut rng = StdRng::seed_from_u64(1);
    for difficulty in [0u8, 1, 8, 16, 20, 24] {
        for _ in 0..4 {
            let task = PowTask { seed: rng.gen(), worker: rng.gen(), difficulty };
            let from: u64 = rng.gen_range(0..1 << 50);
            let count = 1 << 26;
            assert_eq!(
                gpu.pow_search(&task, from, count).unwrap(),
                cpu::pow_search(&task, from, count),
                "{task:?}"
            );
        }
    }
    // Awkward ranges: single nonces, a few nonces, ranges across one and several
    // multiples of 2^32 (several launches sharing one answer), the end of the space.
    for _ in 0..64 {
        let task = PowTask { seed: rng.gen(), worker: rng.gen(), difficulty: rng.gen_range(0..12) };
        let edge = (rng.gen::<u64>() | 0xffff_ffff) - rng.gen_range(0..4096);
        let (from, count) = match rng.gen_range(0..4) {
            0 => (rng.gen(), rng.gen_range(1..4)),
            1 => (edge, rng.gen_range(1..1 << 14)),
            2 => (u64::MAX - rng.gen_range(0..4096), 1 << 20),
            _ => (rng.gen::<u64>() >> 8, rng.gen_range(1..1 << 20)),
        };
        assert_eq!(
            gpu.pow_search(&task, from, count).unwrap(),
            cpu::pow_search(&task, from, count),
            "{task:?} from {from} count {count}"
        );
    }
    let hopeless = PowTask { seed: [1; 32], worker: [2; 32], difficulty: 64 };
    assert_eq!(gpu.pow_search(&hopeless, u64::MAX - 1000, 5000).unwrap(), None);
    // Three windows at difficulty 0: the first nonce of the first wins.
    let easy = PowTask { seed: [3; 32], worker: [4; 32], difficulty: 0 };
    assert_eq!(gpu.pow_search(&easy, 5 << 32, 3 << 32).unwrap(), Some(5 << 32));
}

#[test]
#[ignore = "needs an NVIDIA GPU (run with --ignored)"]
fn cuda_matmul_equals_cpu_bytes() {
    let gpu = gpu();
    let mut rng = StdRng::seed_from_u64(2);
    // Sizes around the 32-wide tile, primes, and one large enough to fill the device.
    for n in
        [1u32, 2, 3, 7, 31, 32, 33, 63, 64, 65, 100, 127, 255, 257, 511, 1000, 1024, 1031, 2048]
    {
        let seed: [u8; 32] = rng.gen();
        let on_gpu = gpu.matmul(&seed, n).unwrap();
        let on_cpu = matmul::compute(&seed, n);
        assert_eq!(matmul::result_hash(&on_gpu), matmul::result_hash(&on_cpu), "n = {n}");
        assert_eq!(on_gpu, on_cpu, "n = {n}");
    }
}

#[test]
#[ignore = "needs an NVIDIA GPU (run with --ignored)"]
fn cuda_reports_its_device() {
    let gpu = gpu();
    let info = gpu.info();
    assert!(info.compute_capability.is_some());
    assert!(info.memory_bytes > 1 << 30);
    assert!(!info.name.is_empty());
}

/// Runs everywhere: probing never panics, `auto` falls back to the CPU when there is
/// no usable GPU and `cuda` then is an error that says why.
#[test]
fn backend_selection_follows_what_the_machine_has() {
    use ignis_kernels::{select, BackendChoice, BackendKind};
    match CudaBackend::open() {
        Err(why) => {
            assert_eq!(select(BackendChoice::Auto).unwrap().info().kind, BackendKind::Cpu);
            let err = select(BackendChoice::Cuda).err().expect("cuda without a GPU is an error");
            assert_eq!(err.to_string(), why.to_string());
        }
        Ok(_) => assert_eq!(select(BackendChoice::Auto).unwrap().info().kind, BackendKind::Cuda),
    }
    assert_eq!(select(BackendChoice::Cpu).unwrap().info().kind, BackendKind::Cpu);
    assert!("tpu".parse::<BackendChoice>().is_err());
}

#[test]
#[ignore = "needs an NVIDIA GPU (run with --ignored)"]
fn cuda_gemm_i8_and_mlp_i8_equal_cpu() {
    use ignis_kernels::{
        cpu::CpuBackend,
        int8::{Layer, Mlp, Requant},
    };
    let (gpu, cpu) = (gpu(), CpuBackend::new());
    let mut rng = StdRng::seed_from_u64(9);
    let mut int8s = |len: usize| -> Vec<i8> { (0..len).map(|_| rng.gen()).collect() };
    // k not a multiple of 4, m = 1, n = 1, and sizes past one wave of blocks.
    for (m, k, n) in
        [(1, 1, 1), (1, 3, 5), (7, 1, 1), (1, 1027, 1), (33, 129, 65), (512, 1000, 384)]
    {
        let (a, b) = (int8s(m * k), int8s(k * n));
        assert_eq!(
            gpu.gemm_i8(&a, &b, m, k, n).unwrap(),
            cpu.gemm_i8(&a, &b, m, k, n).unwrap(),
            "{m} x {k} x {n}"
        );
    }
    let layer =
        |inputs: usize, outputs: usize, requant, int8s: &mut dyn FnMut(usize) -> Vec<i8>| Layer {
            inputs,
            outputs,
            weight: int8s(inputs * outputs),
            bias: (0..outputs).map(|i| i as i32 * 37 - 500).collect(),
            requant,
        };
    let requant = Some(Requant { multiplier: 1 << 30, shift: 38 });
    let model = Mlp {
        layers: vec![
            layer(67, 129, requant, &mut int8s),
            layer(129, 31, requant, &mut int8s),
            layer(31, 10, None, &mut int8s),
        ],
    };
    for batch in [1, 3, 1000] {
        let x = int8s(batch * 67);
        assert_eq!(gpu.mlp_i8(&model, &x, batch).unwrap(), cpu.mlp_i8(&model, &x, batch).unwrap());
    }
}
