//! `ignis`: the command line of the Ignis network.

mod amount;
mod args;
mod commands;
mod context;
mod output;

use clap::Parser;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IGNIS_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = args::Cli::parse();
    let result = async {
        let ctx = context::Context::new(&cli.url, &cli.keypair, cli.budget);
        commands::run(&ctx, &cli.keypair, cli.command).await
    }
    .await;
    // Exit rather than return: after `ignis up` stops, dropping the runtime would wait
    // for a worker's kernel still running on a blocking thread.
    match result {
        Ok(report) => {
            report.print(cli.output);
            std::process::exit(0)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::exit(1)
        }
    }
}
