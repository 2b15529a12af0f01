pub mod config;
pub mod job;
pub mod stake;
pub mod worker;

pub use config::*;
pub use job::*;
pub use stake::*;
pub use worker::*;
