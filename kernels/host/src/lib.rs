//! kernels.cu's device functions and kernels built for the host (see build.rs and
//! cuda_host_shim.h), for tests that compare them byte for byte with the CPU path.
//! Kernels run as one block of one thread: sequentially, and exactly.

unsafe extern "C" {
    fn ignis_host_sha256_compress(state: *mut u32, block: *const u32);
    fn ignis_host_meets_difficulty(state: *const u32, difficulty: u32) -> bool;
    fn ignis_host_pow_accepts(state: *const u32, difficulty: u32) -> bool;
    fn ignis_host_splitmix64(z: u64) -> u64;
    fn ignis_host_byte_perm(x: u32, y: u32, selector: u32) -> u32;
    fn pow_search(
        midstate: *const u32,
        high: u32,
        low_first: u32,
        low_last: u32,
        difficulty: u32,
        found: *mut u64,
    );
    fn matmul_inputs(out: *mut u32, len: u64, matrix: u32, key: u64);
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
