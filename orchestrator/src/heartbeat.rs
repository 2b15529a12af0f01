//! The orchestrator's sign of life on chain: a `heartbeat` every `--heartbeat-ms` while
//! it runs with the orchestrator's key, so that workers leave the assigning to it. They
//! claim open jobs themselves once it has been silent for the program's
//! `orchestrator_timeout_seconds`, so the network keeps working without it. Several
//! orchestrators with the one key (for availability) all send it.

use std::sync::Arc;

use tokio::time::{interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::Shared;

/// Failures in a row before a warning: one lost heartbeat is routine, a run of them
/// means workers will soon start claiming jobs.
const WARN_AFTER: u32 = 3;

pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let me = shared.chain.me();
    let mut tick = interval(shared.settings.heartbeat_interval());
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut failures = 0u32;
    let mut beats = 0u64;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let orchestrating = {
            let index = shared.index.read().expect("index lock");
            index.program_config().is_some_and(|config| config.orchestrator == me)
        };
        if !orchestrating {
            continue;
        }
        // The fee payers' float, checked every 20 heartbeats (a minute by default), and
        // on every beat while the first top-up has not gone through.
        beats += 1;
        if beats.is_multiple_of(20) || shared.chain.payers_unfunded() {
            match shared.chain.fund_fee_payers().await {
                Err(err) if beats.is_multiple_of(20) => {
                    tracing::warn!(
                        "cannot top up the fee payers from {me}: {err}; fund {me} with SOL"
                    )
                }
                Err(err) => tracing::debug!("topping up the fee payers: {err}"),
                Ok(_) => {}
            }
        }
        let heartbeat = ignis_client::instructions::heartbeat(me);
        match shared.chain.send(&shared.metrics, "heartbeat", &[heartbeat]).await {
            Ok(_) => failures = 0,
            Err(err) => {
                failures += 1;
                if failures >= WARN_AFTER {
                    tracing::warn!(failures, "the heartbeat keeps failing ({err}): workers will claim jobs themselves once the program's orchestrator timeout passes");
                } else {
                    tracing::debug!("sending the heartbeat: {err}");
                }
            }
        }
    }
    Ok(())
}
