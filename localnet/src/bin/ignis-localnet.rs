//! `ignis-localnet`: a local Solana chain (JSON-RPC + websocket) with the ignis program,
//! SPL Token and Token-2022 loaded. Runs until Ctrl-C.

use {
    anyhow::{bail, Context, Result},
    clap::Parser,
    ignis_localnet::server::{Localnet, LocalnetConfig},
    solana_address::Address,
    std::net::IpAddr,
    tracing_subscriber::EnvFilter,
};

const LAMPORTS_PER_SOL: f64 = 1_000_000_000.0;

#[derive(Parser)]
#[command(about = "Local Solana chain with the ignis program (logs: RUST_LOG)")]
struct Args {
    #[arg(long, default_value_t = LocalnetConfig::default().bind_host)]
    host: IpAddr,
    #[arg(long, default_value_t = LocalnetConfig::default().rpc_port)]
    rpc_port: u16,
    #[arg(long, default_value_t = LocalnetConfig::default().ws_port)]
    ws_port: u16,
    #[arg(long, default_value_t = LocalnetConfig::default().slot_time_ms)]
    slot_time_ms: u64,
    /// Fund an account at genesis: PUBKEY:SOL (repeatable).
    #[arg(long, value_name = "PUBKEY:SOL", value_parser = parse_prefund)]
    prefund: Vec<(Address, u64)>,
}

fn parse_prefund(arg: &str) -> Result<(Address, u64)> {
    let (pubkey, sol) = arg.split_once(':').context("expected PUBKEY:SOL")?;
    let sol: f64 = sol.parse().context("SOL must be a number")?;
    if !sol.is_finite() || sol <= 0.0 {
        bail!("SOL must be positive");
    }
    Ok((pubkey.parse().context("invalid pubkey")?, (sol * LAMPORTS_PER_SOL).round() as u64))
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    let localnet = Localnet::start(LocalnetConfig {
        bind_host: args.host,
        rpc_port: args.rpc_port,
        ws_port: args.ws_port,
        slot_time_ms: args.slot_time_ms,
        prefund: args.prefund,
    })?;
    println!("RPC:       {}", localnet.rpc_url());
    println!("WebSocket: {}", localnet.ws_url());

    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?
        .block_on(tokio::signal::ctrl_c())?;
    tracing::info!("shutting down");
    localnet.shutdown()
}
