//! Crash injection for the fault tests: `IGNIS_WORKER_FAULT=<point>` aborts the
//! process (no unwinding, no cleanup, like `kill -9`) when the worker reaches that
//! point. Unset in normal use.

/// After a found nonce is journaled, before it is submitted.
pub const AFTER_NONCE_FOUND: &str = "after-nonce-found";
/// In the middle of a kernel, before any result exists.
pub const MID_KERNEL: &str = "mid-kernel";
/// After the commitment landed, before the reveal.
pub const AFTER_COMMIT: &str = "after-commit";

pub fn point(name: &str) {
    if std::env::var("IGNIS_WORKER_FAULT").is_ok_and(|fault| fault == name) {
        tracing::error!(point = name, "fault injected: aborting");
        std::process::abort();
    }
}
