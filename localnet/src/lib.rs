//! The embedded local chain: a real Solana runtime (LiteSVM, agave 4.3.2) with the
//! `ignis` program loaded as a native builtin.

pub mod native;

use litesvm::LiteSVM;

/// A LiteSVM with mainnet features (SPL Token, Token-2022, System) and `ignis` loaded.
pub fn ignis_svm() -> LiteSVM {
    let mut svm = LiteSVM::new();
    native::add_native_program(&mut svm, ignis::ID, ignis::entry);
    svm
}
