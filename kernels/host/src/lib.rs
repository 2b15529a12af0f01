//! kernels.cu's device functions and kernels built for the host (see build.rs and
//! cuda_host_shim.h), for tests that compare them byte for byte with the CPU path.
//! Kernels run as one block of one thread: sequentially, and exactly.

unsafe extern "C" {
    fn ignis_host_sha256_compress(state: *mut u32, block: *const u32);
    fn ignis_host_meets_difficulty(state: *const u32, difficulty: u32) -> bool;
    fn ignis_host_pow_accepts(state: *const u32, difficulty: u32) -> bool;
    fn ignis_host_splitmix64(z: u64) -> u64;
    fn ignis_host_byte_perm(x: u32, y: u32, selector: u32) -> u32;
    fn ignis_host_dp4a(a: i32, b: i32, c: i32) -> i32;
    fn pow_search(
        midstate: *const u32,
        high: u32,
        low_first: u32,
        low_last: u32,
        difficulty: u32,
        found: *mut u64,
    );
    fn matmul_inputs(out: *mut u32, len: u64, matrix: u32, key: u64);
    fn gemm_i8(a: *const i8, bt: *const i8, c: *mut i32, m: u32, k: u32, n: u32);
    #[allow(clippy::too_many_arguments)]
    fn mlp_layer_i8(
        x: *const i8,
        w: *const i8,
        bias: *const i32,
        m: u32,
        k: u32,
        n: u32,
        multiplier: i32,
        shift: u32,
        y: *mut i8,
        logits: *mut i32,
    );
}

/// The `gemm_i8` kernel: `A` (m x k) times `B` (k x n), B handed over transposed as the
/// CUDA backend does.
pub fn gemm_i8_kernel(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Vec<i32> {
    assert_eq!(a.len(), m * k);
    let bt = ignis_kernels::int8::transpose(b, k, n);
    let mut c = vec![0i32; m * n];
    unsafe { gemm_i8(a.as_ptr(), bt.as_ptr(), c.as_mut_ptr(), m as u32, k as u32, n as u32) };
    c
}

/// The model through the `mlp_layer_i8` kernel, one launch per layer, as the CUDA
/// backend runs it.
pub fn mlp_i8_kernel(model: &ignis_kernels::int8::Mlp, x: &[i8], batch: usize) -> Vec<i32> {
    let mut activations = x.to_vec();
    let mut logits = vec![];
    for layer in &model.layers {
        let (k, n) = (layer.inputs, layer.outputs);
        assert_eq!(activations.len(), batch * k);
        let (multiplier, shift) = layer.requant.map_or((0, 0), |r| (r.multiplier, r.shift));
        let mut y = vec![0i8; batch * n];
        logits = vec![0i32; batch * n];
        unsafe {
            mlp_layer_i8(
                activations.as_ptr(),
                layer.weight.as_ptr(),
                layer.bias.as_ptr(),
                batch as u32,
                k as u32,
                n as u32,
                multiplier,
                shift,
                y.as_mut_ptr(),
                logits.as_mut_ptr(),
            )
        };
        activations = y;
    }
    logits
}

/// One SHA-256 compression of 16 big-endian words into `state`.
pub fn sha256_compress(state: &mut [u32; 8], block: &[u32; 16]) {
    unsafe { ignis_host_sha256_compress(state.as_mut_ptr(), block.as_ptr()) }
}

pub fn meets_difficulty(state: &[u32; 8], difficulty: u32) -> bool {
    unsafe { ignis_host_meets_difficulty(state.as_ptr(), difficulty) }
}

/// The nonce search's test: first-word rejection against the bound, then the full rule.
pub fn pow_accepts(state: &[u32; 8], difficulty: u32) -> bool {
    unsafe { ignis_host_pow_accepts(state.as_ptr(), difficulty) }
}

pub fn splitmix64(z: u64) -> u64 {
    unsafe { ignis_host_splitmix64(z) }
}

pub fn byte_perm(x: u32, y: u32, selector: u32) -> u32 {
    unsafe { ignis_host_byte_perm(x, y, selector) }
}

/// The shim's `__dp4a`: four signed byte products summed into `c`.
pub fn dp4a(a: i32, b: i32, c: i32) -> i32 {
    unsafe { ignis_host_dp4a(a, b, c) }
}

/// One launch of the `pow_search` kernel over the nonces `high << 32 | low` for `low`
/// in `low_first..=low_last`, from the midstate: lowers `found` to the smallest winning
/// nonce, unless it already holds a smaller one (an earlier window's answer).
pub fn pow_search_window(
    midstate: &[u32; 8],
    (high, low_first, low_last): (u32, u32, u32),
    difficulty: u32,
    found: &mut u64,
) {
    assert!(low_first <= low_last, "an empty window is never launched");
    unsafe { pow_search(midstate.as_ptr(), high, low_first, low_last, difficulty, found) };
}

/// The `matmul_inputs` kernel: `len` elements of input matrix `matrix` with `key`.
pub fn matmul_inputs_kernel(len: usize, matrix: u32, key: u64) -> Vec<u32> {
    let mut out = vec![0u32; len];
    unsafe { matmul_inputs(out.as_mut_ptr(), len as u64, matrix, key) };
    out
}
