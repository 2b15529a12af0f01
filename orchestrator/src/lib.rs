//! The Ignis orchestrator: indexes the program's accounts, matches open jobs to
//! workers, cranks deadlines, verifies single-replica kernel results, and serves an
//! HTTP API with metrics. Live state is rebuilt from the chain at start; the history of
//! closed jobs is kept in a database, and what it misses is rebuilt from the chain.
//!
//! One task per job, sharing [`Shared`]: `indexer` (chain -> index), `dispatch`
//! (matcher -> assign transactions), `crank` (expire, refund, finalize), `verifier`
//! (attest or dispute), `history` (closed jobs -> the database, `store`), `api`
//! (HTTP). They stop on the cancellation token.

pub mod api;
pub mod bench;
pub mod blobs;
pub mod chain;
pub mod config;
pub mod crank;
pub mod dispatch;
pub mod heartbeat;
pub mod history;
pub mod index;
pub mod indexer;
pub mod matcher;
pub mod metrics;
pub mod store;
pub mod verifier;
pub mod views;

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, RwLock,
    },
    time::Duration,
};

use anyhow::{anyhow, bail, Context as _};
use ignis_client::rpc::ClientError;
use tokio::{
    sync::{broadcast, watch},
    task::JoinSet,
};
pub use tokio_util::sync::CancellationToken;

pub use config::Config;
use index::Index;
use views::{JobView, Sample, StatsView, WorkerView};

/// An update for the API's event stream.
#[derive(Clone, Debug)]
pub enum Event {
    Job(Box<JobView>),
    Worker(Box<WorkerView>),
    Stats(Box<StatsView>),
}

/// What the tasks share.
pub struct Shared {
    pub settings: Config,
    pub chain: chain::Chain,
    pub index: RwLock<Index>,
    /// Bumped on every change worth a look (index, in-flight, uploads, clock); each task
    /// holds a receiver, so no wake-up is lost.
    pub generation: watch::Sender<u64>,
    pub events: broadcast::Sender<Event>,
    pub metrics: metrics::Metrics,
    pub uploads: Mutex<HashMap<u64, verifier::Upload>>,
    pub history: Mutex<VecDeque<Sample>>,
    /// The job history database.
    pub store: store::Store,
    /// The data plane (its records share the history database).
    pub blobs: Arc<blobs::BlobStore>,
    /// Closed jobs on their way from the index into `store`. Lock after `index`.
    pub closed: Mutex<history::Closed>,
    pub websocket_up: AtomicBool,
    pub shutdown: CancellationToken,
}

impl Shared {
    pub fn wake(&self) {
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    pub fn set_websocket(&self, up: bool) {
        self.websocket_up.store(up, Ordering::Relaxed);
        self.metrics.websocket_connected.set(i64::from(up));
    }
}

/// Waits for the next round of a task's loop: a change (then `settle`, so that a burst
/// of account updates arrives as one), the poll interval, or shutdown (false).
pub(crate) async fn next_round(
    shared: &Shared,
    wake: &mut watch::Receiver<u64>,
    shutdown: &CancellationToken,
    settle: Duration,
) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => false,
        _ = wake.changed() => {
            tokio::time::sleep(settle).await;
            true
        }
        _ = tokio::time::sleep(shared.settings.poll_interval()) => true,
    }
}

/// Gives a stopping task's sends in progress a moment, then cancels the rest: what is
/// cut off is rebuilt from the chain on the next start.
pub(crate) async fn drain<T: 'static>(mut tasks: JoinSet<T>) {
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
}

/// A started orchestrator.
pub struct Running {
    /// Where the API listens (useful with port 0).
    pub api_addr: SocketAddr,
    pub shared: Arc<Shared>,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Running {
    /// Waits until every task has stopped (after the shutdown token is cancelled, or
    /// one fails); returns the first error.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let (name, result) =
                joined.map_err(|e| anyhow!("an orchestrator task panicked: {e}"))?;
            if let Err(err) = result {
                tracing::error!("{name} stopped: {err:#}");
                // One part down means the rest must stop too.
                self.shared.shutdown.cancel();
                first_error.get_or_insert(err.context(format!("the {name} failed")));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Runs the orchestrator until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    start(config, shutdown).await?.wait().await
}

/// How many times startup reads the chain before a flaky cluster's faults end it.
const STARTUP_ATTEMPTS: u32 = 8;

/// Runs a startup read again on RPC faults, backing off from 200 ms to 5 s, so that a
/// flaky cluster (dropped, stalled or refused calls) does not stop the orchestrator;
/// one with nothing listening fails at once, with the error that says so.
async fn patiently<T, Fut>(what: &str, mut read: impl FnMut() -> Fut) -> Result<T, ClientError>
where
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let mut delay = Duration::from_millis(200);
    for attempt in 1.. {
        match read().await {
            Err(err @ ClientError::Rpc { .. })
                if attempt < STARTUP_ATTEMPTS && !err.nothing_listening() =>
            {
                tracing::warn!(%err, attempt, retry_in_ms = delay.as_millis() as u64, "{what}: the cluster failed the call; trying again");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            result => return result,
        }
    }
    unreachable!("the loop returns by the last attempt")
}

/// Checks the setup (keypair, cluster, protocol), reads the chain, binds the API and
/// starts every task. Errors say what to do.
pub async fn start(config: Config, shutdown: CancellationToken) -> anyhow::Result<Running> {
    let path = config.keypair_path();
    let keypair = solana_keypair::read_keypair_file(&path).map_err(|err| {
        anyhow!(
            "cannot read the orchestrator keypair at {path}: {err}\n\
             pass the orchestrator's key with --keypair FILE (or IGNIS_KEYPAIR), or create one with `ignis keygen`"
        )
    })?;
    let chain = chain::Chain::new(&config, keypair);
    let program_config = match patiently("reading the Ignis config", || chain.client.config()).await
    {
        Ok(config) => config,
        Err(ClientError::Rpc { .. }) => bail!(
            "cannot reach {}: is the localnet running? start it with `cargo localnet` (or pass --url)",
            config.url
        ),
        Err(ClientError::NotFound { .. }) => bail!(
            "the Ignis protocol is not initialised on {}: run `ignis admin init --orchestrator {}` there first",
            config.url,
            chain.me()
        ),
        Err(err) => return Err(anyhow!(err).context("reading the Ignis config")),
    };
    let me = chain.me();
    // Not fatal: until the fee payers are funded the orchestrator key pays, and the
    // heartbeat retries the top-up on every beat (a flaky RPC must not stop startup).
    if let Err(err) = chain.fund_fee_payers().await {
        tracing::warn!(
            "cannot fund the orchestrator's fee payers from {me} yet ({err}): it pays its own fees until they are; \
             fund {me} with SOL, or pass --fee-payers 0 to pay with it alone"
        );
    }
    match (program_config.orchestrator == me, program_config.verifier == me) {
        (true, true) => {}
        (false, false) => bail!(
            "{me} is neither the orchestrator ({}) nor the verifier ({}) of this deployment: pass the orchestrator's keypair with --keypair",
            program_config.orchestrator,
            program_config.verifier
        ),
        (true, false) => tracing::warn!(verifier = %program_config.verifier, "this key is not the verifier: results will not be attested or disputed"),
        (false, true) => tracing::warn!(orchestrator = %program_config.orchestrator, "this key is not the orchestrator: jobs will not be assigned"),
    }

    let database_url = config.database_url(&program_config.mint);
    let store = store::Store::open(&database_url).await?;
    store.bind_deployment(&program_config.mint).await?;
    let blob_url = config.blob_store_url(&program_config.mint);
    let objects = blobs::open_object_store(&blob_url, &[])?;
    let blobs = Arc::new(blobs::BlobStore::new(objects, store.clone(), config.blob_limits()));
    tracing::info!(store = %blob_url, "blob store");

    let (generation, _) = watch::channel(0u64);
    let (events, _) = broadcast::channel(4_096);
    let shared = Arc::new(Shared {
        settings: config.clone(),
        chain,
        index: RwLock::new(Index::default()),
        generation,
        events,
        metrics: metrics::Metrics::new(),
        uploads: Mutex::default(),
        history: Mutex::default(),
        store,
        blobs,
        closed: Mutex::default(),
        websocket_up: AtomicBool::new(false),
        shutdown: shutdown.clone(),
    });
    indexer::refresh_clock(&shared).await;
    let applied = patiently("reading the program's accounts", || async {
        indexer::resync(&shared, indexer::Source::Resync).await.map_err(|err| {
            match err.downcast::<ClientError>() {
                Ok(err) => err,
                Err(other) => ClientError::BadAnswer(format!("{other:#}")),
            }
        })
    })
    .await
    .with_context(|| format!("reading the program's accounts from {}", config.url))?;
    tracing::info!(accounts = applied, url = %config.url, orchestrator = %me, "indexed");

    let listener = tokio::net::TcpListener::bind(config.api_addr).await.map_err(|err| {
        anyhow!(
            "cannot listen on {}: {err}\nis another orchestrator running? choose another address with --api-addr",
            config.api_addr
        )
    })?;
    let api_addr = listener.local_addr()?;
    tracing::info!("API on http://{api_addr}");

    let mut tasks = JoinSet::new();
    let spawn = |tasks: &mut JoinSet<_>, name: &'static str, future| {
        tasks.spawn(async move { (name, future.await) });
    };
    spawn(
        &mut tasks,
        "indexer",
        Box::pin(indexer::run(shared.clone(), shutdown.clone()))
            as futures::future::BoxFuture<'static, _>,
    );
    spawn(&mut tasks, "matcher", Box::pin(dispatch::run(shared.clone(), shutdown.clone())));
    spawn(&mut tasks, "crank", Box::pin(crank::run(shared.clone(), shutdown.clone())));
    spawn(&mut tasks, "verifier", Box::pin(verifier::run(shared.clone(), shutdown.clone())));
    spawn(&mut tasks, "heartbeat", Box::pin(heartbeat::run(shared.clone(), shutdown.clone())));
    spawn(&mut tasks, "history", Box::pin(history::run(shared.clone(), shutdown.clone())));
    spawn(
        &mut tasks,
        "stats sampler",
        Box::pin(api::sample_stats(shared.clone(), shutdown.clone())),
    );
    let app = api::router(shared.clone());
    let stop = shutdown.clone();
    spawn(
        &mut tasks,
        "HTTP API",
        Box::pin(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .context("serving the API")
        }),
    );
    Ok(Running { api_addr, shared, tasks })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn startup_reads_outlast_a_flaky_cluster_and_not_an_absent_one() {
        let calls = AtomicU32::new(0);
        let flaky = patiently("reading", || async {
            match calls.fetch_add(1, Ordering::Relaxed) {
                0 | 1 => Err(ClientError::rpc_fault("http://x", "the call was dropped".into())),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!((flaky.unwrap(), calls.load(Ordering::Relaxed)), (7, 3));

        // Nothing listens on port 9: one try, and the error that says so.
        let client = ignis_client::rpc::IgnisClient::new("http://127.0.0.1:9");
        let calls = AtomicU32::new(0);
        let absent = patiently("reading", || {
            calls.fetch_add(1, Ordering::Relaxed);
            client.config()
        })
        .await;
        assert!(absent.as_ref().is_err_and(ClientError::nothing_listening), "{absent:?}");
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }
}
