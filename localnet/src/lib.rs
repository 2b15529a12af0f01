//! The embedded local chain: a real Solana runtime (LiteSVM, agave 4.3.2) with the
//! `ignis` program loaded as a native builtin, in-process for program tests
//! (`ignis_svm`) or behind real JSON-RPC over HTTP and websocket (`server`).

pub mod gate;
pub mod native;
pub mod server;

use litesvm::LiteSVM;

/// A LiteSVM with mainnet features (SPL Token, Token-2022, System) and `ignis` loaded.
pub fn ignis_svm() -> LiteSVM {
    let mut svm = LiteSVM::new();
    native::add_native_program(&mut svm, ignis::ID, ignis::entry);
    svm
}
