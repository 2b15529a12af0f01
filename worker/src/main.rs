use clap::Parser;
use ignis_worker::config::{Cli, Command};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    // Logs on stderr, like the orchestrator's and the CLI's: stdout is the bench's table.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(config) => {
            let shutdown = CancellationToken::new();
            tokio::spawn(stop_on_signal(shutdown.clone()));
            ignis_worker::run(config, shutdown).await
        }
        Command::Bench(config) => {
            tokio::task::spawn_blocking(move || ignis_worker::bench::run(&config))
                .await
                .unwrap_or_else(|err| Err(anyhow::anyhow!("the benchmark panicked: {err}")))
        }
    };
    // Exit now rather than return: dropping the runtime would wait for a kernel still
    // running on a blocking thread (a matmul cannot be interrupted); its journal is safe.
    match result {
        Ok(()) => std::process::exit(0),
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::exit(1)
        }
    }
}

/// Ctrl-C or SIGTERM: stop taking jobs, checkpoint the running ones, exit.
async fn stop_on_signal(shutdown: CancellationToken) {
    ignis_client::process::stop_signal().await;
    tracing::info!("shutting down");
    shutdown.cancel();
}
