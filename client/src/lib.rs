//! Everything an off-chain Ignis component needs to talk to the program: PDAs,
//! instruction builders and account decoding. No other crate builds instructions.

pub mod accounts;
pub mod blob;
pub mod bootstrap;
pub mod errors;
pub mod events;
pub mod history;
pub mod instructions;
pub mod pda;
pub mod process;
pub mod queries;
pub mod rpc;
pub mod token;
pub mod watch;

pub use ignis;
pub use ignis::ID as PROGRAM_ID;
