//! Checks single-replica `matmul-u32` results during their challenge window: with an
//! uploaded output (already matched against the revealed hash) by Freivalds' test,
//! otherwise by recomputing small ones. Right: `attest_result` (paid now). Wrong:
//! `dispute_result` (slashed, re-queued). Too big and no upload: the window runs out
//! and the crank finalizes it as it stands.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use anchor_lang::prelude::Pubkey;
use ignis::{
    constants::KERNEL_MATMUL_U32,
    state::{Job, JobKind, JobStatus},
};
use ignis_client::{instructions::Protocol, token};
use rand::{rngs::StdRng, SeedableRng};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{chain::error_name, Shared};

/// An uploaded output whose hash matched the revealed one. Kept in memory only until
/// the job leaves its challenge.
pub struct Upload {
    pub requeues: u16,
    pub output: Arc<Vec<u32>>,
}

/// A job's challenge is identified by its id and how often it was re-queued: a
/// disputed job can come back to a challenge with another worker.
type Round = (u64, u16);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Checking,
    /// Sent; waiting for the index to show the job settled.
    Ruled,
    /// Too big to recompute and nothing uploaded (yet).
    Waiting,
    Failed { attempts: u32 },
}

/// The job and the (size, revealed hash) of its challenged result, if the verifier
/// should look at it.
pub fn challenged(job: &Job) -> Option<(u32, [u8; 32])> {
    match job.kind {
        JobKind::Kernel { kernel, size } if kernel == KERNEL_MATMUL_U32 => {
            (job.status == JobStatus::Challenge && job.replicas == 1 && job.assigned == 1)
                .then(|| (size, job.assignments[0].result_hash))
        }
        _ => None,
    }
}

/// Runs the check: `Some(correct)`, or `None` when the verifier cannot tell.
pub fn check(seed: &[u8; 32], n: u32, revealed: &[u8; 32], upload: Option<&[u32]>, recompute_max_n: u32, rounds: u32) -> Option<bool> {
    match upload {
        Some(output) => Some(ignis_kernels::matmul::freivalds(seed, n, output, rounds, &mut StdRng::from_entropy())),
        None if n <= recompute_max_n => {
            let output = ignis_kernels::matmul::compute(seed, n);
            Some(ignis_kernels::matmul::result_hash(&output) == *revealed)
        }
        None => None,
    }
}

pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut wake = shared.generation.subscribe();
    let states: Arc<std::sync::Mutex<HashMap<Round, State>>> = Arc::default();
    let mut tasks = JoinSet::new();
    loop {
        let mut start = vec![];
        {
            let index = shared.index.read().expect("index lock");
            let now = index.clock;
            let mut states = states.lock().expect("states lock");
            let mut live: HashSet<Round> = HashSet::new();
            let uploads = shared.uploads.lock().expect("uploads lock");
            for id in &index.active {
                let Some(entry) = index.jobs.get(id) else { continue };
                let job = &entry.value;
                let Some((n, revealed)) = challenged(job) else { continue };
                let round = (job.id, job.requeues);
                live.insert(round);
                let upload = uploads.get(&job.id).filter(|u| u.requeues == job.requeues).map(|u| u.output.clone());
                let can_check = upload.is_some() || n <= shared.settings.verify_recompute_max_n;
                let state = states.get(&round).copied();
                let worth_trying = match state {
                    None | Some(State::Waiting) => can_check,
                    Some(State::Failed { attempts }) => attempts < 3,
                    Some(State::Checking | State::Ruled) => false,
                };
                if now > job.challenge_deadline {
                    continue;
                }
                if worth_trying {
                    states.insert(round, State::Checking);
                    let operator = index.workers.get(&job.assignments[0].worker).map(|w| w.value.operator);
                    let protocol = index.program_config().map(Protocol::from_config);
                    if let (Some(operator), Some(protocol)) = (operator, protocol) {
                        start.push((job.id, round, job.seed, n, revealed, upload, operator, protocol, state));
                    }
                } else if state.is_none() {
                    tracing::info!(job = job.id, n, "result too big to recompute and no output uploaded; waiting for an upload");
                    states.insert(round, State::Waiting);
                }
            }
            drop(uploads);
            // Rounds that left the challenge: a waiting one was never checked.
            states.retain(|round, state| {
                let keep = live.contains(round);
                if !keep && *state == State::Waiting {
                    shared.metrics.verifications.with_label_values(&["unverified"]).inc();
                    tracing::warn!(job = round.0, "challenge window passed unverified");
                }
                keep
            });
            shared.uploads.lock().expect("uploads lock").retain(|id, upload| live.contains(&(*id, upload.requeues)));
        }
        for (job_id, round, seed, n, revealed, upload, operator, protocol, previous) in start {
            let (shared, states) = (shared.clone(), states.clone());
            tasks.spawn(async move {
                let settings = &shared.settings;
                let (max_n, rounds) = (settings.verify_recompute_max_n, settings.freivalds_rounds);
                let how = if upload.is_some() { "freivalds" } else { "recompute" };
                let verdict = tokio::task::spawn_blocking(move || {
                    check(&seed, n, &revealed, upload.as_deref().map(Vec::as_slice), max_n, rounds)
                })
                .await
                .ok()
                .flatten();
                let Some(correct) = verdict else {
                    states.lock().expect("states lock").insert(round, State::Waiting);
                    return;
                };
                let state = rule(&shared, &protocol, job_id, operator, correct).await;
                let state = match (state, previous) {
                    (State::Failed { .. }, Some(State::Failed { attempts })) => State::Failed { attempts: attempts + 1 },
                    (other, _) => other,
                };
                tracing::info!(job = job_id, n, how, correct, ?state, "verified");
                states.lock().expect("states lock").insert(round, state);
            });
        }
        while tasks.try_join_next().is_some() {}
        if !crate::next_round(&shared, &mut wake, &shutdown, Duration::from_millis(100)).await {
            break;
        }
    }
    crate::drain(tasks).await;
    Ok(())
}

async fn rule(shared: &Shared, protocol: &Protocol, job_id: u64, operator: Pubkey, correct: bool) -> State {
    let me = shared.chain.me();
    let payout = token::associated_account(&operator, &protocol.mint, &protocol.token_program);
    let ixs = [
        token::create_associated_account(&me, &operator, &protocol.mint, &protocol.token_program),
        protocol.verify_result(me, job_id, (operator, payout), correct),
    ];
    let (outcome, op) = if correct { ("attested", "attest") } else { ("disputed", "dispute") };
    match shared.chain.send(&shared.metrics, op, &ixs).await {
        Ok(_) => {
            shared.metrics.verifications.with_label_values(&[outcome]).inc();
            State::Ruled
        }
        Err(err) => {
            shared.metrics.verifications.with_label_values(&["failed"]).inc();
            tracing::warn!(job = job_id, error = %error_name(&err), "{op} refused: {err}");
            tokio::time::sleep(Duration::from_secs(1)).await;
            State::Failed { attempts: 1 }
        }
    }
}
