//! Keeps the index in step with the chain: a full read at start, then a websocket
//! `programSubscribe`, polling while the socket is down, and a full re-read every few
//! seconds whatever happens (a missed notification heals at the next one).

use std::{collections::HashSet, sync::Arc, time::Duration};

use anchor_lang::prelude::Pubkey;
use futures::StreamExt;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use tokio::time::{interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::{index::Change, Event, Shared};

/// Where an account update came from, for metrics.
#[derive(Clone, Copy, Debug)]
pub enum Source {
    Websocket,
    Poll,
    Resync,
}

impl Source {
    fn label(self) -> &'static str {
        match self {
            Source::Websocket => "websocket",
            Source::Poll => "poll",
            Source::Resync => "resync",
        }
    }
}

/// Applies account updates, then tells the API's listeners and wakes the other tasks.
pub fn apply(
    shared: &Shared,
    updates: Vec<(Pubkey, Option<Vec<u8>>, u64)>,
    source: Source,
) -> usize {
    let mut changes = Vec::new();
    {
        let mut index = shared.index.write().expect("index lock");
        for (address, data, slot) in &updates {
            if let Some(change) = index.apply(*address, data.as_deref(), *slot) {
                changes.push(change);
            }
        }
    }
    publish(shared, changes, source)
}

fn publish(shared: &Shared, changes: Vec<Change>, source: Source) -> usize {
    if changes.is_empty() {
        return 0;
    }
    let count = changes.len();
    shared.metrics.index_updates.with_label_values(&[source.label()]).inc_by(count as u64);
    let index = shared.index.read().expect("index lock");
    let mut workers_to_show = HashSet::new();
    for change in &changes {
        match change {
            Change::Job { id, new_assignment_latencies } => {
                for latency in new_assignment_latencies {
                    shared.metrics.assign_latency.observe(*latency as f64);
                }
                if let Some(view) = index.job_view(*id) {
                    let _ = shared.events.send(Event::Job(Box::new(view)));
                }
            }
            Change::Worker(address) => {
                workers_to_show.insert(*address);
            }
            Change::Stake(owner) => {
                if let Some(entry) = index.worker_by_operator(owner) {
                    workers_to_show.insert(ignis_client::pda::worker(&entry.value.operator));
                }
            }
            Change::WorkerRemoved(_) | Change::Config | Change::Shard(_) => {}
        }
    }
    for address in workers_to_show {
        if let Some(view) = index.worker_view(&address) {
            let _ = shared.events.send(Event::Worker(Box::new(view)));
        }
    }
    drop(index);
    shared.wake();
    count
}

/// Reads every program account and applies them; workers missing from the read are
/// gone (deregistered).
pub async fn resync(shared: &Shared, source: Source) -> anyhow::Result<usize> {
    let snapshot = shared.chain.snapshot().await.inspect_err(|_| {
        shared.metrics.rpc_errors.with_label_values(&["get_program_accounts"]).inc();
    })?;
    let present: HashSet<Pubkey> = snapshot.accounts.iter().map(|(address, _)| *address).collect();
    let slot = snapshot.slot;
    let updates =
        snapshot.accounts.into_iter().map(|(address, data)| (address, Some(data), slot)).collect();
    let mut applied = apply(shared, updates, source);
    let removed = {
        let mut index = shared.index.write().expect("index lock");
        index.ready = true;
        let mut removed = index.retain_workers(&present, slot);
        removed.extend(index.retain_jobs(&present, slot));
        removed
    };
    applied += publish(shared, removed, source);
    Ok(applied)
}

pub async fn refresh_clock(shared: &Shared) {
    match shared.chain.client.clock().await {
        Ok((slot, unix)) => {
            let mut index = shared.index.write().expect("index lock");
            index.slot = index.slot.max(slot);
            if unix != index.clock {
                index.clock = unix;
                drop(index);
                // Deadlines are judged by this clock: let the crank look again.
                shared.wake();
            }
        }
        Err(err) => {
            shared.metrics.rpc_errors.with_label_values(&["clock"]).inc();
            tracing::debug!("reading the chain clock: {err:#}");
        }
    }
}

/// Polls and re-syncs until shutdown; runs the websocket follower beside it.
pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let follower = if shared.settings.no_websocket {
        None
    } else {
        Some(tokio::spawn(follow(shared.clone(), shutdown.clone())))
    };
    let mut poll = interval(shared.settings.poll_interval());
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_resync = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = poll.tick() => {}
        }
        refresh_clock(&shared).await;
        let websocket_up = shared.websocket_up.load(std::sync::atomic::Ordering::Relaxed);
        let resync_due = last_resync.elapsed() >= shared.settings.resync_interval();
        if !websocket_up || resync_due {
            let source = if resync_due { Source::Resync } else { Source::Poll };
            match resync(&shared, source).await {
                Ok(applied) if applied > 0 => tracing::debug!(applied, ?source, "index caught up"),
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!("reading program accounts from {}: {err:#}", shared.chain.url())
                }
            }
            if resync_due {
                last_resync = tokio::time::Instant::now();
            }
        }
    }
    if let Some(follower) = follower {
        follower.abort();
    }
    Ok(())
}

/// Follows program account changes over the websocket, reconnecting with backoff.
async fn follow(shared: Arc<Shared>, shutdown: CancellationToken) {
    let url = shared.settings.ws_url();
    let mut backoff = Duration::from_millis(250);
    loop {
        let session = async {
            let client = PubsubClient::new(url.as_str()).await?;
            let config = RpcProgramAccountsConfig {
                filters: None,
                account_config: RpcAccountInfoConfig {
                    encoding: Some(UiAccountEncoding::Base64),
                    commitment: Some(CommitmentConfig::confirmed()),
                    ..RpcAccountInfoConfig::default()
                },
                with_context: None,
                sort_results: None,
            };
            let (mut stream, unsubscribe) =
                client.program_subscribe(&ignis::ID, Some(config)).await?;
            tracing::info!(%url, "following program accounts over the websocket");
            shared.set_websocket(true);
            // What changed while we were not subscribed is caught by a read now.
            if let Err(err) = resync(&shared, Source::Resync).await {
                tracing::warn!("re-reading after subscribing: {err:#}");
            }
            while let Some(update) = stream.next().await {
                let slot = update.context.slot;
                let keyed = update.value;
                let Ok(address) = keyed.pubkey.parse::<Pubkey>() else { continue };
                let data =
                    if keyed.account.owner == ignis::ID.to_string() && keyed.account.lamports > 0 {
                        keyed.account.data.decode()
                    } else {
                        None
                    };
                apply(&shared, vec![(address, data, slot)], Source::Websocket);
            }
            unsubscribe().await;
            anyhow::Ok(())
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            result = session => {
                if shared.websocket_up.swap(false, std::sync::atomic::Ordering::Relaxed) {
                    // It worked for a while: retry quickly.
                    backoff = Duration::from_millis(250);
                }
                shared.metrics.websocket_connected.set(0);
                match result {
                    Ok(()) => tracing::warn!(%url, "the websocket closed; polling until it is back"),
                    Err(err) => tracing::warn!(%url, "websocket unavailable ({err:#}); polling every {:?}", shared.settings.poll_interval()),
                }
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
    shared.set_websocket(false);
}
