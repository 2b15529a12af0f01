//! The history of jobs whose accounts were closed, rebuilt from the chain at start: the
//! program's transactions, oldest first, folded into job records by their events
//! (`ignis_client::history`). Jobs still on chain come from the account snapshot; this
//! adds the ones that are gone, so the API shows them as it did before a restart.
//! The scan reads every program transaction once per start (a database that keeps the
//! history between starts is the next step; `--no-history-scan` skips it).

use std::{collections::HashMap, sync::Arc, time::Instant};

use futures::StreamExt;
use ignis_client::history::JobRecord;
use tokio_util::sync::CancellationToken;

use crate::Shared;

/// Transactions fetched at once.
const IN_FLIGHT: usize = 16;

pub async fn backfill(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let started = Instant::now();
    let client = &shared.chain.client;
    let signatures = match client.signatures_for(&ignis::ID).await {
        Ok(signatures) => signatures,
        Err(err) => {
            tracing::warn!(
                "cannot read the program's transactions from {} ({err}): closed jobs will not be shown",
                shared.chain.url()
            );
            return Ok(());
        }
    };
    let total = signatures.len();
    let mut transactions = futures::stream::iter(signatures)
        .map(|signature| async move { client.confirmed_transaction(&signature).await })
        .buffered(IN_FLIGHT);
    let mut records: HashMap<u64, JobRecord> = HashMap::new();
    let mut scanned = 0usize;
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
                    "reading the program's transactions stopped after {scanned} of {total} ({err}): some closed jobs will not be shown"
                );
                break;
            }
        };
        scanned += 1;
        for event in transaction.job_events() {
            let id = event.job_id();
            if let Some(record) = JobRecord::apply(records.remove(&id), &event, transaction.slot) {
                records.insert(id, record);
            }
        }
        if scanned.is_multiple_of(5_000) {
            tracing::info!(scanned, total, "reading the program's history");
        }
    }
    let closed: Vec<JobRecord> = records.into_values().filter(|record| record.closed).collect();
    let restored = shared.index.write().expect("index lock").restore_closed(closed);
    if restored > 0 {
        shared.wake();
    }
    tracing::info!(
        transactions = scanned,
        restored,
        seconds = started.elapsed().as_secs_f64(),
        "rebuilt the history of closed jobs from the chain"
    );
    Ok(())
}
