//! Capacity challenges: whenever the chain opens one for this worker
//! (`Capacity::open`, issued by anyone's `challenge_worker`), the worker finds its
//! `CHALLENGE_PROOFS` nonces on its backend, the same search as a PoW job's, and
//! answers (`answer_challenge`) before the deadline. What it proves is its rated
//! hashrate, its uptime and its pay from the work pool.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, Result};
use ignis::{constants::CHALLENGE_PROOFS, state::Challenge};
use ignis_kernels::{Backend, PowTask};
use tokio_util::sync::CancellationToken;

use crate::runner::Runtime;

/// How often the worker looks for an open challenge: a small share of the 60 s it has
/// to answer by default.
pub const CHALLENGE_POLL: Duration = Duration::from_secs(1);

/// Answers every challenge opened for this worker until `shutdown`.
pub async fn answer_challenges(runtime: Arc<Runtime>, poll: Duration, shutdown: CancellationToken) {
    // The seed of the last challenge answered (or given up on), so each is tried once.
    let mut done: Option<[u8; 32]> = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
        let challenge = match runtime.node.worker_account().await {
            Ok(Some(worker)) => worker.capacity.open,
            Ok(None) => None,
            Err(err) => {
                tracing::debug!("cannot read the worker account: {err}");
                continue;
            }
        };
        let Some(challenge) = challenge.filter(|c| done != Some(c.seed)) else { continue };
        done = Some(challenge.seed);
        match answer(&runtime, &challenge, &shutdown).await {
            Ok(Some(secs)) => tracing::info!(
                difficulty = challenge.difficulty,
                work_units = challenge.work_units(),
                secs = format!("{secs:.1}"),
                "answered a capacity challenge"
            ),
            Ok(None) => {}
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                "could not answer a capacity challenge: a miss lowers this worker's rating"
            ),
        }
    }
}

/// Searches and sends the answer; the seconds it took, or none when stopped.
async fn answer(
    runtime: &Runtime,
    challenge: &Challenge,
    shutdown: &CancellationToken,
) -> Result<Option<f64>> {
    let started = std::time::Instant::now();
    // Past the deadline an answer is refused: stop searching then (with a second's
    // grace for clocks), rather than burn the device on a lost cause.
    let now = runtime.node.deadline_view().await?.now;
    let left = Duration::from_secs(u64::try_from(challenge.deadline - now).unwrap_or(0) + 1);
    let task = PowTask {
        seed: challenge.seed,
        worker: runtime.node.worker.to_bytes(),
        difficulty: challenge.difficulty,
    };
    let (backend, stop) = (runtime.backend.clone(), shutdown.clone());
    let nonces = tokio::task::spawn_blocking(move || {
        let stopped = || stop.is_cancelled() || started.elapsed() > left;
        find_nonces(backend.as_ref(), &task, usize::from(CHALLENGE_PROOFS), &stopped)
    })
    .await
    .context("the challenge search thread panicked")??;
    let Some(nonces) = nonces else {
        if !shutdown.is_cancelled() {
            tracing::warn!(
                difficulty = challenge.difficulty,
                work_units = challenge.work_units(),
                "a capacity challenge's deadline passed before its nonces were found: \
                 this device is slower than the worker's rating (or busy); the rating halves"
            );
        }
        return Ok(None);
    };
    let node = &runtime.node;
    let answer = node.protocol.answer_challenge(node.operator_key(), node.payout, nonces);
    node.send(&[answer]).await.context("answer_challenge")?;
    Ok(Some(started.elapsed().as_secs_f64()))
}

/// The first `count` nonces meeting the task's difficulty, in increasing order, as the
/// program wants them; none if `stopped` says so first.
pub fn find_nonces(
    backend: &dyn Backend,
    task: &PowTask,
    count: usize,
    stopped: &dyn Fn() -> bool,
) -> Result<Option<Vec<u64>>> {
    let batch = backend.pow_batch().max(1);
    let (mut nonces, mut from) = (Vec::with_capacity(count), 0u64);
    while nonces.len() < count {
        if stopped() {
            return Ok(None);
        }
        match backend.pow_search(task, from, batch)? {
            Some(nonce) => {
                nonces.push(nonce);
                from = nonce.saturating_add(1);
            }
            None => from = from.saturating_add(batch),
        }
    }
    Ok(Some(nonces))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_finds_the_nonces_the_program_checks() {
        let backend = ignis_kernels::select(ignis_kernels::BackendChoice::Cpu).unwrap();
        let worker = anchor_lang::prelude::Pubkey::new_unique();
        let challenge = Challenge { seed: [3; 32], difficulty: 6, issued_at: 0, deadline: 60 };
        let task = PowTask { seed: challenge.seed, worker: worker.to_bytes(), difficulty: 6 };
        let nonces = find_nonces(backend.as_ref(), &task, 32, &|| false).unwrap().unwrap();
        assert_eq!(nonces, ignis::pow::search_nonces(&challenge.seed, &worker, 6, 0, 32));
        challenge.check_answer(&worker, &nonces, 60).unwrap();
        assert!(find_nonces(backend.as_ref(), &task, 32, &|| true).unwrap().is_none());
    }
}
