//! Crash injection for the fault tests: `IGNIS_WORKER_FAULT=<point>` aborts the
//! process (no unwinding, no cleanup, like `kill -9`) when the worker reaches that
//! point. Unset in normal use.

/// After a found nonce is journaled, before it is submitted.
pub const AFTER_NONCE_FOUND: &str = "after-nonce-found";
/// In the middle of a kernel, before any result exists.
pub const MID_KERNEL: &str = "mid-kernel";
/// After the commitment landed, before the reveal.
pub const AFTER_COMMIT: &str = "after-commit";

/// Not a crash: the worker lies, changing one random row of each tensor output before
/// it commits (a malicious worker, for the tests that show it is caught and slashed).
pub const WRONG_ROW: &str = "wrong-row";

pub fn lies() -> bool {
    std::env::var("IGNIS_WORKER_FAULT").is_ok_and(|fault| fault == WRONG_ROW)
}

pub fn point(name: &str) {
    if std::env::var("IGNIS_WORKER_FAULT").is_ok_and(|fault| fault == name) {
        tracing::error!(point = name, "fault injected: aborting");
        std::process::abort();
    }
}
