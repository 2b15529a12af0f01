// kernels.cu, unchanged, as host code, plus entry points for the device functions
// that the kernels inline (the tests call them through FFI).
#include "cuda_host_shim.h"
#include "../src/kernels.cu"

extern "C" void ignis_host_sha256_compress(u32 state[8], const u32 block[16]) {
    u32 w[16];
    for (int i = 0; i < 16; i++) w[i] = block[i];
    sha256_compress(state, w);
}

extern "C" bool ignis_host_meets_difficulty(const u32 state[8], u32 difficulty) {
    return meets_difficulty(state, difficulty);
}

extern "C" bool ignis_host_pow_accepts(const u32 state[8], u32 difficulty) {
    return pow_accepts(state, first_word_bound(difficulty), difficulty);
}

extern "C" u64 ignis_host_splitmix64(u64 z) { return splitmix64(z); }

extern "C" u32 ignis_host_byte_perm(u32 x, u32 y, u32 s) { return __byte_perm(x, y, s); }

extern "C" int ignis_host_dp4a(int a, int b, int c) { return __dp4a(a, b, c); }
