//! `cargo idl` writes idl/ignis.json; `cargo idl --check` fails if it is stale.

use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    let check = std::env::args().any(|arg| arg == "--check");
    let path = ignis_idl::committed_idl_path();
    eprintln!("building the IDL of programs/ignis ...");
    let fresh = ignis_idl::build_idl_json()?;
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            eprintln!("{} is stale: run `cargo idl` and commit it", path.display());
            return Ok(ExitCode::FAILURE);
        }
        eprintln!("{} is up to date", path.display());
    } else {
        std::fs::create_dir_all(path.parent().unwrap())?;
        std::fs::write(&path, fresh)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
