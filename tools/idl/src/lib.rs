//! Builds `idl/ignis.json` from the program source through `anchor-lang-idl`'s builder,
//! the same IDL `anchor build` would write, without the anchor CLI.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

pub fn committed_idl_path() -> PathBuf {
    workspace_root().join("idl/ignis.json")
}

/// Compiles the program with `idl-build` and returns the IDL as pretty JSON.
pub fn build_idl_json() -> Result<String> {
    let root = workspace_root();
    // With RUSTUP_TOOLCHAIN set (rustup sets it for everything cargo runs) the builder
    // calls `rustup toolchain install`, which must never happen on these machines.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    // The builder sets RUSTFLAGS, which would invalidate every artifact of the main
    // build: give it a target dir of its own (it builds only the program and anchor).
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("idl-build");
    std::env::set_var("CARGO_TARGET_DIR", &target);
    let idl = anchor_lang_idl::build::IdlBuilder::new()
        .program_path(root.join("programs/ignis"))
        // Only the lib's tests hold the IDL printer.
        .cargo_args(vec!["--ignore-rust-version".into(), "--lib".into()])
        .build()
        .context("building the IDL (run with ANCHOR_LOG=1 to see cargo's output)")?;
    Ok(serde_json::to_string_pretty(&idl)? + "\n")
}
