pub mod capacity;
pub mod config;
pub mod job;
pub mod shard;
pub mod stake;
pub mod worker;

pub use capacity::*;
pub use config::*;
pub use job::*;
pub use shard::*;
pub use stake::*;
pub use worker::*;
