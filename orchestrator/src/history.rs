//! The history of jobs whose accounts were closed, kept in the database (`store`):
//! - at start, the program's transactions since the last scan are read, oldest first,
//!   and folded into job records by their events (`ignis_client::history`), so an
//!   orchestrator with an empty database rebuilds every closed job from the chain;
//! - while running, jobs the index saw close move from memory into the database, so
//!   memory holds only live jobs.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};

use futures::StreamExt;
use ignis_client::history::JobRecord;
use solana_signature::Signature;
use tokio_util::sync::CancellationToken;

use crate::{
    store::{ClosedJob, ClosedTotals, JobFilter},
    Shared,
};

/// Transactions fetched at once.
const IN_FLIGHT: usize = 16;
/// How often closed jobs move from memory to the database.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Most closed jobs saved in one database transaction.
const FLUSH_BATCH: usize = 2_000;

/// Closed jobs between the index and the database, and the database's totals.
#[derive(Default)]
pub struct Closed {
    /// Taken from the index and not yet saved, by (posted_at, id).
    unsaved: BTreeMap<(i64, u64), ClosedJob>,
    /// The database's totals as last read.
    saved: ClosedTotals,
}

impl Closed {
    /// Counts and volume of every closed job, saved or not.
    pub fn totals(&self) -> ClosedTotals {
        let mut totals = self.saved.clone();
        self.unsaved.values().for_each(|closed| totals.add(&closed.job));
        totals
    }

    /// Unsaved closed jobs matching `filter`, newest first, at most `limit`.
    pub fn page(&self, filter: JobFilter, limit: usize) -> Vec<ClosedJob> {
        self.unsaved
            .values()
            .rev()
            .filter(|c| filter.matches(&c.job))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn job(&self, id: u64) -> Option<ClosedJob> {
        self.unsaved.values().rev().find(|closed| closed.job.id == id).cloned()
    }
}

/// The history task: rebuild what closed while no orchestrator watched (unless
/// `--no-history-scan`), then keep moving closed jobs into the database.
pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    refresh_totals(&shared).await?;
    if !shared.settings.no_history_scan {
        backfill(&shared, &shutdown).await?;
    }
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(FLUSH_EVERY) => {}
        }
        if let Err(err) = flush(&shared).await {
            tracing::warn!(
                "cannot save closed jobs to the history database ({err:#}): they stay in memory and are tried again"
            );
        }
    }
    // What closed last goes in too; what cannot is rebuilt from the chain next start.
    let _ = tokio::time::timeout(Duration::from_secs(2), flush(&shared)).await;
    Ok(())
}

async fn refresh_totals(shared: &Shared) -> anyhow::Result<()> {
    let totals = shared.store.totals().await?;
    shared.closed.lock().expect("closed lock").saved = totals;
    Ok(())
}

/// Moves the jobs the index saw close into the database.
pub async fn flush(shared: &Shared) -> anyhow::Result<usize> {
    let batch: Vec<ClosedJob> = {
        // Index, then closed: a reader of both (the stats) never counts a job twice.
        let mut index = shared.index.write().expect("index lock");
        let mut closed = shared.closed.lock().expect("closed lock");
        for job in index.take_closed() {
            closed.unsaved.insert(job.cursor(), job);
        }
        closed.unsaved.values().take(FLUSH_BATCH).cloned().collect()
    };
    if batch.is_empty() {
        return Ok(0);
    }
    let saved = shared.store.save_closed(&batch).await?;
    let totals = shared.store.totals().await?;
    let mut closed = shared.closed.lock().expect("closed lock");
    for job in &batch {
        closed.unsaved.remove(&job.cursor());
    }
    closed.saved = totals;
    Ok(saved)
}

/// Reads the program's transactions since the last scan and saves the jobs that closed.
async fn backfill(shared: &Shared, shutdown: &CancellationToken) -> anyhow::Result<()> {
    let started = Instant::now();
    let client = &shared.chain.client;
    let state = shared.store.scan_state().await?;
    let until = match state.newest_signature.as_deref().map(str::parse::<Signature>) {
        Some(Ok(signature)) => Some(signature),
        Some(Err(_)) => anyhow::bail!("the history database holds a malformed scan position"),
        None => None,
    };
    let signatures = match client.signatures_for(&ignis::ID, until).await {
        Ok(signatures) => signatures,
        Err(err) => {
            tracing::warn!(
                "cannot read the program's transactions from {} ({err}): jobs closed while no orchestrator ran will not be shown",
                shared.chain.url()
            );
            return Ok(());
        }
    };
    let total = signatures.len();
    let newest = signatures.last().copied();
    let mut transactions = futures::stream::iter(signatures)
        .map(|signature| async move { client.confirmed_transaction(&signature).await })
        .buffered(IN_FLIGHT);
    let mut records: HashMap<u64, JobRecord> =
        state.open_records.into_iter().map(|record| (record.job.id, record)).collect();
    let mut closed = Vec::new();
    let mut scanned = 0usize;
    let mut complete = true;
    loop {
        let next = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            next = transactions.next() => next,
        };
        let Some(transaction) = next else { break };
        let transaction = match transaction {
            Ok(transaction) => transaction,
            Err(err) => {
                tracing::warn!(
                    "reading the program's transactions stopped after {scanned} of {total} ({err}): the next start reads them again"
                );
                complete = false;
                break;
            }
        };
        scanned += 1;
        for event in transaction.job_events() {
            let id = event.job_id();
            match JobRecord::apply(records.remove(&id), &event, transaction.slot) {
                Some(record) if record.closed => {
                    closed.push(ClosedJob { job: record.job, slot: record.slot })
                }
                Some(record) => {
                    records.insert(id, record);
                }
                None => {}
            }
        }
        if scanned.is_multiple_of(5_000) {
            tracing::info!(scanned, total, "reading the program's history");
        }
    }
    let mut restored = 0;
    for batch in closed.chunks(FLUSH_BATCH) {
        restored += shared.store.save_closed(batch).await?;
    }
    // The position moves on only once everything before it is in.
    if let (true, Some(newest)) = (complete, newest) {
        let open: Vec<JobRecord> = records.into_values().collect();
        shared.store.save_scan(&newest.to_string(), &open).await?;
    }
    refresh_totals(shared).await?;
    tracing::info!(
        transactions = scanned,
        restored,
        seconds = started.elapsed().as_secs_f64(),
        "read the program's history since the last scan"
    );
    Ok(())
}
