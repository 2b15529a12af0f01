//! The worker's main loop: take assigned jobs as the websocket pushes them and from a
//! poll of the chain (frequent while the websocket is down, rare while it is up), claim
//! open jobs itself at the poll when every orchestrator is silent, run each in its own
//! task, answer capacity challenges beside them, and on shutdown let running jobs
//! finish or checkpoint.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::Result;
use ignis::state::Job;
use ignis_kernels::{bench::measure_hashrate, select, Backend};
use tokio::{sync::mpsc, task::JoinSet};
use tokio_util::sync::CancellationToken;

use crate::{
    config::RunConfig,
    journal::Journal,
    node::{is_rpc_fault, Backoff, Node},
    runner::{Outcome, Runtime},
};

/// How long a stopping worker waits for running jobs to checkpoint.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Tries at starting up against a cluster that answers with RPC faults: registering now
/// also waits for the stake deposit's slot to pass, so a flaky node gets more of them.
const STARTUP_ATTEMPTS: u32 = 12;
/// While the websocket pushes updates, the poll only catches what it missed.
const POLLS_SAVED_BY_WEBSOCKET: u32 = 10;

pub async fn run(config: RunConfig, shutdown: CancellationToken) -> Result<()> {
    let keypair_path = ignis_client::process::expand_home(&config.keypair);
    let operator = solana_keypair::read_keypair_file(&keypair_path).map_err(|err| {
        anyhow::anyhow!(
            "cannot read the operator keypair at {keypair_path}: {err}\n\
             create one with `ignis keygen` or pass --keypair FILE"
        )
    })?;
    let backend: Arc<dyn Backend> = Arc::from(select(config.backend)?);
    let register = config.register.then_some((config.min_price, config.max_jobs));
    let hashrate = match (register, config.hashrate) {
        (None, _) => 0,
        (Some(_), Some(claimed)) => claimed,
        (Some(_), None) => measure_hashrate(backend.as_ref(), Duration::from_millis(300)),
    };
    // A flaky cluster gets a few tries; one that never answers, or a program refusal
    // (not initialised, no stake), ends the run with the error at once.
    let mut backoff = Backoff::default();
    let mut attempt = 1;
    let (node, worker) = loop {
        let started = async {
            let node = Node::connect(
                &config.url,
                config.budget,
                !config.preflight.on,
                operator.insecure_clone(),
            )
            .await?;
            let worker = node.ensure_registered(backend.info(), hashrate, register).await?;
            anyhow::Ok((node, worker))
        };
        match started.await {
            Ok(started) => break started,
            Err(err) if is_rpc_fault(&err) && attempt < STARTUP_ATTEMPTS => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    error = format!("{err:#}"),
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    "cannot start yet"
                );
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(delay) => {}
                }
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    };
    let journal_dir = config
        .journal_dir
        .clone()
        .unwrap_or_else(|| default_journal_dir(&node.operator_key().to_string()));
    let journal = Journal::open(&journal_dir)?;
    tracing::info!(
        worker = %node.worker,
        device = %backend.info(),
        journal = %journal_dir.display(),
        max_jobs = worker.settings.max_concurrent_jobs,
        "worker running"
    );
    let runtime = Arc::new(Runtime::new(
        node,
        backend,
        journal,
        shutdown.clone(),
        config.poll_interval(),
        config.orchestrator.clone(),
    ));
    let (pushed_tx, pushed) = mpsc::unbounded_channel();
    let websocket_up = Arc::new(AtomicBool::new(false));
    let follower = tokio::spawn(crate::follow::follow(
        config.ws_url(),
        runtime.node.worker,
        pushed_tx,
        websocket_up.clone(),
        shutdown.clone(),
    ));
    let challenges = tokio::spawn(crate::challenge::answer_challenges(
        runtime.clone(),
        crate::challenge::CHALLENGE_POLL.min(config.poll_interval() * 4),
        shutdown.clone(),
    ));
    let result = serve(runtime, config.poll_interval(), pushed, &websocket_up, shutdown).await;
    follower.abort();
    challenges.abort();
    result
}

async fn serve(
    runtime: Arc<Runtime>,
    poll: Duration,
    mut pushed: mpsc::UnboundedReceiver<Job>,
    websocket_up: &AtomicBool,
    shutdown: CancellationToken,
) -> Result<()> {
    let mut tasks = Tasks::default();
    let mut backoff = Backoff::default();
    let mut next_poll = tokio::time::Instant::now();
    loop {
        tasks.reap_finished();
        if tokio::time::Instant::now() >= next_poll {
            let delay = match runtime.node.client.jobs_of_worker(&runtime.node.worker).await {
                Ok(jobs) => {
                    backoff.reset();
                    for (_, job) in jobs {
                        tasks.start(&runtime, job);
                    }
                    // With every orchestrator gone, the worker takes open jobs itself.
                    match crate::claim::claim_open_jobs(&runtime.node).await {
                        Ok(claimed) => {
                            for job in claimed {
                                tasks.start(&runtime, job);
                            }
                        }
                        Err(err) => tracing::debug!("claiming open jobs: {err:#}"),
                    }
                    // A websocket that drops is noticed at the next (rare) poll at worst.
                    if websocket_up.load(Ordering::Relaxed) {
                        poll * POLLS_SAVED_BY_WEBSOCKET
                    } else {
                        poll
                    }
                }
                Err(err) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(%err, retry_in_ms = delay.as_millis() as u64, "cannot list assigned jobs");
                    delay
                }
            };
            next_poll = tokio::time::Instant::now() + delay;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(next_poll) => {}
            Some(job) = pushed.recv() => tasks.start(&runtime, job),
        }
    }
    tasks.drain().await;
    tracing::info!("worker stopped");
    Ok(())
}

/// The running job tasks, at most one per job id.
#[derive(Default)]
struct Tasks {
    running: JoinSet<Result<Outcome>>,
    job_of_task: HashMap<tokio::task::Id, u64>,
    in_progress: HashSet<u64>,
}

type Finished = Result<(tokio::task::Id, Result<Outcome>), tokio::task::JoinError>;

impl Tasks {
    fn start(&mut self, runtime: &Arc<Runtime>, job: Job) {
        if runtime.needs_work(&job) && self.in_progress.insert(job.id) {
            let (runtime, id) = (runtime.clone(), job.id);
            let handle = self.running.spawn(async move { runtime.work(job).await });
            self.job_of_task.insert(handle.id(), id);
        }
    }

    fn reap_finished(&mut self) {
        while let Some(done) = self.running.try_join_next_with_id() {
            self.reap(done);
        }
    }

    /// Lets running jobs finish or checkpoint, for at most the grace period.
    async fn drain(&mut self) {
        if !self.running.is_empty() {
            tracing::info!(
                jobs = self.running.len(),
                "stopping: letting running jobs finish or checkpoint"
            );
        }
        let deadline = tokio::time::sleep(SHUTDOWN_GRACE);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                done = self.running.join_next_with_id() => match done {
                    Some(done) => self.reap(done),
                    None => break,
                },
                _ = &mut deadline => {
                    tracing::warn!(jobs = self.running.len(), "jobs still running after the grace period; their journals keep the progress");
                    break;
                }
            }
        }
    }

    fn reap(&mut self, done: Finished) {
        let (task, result) = match done {
            Ok((task, result)) => (task, Ok(result)),
            Err(err) => (err.id(), Err(err)),
        };
        let Some(job) = self.job_of_task.remove(&task) else { return };
        self.in_progress.remove(&job);
        match result {
            Ok(Ok(outcome)) => tracing::debug!(job, ?outcome, "job pass ended"),
            Ok(Err(err)) => tracing::error!(
                job,
                error = format!("{err:#}"),
                "job failed; will retry from the journal"
            ),
            Err(err) => {
                tracing::error!(job, %err, "job task panicked; will retry from the journal")
            }
        }
    }
}

fn default_journal_dir(operator: &str) -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("ignis").join(format!("worker-{operator}"))
}
