//! The worker's main loop: poll the chain for assigned jobs, run each in its own task,
//! and on shutdown let running jobs finish or checkpoint.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use anyhow::Result;
use ignis_kernels::{bench::measure_hashrate, select, Backend};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{
    config::RunConfig,
    journal::Journal,
    node::{Backoff, Node},
    runner::{Outcome, Runtime},
};

/// How long a stopping worker waits for running jobs to checkpoint.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub async fn run(config: RunConfig, shutdown: CancellationToken) -> Result<()> {
    let keypair_path = ignis_client::process::expand_home(&config.keypair);
    let operator = solana_keypair::read_keypair_file(&keypair_path).map_err(|err| {
        anyhow::anyhow!(
            "cannot read the operator keypair at {keypair_path}: {err}\n\
             create one with `ignis keygen` or pass --keypair FILE"
        )
    })?;
    let backend: Arc<dyn Backend> = Arc::from(select(config.backend)?);
    let node = Node::connect(&config.url, operator).await?;
    let register = config.register.then_some((config.min_price, config.max_jobs));
    let hashrate = if register.is_some() { measure_hashrate(backend.as_ref(), Duration::from_millis(300)) } else { 0 };
    let worker = node.ensure_registered(backend.info(), hashrate, register).await?;
    let journal_dir = config.journal_dir.clone().unwrap_or_else(|| default_journal_dir(&node.operator_key().to_string()));
    let journal = Journal::open(&journal_dir)?;
    tracing::info!(
        worker = %node.worker,
        device = %backend.info(),
        journal = %journal_dir.display(),
        max_jobs = worker.settings.max_concurrent_jobs,
        "worker running"
    );
    let runtime =
        Arc::new(Runtime::new(node, backend, journal, shutdown.clone(), config.poll_interval(), config.orchestrator.clone()));
    serve(runtime, config.poll_interval(), shutdown).await
}

async fn serve(runtime: Arc<Runtime>, poll: Duration, shutdown: CancellationToken) -> Result<()> {
    let mut running = JoinSet::new();
    let mut job_of_task = HashMap::new();
    let mut in_progress = HashSet::new();
    let mut backoff = Backoff::default();
    loop {
        while let Some(done) = running.try_join_next_with_id() {
            reap(done, &mut job_of_task, &mut in_progress);
        }
        let delay = match runtime.node.client.jobs_of_worker(&runtime.node.worker).await {
            Ok(jobs) => {
                backoff.reset();
                for (_, job) in jobs {
                    if runtime.needs_work(&job) && in_progress.insert(job.id) {
                        let (runtime, id) = (runtime.clone(), job.id);
                        let handle = running.spawn(async move { runtime.work(job).await });
                        job_of_task.insert(handle.id(), id);
                    }
                }
                poll
            }
            Err(err) => {
                let delay = backoff.next_delay();
                tracing::warn!(%err, retry_in_ms = delay.as_millis() as u64, "cannot list assigned jobs");
                delay
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
    if !running.is_empty() {
        tracing::info!(jobs = running.len(), "stopping: letting running jobs finish or checkpoint");
    }
    let deadline = tokio::time::sleep(SHUTDOWN_GRACE);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            done = running.join_next_with_id() => match done {
                Some(done) => reap(done, &mut job_of_task, &mut in_progress),
                None => break,
            },
            _ = &mut deadline => {
                tracing::warn!(jobs = running.len(), "jobs still running after the grace period; their journals keep the progress");
                break;
            }
        }
    }
    tracing::info!("worker stopped");
    Ok(())
}

type Finished = Result<(tokio::task::Id, Result<Outcome>), tokio::task::JoinError>;

fn reap(done: Finished, job_of_task: &mut HashMap<tokio::task::Id, u64>, in_progress: &mut HashSet<u64>) {
    let (task, result) = match done {
        Ok((task, result)) => (task, Ok(result)),
        Err(err) => (err.id(), Err(err)),
    };
    let Some(job) = job_of_task.remove(&task) else { return };
    in_progress.remove(&job);
    match result {
        Ok(Ok(outcome)) => tracing::debug!(job, ?outcome, "job pass ended"),
        Ok(Err(err)) => tracing::error!(job, error = format!("{err:#}"), "job failed; will retry from the journal"),
        Err(err) => tracing::error!(job, %err, "job task panicked; will retry from the journal"),
    }
}

fn default_journal_dir(operator: &str) -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("ignis").join(format!("worker-{operator}"))
}

