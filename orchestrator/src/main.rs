//! `ignis-orchestrator [run]`: the orchestrator until Ctrl-C. `ignis-orchestrator
//! bench`: the matcher's throughput on synthetic data.

use clap::{Parser, Subcommand};
use ignis_orchestrator::{bench, CancellationToken, Config};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "ignis-orchestrator",
    version,
    about = "Matches Ignis jobs to workers, cranks deadlines, verifies results, serves the API"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Flags of `run`, the default command.
    #[command(flatten)]
    run: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Run the orchestrator (the default).
    Run(Box<Config>),
    /// Match synthetic jobs against synthetic workers in memory and print throughput.
    Bench {
        /// Job counts to try (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = bench::SIZES)]
        jobs: Vec<usize>,
        /// Worker counts to try (comma-separated).
        #[arg(long, value_delimiter = ',', default_values_t = bench::WORKERS)]
        workers: Vec<usize>,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Bench { jobs, workers }) => {
            if cfg!(debug_assertions) {
                eprintln!(
                    "note: an unoptimised build; for real numbers add `--release`, or build this package at \
                     opt-level 3 (`[profile.dev.package.ignis-orchestrator] opt-level = 3`)"
                );
            }
            let rows = bench::run(&jobs, &workers);
            print!("{}", bench::table(&rows));
            Ok(())
        }
        Some(Command::Run(config)) => run(*config).await,
        None => run(cli.run).await,
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        ignis_client::process::stop_signal().await;
        tracing::info!("stopping");
        stop.cancel();
    });
    ignis_orchestrator::run(config, shutdown).await
}
