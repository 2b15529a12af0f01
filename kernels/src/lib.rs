//! The compute kernels of Ignis, each on two backends that give the same bytes:
//! CUDA (CUDA C compiled at run time by NVRTC, launched through `cudarc`) and the CPU
//! (every core, through rayon).
//!
//! - `pow-sha256`: the smallest nonce in a range whose `sha256(seed || worker || nonce_le)`
//!   has `difficulty` leading zero bits (the rule is `ignis::pow`).
//! - `matmul-u32`: the wrapping u32 product of two n x n matrices generated from the
//!   job seed (`ignis::kernels::matmul_input`), hashed row-major little-endian.
//! - `gemm-i8` and `mlp-i8`: quantized inference on users' data, integers only
//!   (`int8` is the specification); outputs are committed to by their rows' Merkle root
//!   (`merkle`).
//!
//! "Smallest nonce" (not "any") is what makes the two backends byte-identical and a
//! search resumable from an offset.

pub mod backend;
pub mod bench;
pub mod cpu;
pub mod cuda;
pub mod int8;
pub mod matmul;
pub mod merkle;
pub mod pow;
pub mod tensor_job;
pub mod tensors;
pub mod verify;

pub use backend::{select, Backend, BackendChoice, BackendKind, DeviceInfo, KernelError};
pub use pow::PowTask;
