//! `ignis`: the command line of the Ignis network.

mod amount;
mod args;
mod commands;
mod context;
mod output;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("IGNIS_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = args::Cli::parse();
    let result = async {
        let ctx = context::Context::new(&cli.url, &cli.keypair);
        commands::run(&ctx, &cli.keypair, cli.command).await
    }
    .await;
    match result {
        Ok(report) => {
            report.print(cli.output);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
