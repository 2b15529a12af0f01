//! Pushes this worker's job updates from the cluster's websocket (programSubscribe with
//! the same filters as the poll), so a new assignment starts at once and the poll can
//! be rare. The chain stays the source of truth: the poll still runs, and catches up on
//! anything missed while the websocket was down.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use anchor_lang::prelude::Pubkey;
use futures::StreamExt;
use ignis::state::Job;
use ignis_client::{queries::assigned_job_filters, watch::job_updates};
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Follows `worker`'s jobs on `url` until shutdown, reconnecting with backoff; sends each
/// updated job to `jobs`. `connected` tells the poll loop whether updates are flowing.
pub async fn follow(
    url: String,
    worker: Pubkey,
    jobs: UnboundedSender<Job>,
    connected: Arc<AtomicBool>,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let session = subscribe(&url, &worker, &jobs, &connected);
        tokio::select! {
            _ = shutdown.cancelled() => break,
            result = session => {
                if connected.swap(false, Ordering::Relaxed) {
                    // It worked for a while: retry quickly.
                    backoff = Duration::from_millis(250);
                }
                match result {
                    Ok(()) => tracing::warn!(%url, "the websocket closed; polling until it is back"),
                    Err(err) => tracing::debug!(%url, "websocket unavailable ({err:#}); polling"),
                }
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    connected.store(false, Ordering::Relaxed);
}

async fn subscribe(
    url: &str,
    worker: &Pubkey,
    jobs: &UnboundedSender<Job>,
    connected: &AtomicBool,
) -> anyhow::Result<()> {
    let client = PubsubClient::new(url).await?;
    let mut streams = vec![];
    for filters in assigned_job_filters(worker) {
        streams.push(job_updates(&client, filters).await?);
    }
    connected.store(true, Ordering::Relaxed);
    tracing::info!(%url, "following assigned jobs over the websocket");
    let mut updates = futures::stream::select_all(streams);
    while let Some(job) = updates.next().await {
        if jobs.send(job).is_err() {
            break;
        }
    }
    Ok(())
}
