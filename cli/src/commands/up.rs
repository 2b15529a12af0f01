//! `ignis up`: the whole network on this machine in one process: the localnet, the
//! protocol initialised, the orchestrator, a worker per backend, the web app and a
//! funded demo wallet. Ctrl-C stops everything. Each part is also its own binary
//! (`ignis-localnet`, `ignis-orchestrator`, `ignis-worker`) for real clusters.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _, Result};
use ignis::state::{EmissionSchedule, Params};
use ignis_client::{
    bootstrap::{self, Genesis},
    instructions::Protocol,
    rpc::IgnisClient,
    token,
};
use ignis_kernels::BackendChoice;
use ignis_localnet::server::{Localnet, LocalnetConfig};
use serde_json::json;
use solana_keypair::{write_keypair_file, Keypair};
use solana_signer::Signer;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{args::UpArgs, output::Report};

const IGN: u64 = 1_000_000_000;
const LAMPORTS_PER_SOL: u64 = 1_000_000_000;

pub async fn up(args: UpArgs) -> Result<Report> {
    std::fs::create_dir_all(&args.state_dir).with_context(|| {
        format!("cannot create the state directory {}", args.state_dir.display())
    })?;
    let state_dir = args.state_dir.canonicalize()?;
    let app_dir = prepare_app(&args.app_dir, args.skip_app_build)?;

    step("starting the localnet");
    let localnet = Localnet::start(LocalnetConfig {
        rpc_port: args.rpc_port,
        ws_port: args.ws_port,
        slot_time_ms: args.slot_time_ms,
        ..Default::default()
    })
    .context(
        "cannot start the localnet (is another one using the port? pass --rpc-port/--ws-port)",
    )?;
    let (rpc_url, ws_url) = (localnet.rpc_url(), localnet.ws_url());
    let client = IgnisClient::new(&rpc_url);

    step("initialising the protocol");
    let admin = keypair_file(&state_dir, "admin")?;
    bootstrap::airdrop(&client, &admin.0.pubkey(), 1_000 * LAMPORTS_PER_SOL).await?;
    let genesis = Genesis {
        decimals: 9,
        supply: 100_000_000 * IGN,
        token_program: token::TOKEN_PROGRAM_ID,
        orchestrator: admin.0.pubkey(),
        verifier: admin.0.pubkey(),
        // Capacity challenges every 2 minutes or so, of up to 5 s of work: the
        // dashboard shows proven figures within a minute of starting, at about 3% of
        // the local CPU (a real cluster's defaults: 10 minutes, 30 s).
        params: Params {
            challenge_interval_seconds: 120,
            challenge_work_seconds: 5,
            ..Params::default()
        },
        emission: EmissionSchedule::default(),
    };
    let protocol = bootstrap::initialize_protocol(&client, &admin.0, genesis).await?;

    let shutdown = CancellationToken::new();
    let mut services = JoinSet::new();

    step("starting the orchestrator");
    let api_addr = SocketAddr::from(([127, 0, 0, 1], args.api_port));
    let mut orchestrator =
        ignis_orchestrator::config::Config::local(&rpc_url, admin.1.to_string_lossy());
    orchestrator.api_addr = api_addr;
    orchestrator.ws_url = Some(ws_url.clone());
    orchestrator.poll_ms = 200;
    // Its history database and blob store sit with the network's other state. Each `up`
    // starts a new chain, so an earlier run's history belongs to a deployment that is gone.
    let history_dir = state_dir.join("history");
    if history_dir.exists() {
        std::fs::remove_dir_all(&history_dir).with_context(|| {
            format!("cannot remove the previous run's history in {}", history_dir.display())
        })?;
    }
    orchestrator.data_dir = history_dir.to_string_lossy().into_owned();
    orchestrator.blob_max_bytes = args.blob_max_bytes;
    services.spawn(named("orchestrator", ignis_orchestrator::run(orchestrator, shutdown.clone())));
    let api_url = format!("http://{api_addr}");

    let backends = worker_backends(args.workers, args.backend);
    for (index, backend) in backends.iter().enumerate() {
        step(&format!("starting worker {} ({backend})", index + 1));
        let (operator, file) = keypair_file(&state_dir, &format!("worker-{}", index + 1))?;
        fund(&client, &protocol, &admin.0, &operator.pubkey(), 10, 1_000).await?;
        let stake_from =
            token::associated_account(&operator.pubkey(), &protocol.mint, &protocol.token_program);
        client
            .send(&[protocol.stake(operator.pubkey(), stake_from, 200 * IGN)], &[&operator])
            .await?;
        let mut worker = ignis_worker::RunConfig::new(&rpc_url, file.to_string_lossy());
        worker.backend = *backend;
        worker.register = true;
        worker.poll_ms = 200;
        worker.orchestrator = vec![api_url.clone()];
        worker.journal_dir = Some(state_dir.join(format!("journal-{}", index + 1)));
        services.spawn(named("worker", ignis_worker::run(worker, shutdown.clone())));
    }

    step("funding the demo wallet");
    let (demo, demo_file) = keypair_file(&state_dir, "demo-wallet")?;
    fund(&client, &protocol, &admin.0, &demo.pubkey(), 100, 10_000).await?;

    let app_url = match &app_dir {
        Some(dir) => {
            let addr = SocketAddr::from(([127, 0, 0, 1], args.app_port));
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("cannot serve the web app on {addr}: pass another --app-port")
            })?;
            let addr = listener.local_addr()?;
            let index = dir.join("index.html");
            let app = axum::Router::new().fallback_service(
                tower_http::services::ServeDir::new(dir)
                    .fallback(tower_http::services::ServeFile::new(index)),
            );
            let stop = shutdown.clone();
            services.spawn(named("web app", async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await
                    .map_err(Into::into)
            }));
            let url = reqwest::Url::parse_with_params(
                &format!("http://{addr}/"),
                [("rpc", &rpc_url), ("api", &api_url)],
            )?;
            Some(url.to_string())
        }
        None => None,
    };

    wait_ready(&client, &api_url, backends.len(), &mut services).await?;
    let network = json!({
        "rpcUrl": rpc_url,
        "wsUrl": ws_url,
        "apiUrl": api_url,
        "appUrl": app_url,
        "mint": protocol.mint.to_string(),
        "demoWallet": { "pubkey": demo.pubkey().to_string(), "keypairPath": demo_file.to_string_lossy() },
    });
    std::fs::write(state_dir.join("network.json"), serde_json::to_vec_pretty(&network)?)?;
    print_banner(&network, &protocol, &state_dir, &demo_file);

    let stopped_early = tokio::select! {
        _ = ignis_client::process::stop_signal() => None,
        finished = services.join_next() => finished,
    };
    if let Some(finished) = stopped_early {
        eprintln!("a service stopped unexpectedly: {}", describe(finished));
    }
    eprintln!("stopping the network ...");
    shutdown.cancel();
    while let Some(finished) = services.join_next().await {
        if let Err(err) = finished.map_err(anyhow::Error::from).and_then(|r| r) {
            eprintln!("  {err:#}");
        }
    }
    localnet.shutdown()?;
    let _ = std::fs::remove_file(state_dir.join("network.json"));
    Ok(Report::new(json!({ "stopped": true }), ["the network stopped".to_string()]))
}

async fn named(
    what: &'static str,
    service: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    service.await.with_context(|| format!("the {what} failed"))
}

fn describe(finished: Result<Result<()>, tokio::task::JoinError>) -> String {
    match finished {
        Ok(Ok(())) => "it exited".into(),
        Ok(Err(err)) => format!("{err:#}"),
        Err(err) => err.to_string(),
    }
}

fn step(what: &str) {
    eprintln!("• {what} ...");
}

/// A keypair saved at `<state>/<name>.json` (a fresh chain gets fresh keys).
fn keypair_file(state_dir: &Path, name: &str) -> Result<(Keypair, PathBuf)> {
    let keypair = Keypair::new();
    let file = state_dir.join(format!("{name}.json"));
    write_keypair_file(&keypair, &file)
        .map_err(|err| anyhow::anyhow!("cannot write {}: {err}", file.display()))?;
    Ok((keypair, file))
}

async fn fund(
    client: &IgnisClient,
    protocol: &Protocol,
    admin: &Keypair,
    to: &anchor_lang::prelude::Pubkey,
    sol: u64,
    ign: u64,
) -> Result<()> {
    bootstrap::airdrop(client, to, sol * LAMPORTS_PER_SOL).await?;
    bootstrap::transfer_ign(client, protocol, admin, to, ign * IGN).await?;
    Ok(())
}

/// The first worker takes `choice` (under `auto` it opens the GPU itself when there is
/// one, else the CPU); `--workers` adds CPU workers.
fn worker_backends(workers: Option<usize>, choice: BackendChoice) -> Vec<BackendChoice> {
    let count = workers.unwrap_or(1).max(1);
    std::iter::once(choice).chain(std::iter::repeat(BackendChoice::Cpu)).take(count).collect()
}

/// The built web app, building it with npm when it is missing.
fn prepare_app(app_dir: &Path, skip_build: bool) -> Result<Option<PathBuf>> {
    let dist = app_dir.join("dist");
    if dist.join("index.html").exists() {
        return Ok(Some(dist.canonicalize()?));
    }
    if skip_build {
        eprintln!(
            "• no built web app in {} (--skip-app-build): serving the API only",
            dist.display()
        );
        return Ok(None);
    }
    if !app_dir.join("package.json").exists() {
        eprintln!("• no web app at {}: serving the API only (pass --app-dir)", app_dir.display());
        return Ok(None);
    }
    step("building the web app (npm ci && npm run build, once)");
    for args in [&["ci", "--no-audit", "--no-fund", "--loglevel=error"][..], &["run", "build"][..]]
    {
        let status = std::process::Command::new("npm")
            .args(args)
            .current_dir(app_dir)
            .status()
            .context(
            "cannot run npm: install Node.js 20+ to build the web app, or pass --skip-app-build",
        )?;
        if !status.success() {
            bail!("`npm {}` failed in {}", args.join(" "), app_dir.display());
        }
    }
    Ok(Some(dist.canonicalize()?))
}

/// Until the orchestrator's API answers healthy and every worker has registered.
async fn wait_ready(
    client: &IgnisClient,
    api_url: &str,
    workers: usize,
    services: &mut JoinSet<Result<()>>,
) -> Result<()> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Some(finished) = services.try_join_next() {
            bail!("a service stopped while starting: {}", describe(finished));
        }
        let healthy = http
            .get(format!("{api_url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        let registered =
            client.all::<ignis::state::Worker>(vec![]).await.map(|w| w.len()).unwrap_or(0);
        if healthy && registered >= workers {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the network did not become ready in 2 minutes (orchestrator healthy: {healthy}, workers registered: {registered}/{workers})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn print_banner(
    network: &serde_json::Value,
    protocol: &Protocol,
    state_dir: &Path,
    demo_file: &Path,
) {
    let get = |key: &str| network[key].as_str().unwrap_or("-").to_string();
    println!();
    println!("Ignis is running locally.");
    println!("  web app        {}", get("appUrl"));
    println!("  JSON-RPC       {}  (websocket {})", get("rpcUrl"), get("wsUrl"));
    println!("  orchestrator   {}/api/stats   metrics {}/metrics", get("apiUrl"), get("apiUrl"));
    println!("  IGN mint       {}", protocol.mint);
    println!(
        "  demo wallet    {} (10,000 IGN, 100 SOL), keypair {}",
        network["demoWallet"]["pubkey"].as_str().unwrap_or("-"),
        demo_file.display()
    );
    println!("  state          {}", state_dir.display());
    println!();
    println!("Next steps:");
    println!("  ignis --keypair {} status", demo_file.display());
    println!("  ignis --keypair {} job post --pow 16 --reward 1", demo_file.display());
    println!("  open the web app and connect a wallet (or import the demo keypair)");
    println!("Ctrl-C stops everything.");
}
