// Stands in for CUDA so that kernels.cu compiles as host C++ (see build.rs). Device
// qualifiers become plain inline functions, intrinsics get their documented
// semantics, and kernels run as a grid of one block of one thread (sequentially),
// which is exact for the grid-stride kernels. Only what kernels.cu uses is here.
#pragma once
#include <cstdint>

#define __device__
#define __forceinline__ inline
#define __constant__ static const
#define __global__
#define __restrict__ __restrict
#define __shared__ static

struct dim3 { unsigned int x, y, z; };
static const dim3 gridDim = {1, 1, 1};
static const dim3 blockDim = {1, 1, 1};
static const dim3 blockIdx = {0, 0, 0};
static const dim3 threadIdx = {0, 0, 0};

static inline void __syncthreads() {}

// The low 32 bits of (hi:lo) >> (shift & 31).
static inline unsigned int __funnelshift_r(unsigned int lo, unsigned int hi, unsigned int shift) {
    const unsigned long long v = ((unsigned long long)hi << 32) | lo;
    return (unsigned int)(v >> (shift & 31));
}

// Byte i of the result is byte (selector nibble i & 7) of the 8 bytes y:x (x low).
static inline unsigned int __byte_perm(unsigned int x, unsigned int y, unsigned int s) {
    const unsigned long long v = ((unsigned long long)y << 32) | x;
    unsigned int r = 0;
    for (int i = 0; i < 4; i++) {
        const unsigned int sel = (s >> (4 * i)) & 7;
        r |= (unsigned int)((v >> (8 * sel)) & 0xff) << (8 * i);
    }
    return r;
}

static inline unsigned long long atomicMin(unsigned long long* address, unsigned long long value) {
    const unsigned long long old = *address;
    if (value < old) *address = value;
    return old;
}

// The four signed byte products of a and b (little-endian lanes) summed into c, wrapping.
static inline int __dp4a(int a, int b, int c) {
    unsigned int sum = (unsigned int)c;
    for (int i = 0; i < 4; i++) {
        const int x = (signed char)(a >> (8 * i)), y = (signed char)(b >> (8 * i));
        sum += (unsigned int)(x * y);
    }
    return (int)sum;
}
