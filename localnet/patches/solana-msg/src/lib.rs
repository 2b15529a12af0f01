#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// We re-export the `format!` macro from `alloc` for use in the `msg!` macro
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub use alloc::format;

/// Print a message to the log.
///
/// Supports simple strings as well as Rust [format strings][fs]. When passed a
/// single expression it will be passed directly to [`sol_log`]. The expression
/// must have type `&str`, and is typically used for logging static strings.
/// When passed something other than an expression, particularly
/// a sequence of expressions, the tokens will be passed through the
/// [`format!`] macro before being logged with `sol_log`.
///
/// [fs]: https://doc.rust-lang.org/alloc/fmt/
/// [`format!`]: https://doc.rust-lang.org/alloc/fmt/fn.format.html
///
/// Note that Rust's formatting machinery is relatively CPU-intensive
/// for constrained environments like the Solana VM.
///
/// # Examples
///
/// ```
/// use solana_msg::msg;
///
/// // The fast form
/// msg!("verifying multisig");
///
/// // With formatting
/// let err = "not enough signers";
/// msg!("multisig failed: {}", err);
/// ```
#[cfg(feature = "alloc")]
#[macro_export]
macro_rules! msg {
    ($msg:expr) => {
        $crate::sol_log($msg)
    };
    ($($arg:tt)*) => ($crate::sol_log(&$crate::format!($($arg)*)));
}

#[cfg(target_os = "solana")]
pub mod syscalls;

/// Print a string to the log.
#[inline]
pub fn sol_log(message: &str) {
    #[cfg(target_os = "solana")]
    unsafe {
        syscalls::sol_log_(message.as_ptr(), message.len() as u64);
    }

    #[cfg(all(not(target_os = "solana"), feature = "std"))]
    if !host::log(message) {
        std::println!("{message}");
    }

    #[cfg(all(not(target_os = "solana"), not(feature = "std")))]
    core::hint::black_box(message);
}

/// Off chain: a host that runs programs natively (not as SBF) can take their log
/// messages, as the runtime's `sol_log_` syscall does on chain.
#[cfg(all(not(target_os = "solana"), feature = "std"))]
pub mod host {
    use std::sync::OnceLock;

    /// Takes a message; returns false when no program is running on this thread (the
    /// message then goes to stdout, as upstream).
    pub type Logger = fn(&str) -> bool;

    static LOGGER: OnceLock<Logger> = OnceLock::new();

    /// Installs the process's logger; the first one installed stays.
    pub fn set_logger(logger: Logger) {
        let _ = LOGGER.set(logger);
    }

    pub(crate) fn log(message: &str) -> bool {
        LOGGER.get().is_some_and(|logger| logger(message))
    }
}
