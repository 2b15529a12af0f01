//! The Ignis worker: finds the jobs assigned to its operator's `Worker` account,
//! runs them on CUDA or the CPU (`ignis-kernels`), and submits proofs (`submit_pow`,
//! several at once in `submit_pows`) or commit-reveals results, journaling every result
//! so a crash loses nothing.

pub mod bench;
pub mod challenge;
pub mod claim;
pub mod coalesce;
pub mod config;
pub mod fault;
pub mod follow;
pub mod journal;
pub mod node;
pub mod runner;
pub mod service;

pub use config::RunConfig;
pub use service::run;
