//! Checks `matmul-u32` results during the verifier's window, whatever the replicas'
//! majority: by recomputing small ones, or by Freivalds' test on an uploaded output
//! (already matched against a revealed hash). The right result is attested (its
//! replicas are paid, with work-pool pay; every other revealed result is slashed); if
//! no revealed result is right, they are all disputed. Too big and no upload: the
//! window runs out and the crank settles the job unverified (no work-pool pay).

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use anchor_lang::prelude::Pubkey;
use ignis::{
    constants::KERNEL_MATMUL_U32,
    state::{Job, JobKind, Params},
};
use ignis_client::{instructions::Protocol, token};
use rand::{rngs::StdRng, SeedableRng};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{
    chain::{error_name, is_stale_read},
    Shared,
};

/// Outputs uploaded for one round of a job, each already matched against a revealed
/// hash. Kept in memory only until the job leaves its verification window.
pub struct Upload {
    pub requeues: u16,
    pub outputs: Vec<([u8; 32], Arc<Vec<u32>>)>,
}

/// A job's verification is identified by its id and how often it was re-queued: a
/// disputed job can come back with other workers.
type Round = (u64, u16);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Checking,
    /// Sent; waiting for the index to show the job settled.
    Ruled,
    /// Too big to recompute and no usable upload (yet).
    Waiting,
    Failed {
        attempts: u32,
    },
}

/// The verifier's finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    /// This revealed result is right.
    Right([u8; 32]),
    /// No revealed result is right.
    AllWrong,
}

/// The size and distinct revealed hashes of a `matmul-u32` job the verifier may rule
/// on at protocol time `now` (the program's rule, `Job::verifiable_at`).
pub fn challenged(job: &Job, now: i64, params: &Params) -> Option<(u32, Vec<[u8; 32]>)> {
    match job.kind {
        JobKind::Kernel { kernel, size }
            if kernel == KERNEL_MATMUL_U32 && job.verifiable_at(now, params) =>
        {
            let mut revealed: Vec<[u8; 32]> = job
                .live_assignments()
                .iter()
                .filter(|a| a.revealed)
                .map(|a| a.result_hash)
                .collect();
            revealed.sort_unstable();
            revealed.dedup();
            Some((size, revealed))
        }
        _ => None,
    }
}

/// Runs the check: `None` when the verifier cannot tell (too big, no upload that
/// passes, not every revealed result uploaded).
pub fn check(
    seed: &[u8; 32],
    n: u32,
    revealed: &[[u8; 32]],
    uploads: &[([u8; 32], Arc<Vec<u32>>)],
    recompute_max_n: u32,
    rounds: u32,
) -> Option<Finding> {
    if n <= recompute_max_n {
        let hash = ignis_kernels::matmul::result_hash(&ignis_kernels::matmul::compute(seed, n));
        return Some(if revealed.contains(&hash) {
            Finding::Right(hash)
        } else {
            Finding::AllWrong
        });
    }
    let mut rng = StdRng::from_entropy();
    let mut failed = HashSet::new();
    for (hash, output) in uploads.iter().filter(|(hash, _)| revealed.contains(hash)) {
        if ignis_kernels::matmul::freivalds(seed, n, output, rounds, &mut rng) {
            return Some(Finding::Right(*hash));
        }
        failed.insert(*hash);
    }
    revealed.iter().all(|hash| failed.contains(hash)).then_some(Finding::AllWrong)
}

/// One job the verifier will check now.
struct Task {
    job_id: u64,
    round: Round,
    seed: [u8; 32],
    n: u32,
    revealed: Vec<[u8; 32]>,
    uploads: Vec<([u8; 32], Arc<Vec<u32>>)>,
    /// Every live replica's operator, in assignment order.
    operators: Vec<Pubkey>,
    protocol: Protocol,
    previous: Option<State>,
}

pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut wake = shared.generation.subscribe();
    let states: Arc<std::sync::Mutex<HashMap<Round, State>>> = Arc::default();
    let mut tasks = JoinSet::new();
    loop {
        let mut start = vec![];
        {
            let index = shared.index.read().expect("index lock");
            if let Some(config) = index.program_config() {
                let (now, params, protocol) =
                    (config.clock_at(index.clock), config.params, Protocol::from_config(config));
                let mut states = states.lock().expect("states lock");
                let mut live: HashSet<Round> = HashSet::new();
                let uploads = shared.uploads.lock().expect("uploads lock");
                for id in &index.active {
                    let Some(entry) = index.jobs.get(id) else { continue };
                    let job = &entry.value;
                    let Some((n, revealed)) = challenged(job, now, &params) else { continue };
                    let round = (job.id, job.requeues);
                    live.insert(round);
                    let job_uploads = uploads
                        .get(&job.id)
                        .filter(|u| u.requeues == job.requeues)
                        .map(|u| u.outputs.clone())
                        .unwrap_or_default();
                    let can_check =
                        !job_uploads.is_empty() || n <= shared.settings.verify_recompute_max_n;
                    let state = states.get(&round).copied();
                    let worth_trying = match state {
                        None | Some(State::Waiting) => can_check,
                        Some(State::Failed { attempts }) => attempts < 3,
                        Some(State::Checking | State::Ruled) => false,
                    };
                    if worth_trying {
                        let operators: Option<Vec<Pubkey>> = job
                            .live_assignments()
                            .iter()
                            .map(|a| index.workers.get(&a.worker).map(|w| w.value.operator))
                            .collect();
                        if let Some(operators) = operators {
                            states.insert(round, State::Checking);
                            start.push(Task {
                                job_id: job.id,
                                round,
                                seed: job.seed,
                                n,
                                revealed,
                                uploads: job_uploads,
                                operators,
                                protocol,
                                previous: state,
                            });
                        }
                    } else if state.is_none() {
                        tracing::info!(job = job.id, n, "result too big to recompute and no output uploaded; waiting for an upload");
                        states.insert(round, State::Waiting);
                    }
                }
                drop(uploads);
                // Rounds that left their window: a waiting one was never checked.
                states.retain(|round, state| {
                    let keep = live.contains(round);
                    if !keep && *state == State::Waiting {
                        shared.metrics.verifications.with_label_values(&["unverified"]).inc();
                        tracing::info!(
                            job = round.0,
                            "verification window passed unverified: settled without work-pool pay"
                        );
                    }
                    keep
                });
                // Uploads wait for their job's window; drop those of settled jobs.
                shared
                    .uploads
                    .lock()
                    .expect("uploads lock")
                    .retain(|id, _| index.active.contains(id));
            }
        }
        for task in start {
            let (shared, states) = (shared.clone(), states.clone());
            tasks.spawn(async move {
                let settings = &shared.settings;
                let (max_n, rounds) = (settings.verify_recompute_max_n, settings.freivalds_rounds);
                let how = if task.n <= max_n { "recompute" } else { "freivalds" };
                let (seed, n, revealed, uploads) =
                    (task.seed, task.n, task.revealed.clone(), task.uploads.clone());
                let finding = tokio::task::spawn_blocking(move || {
                    check(&seed, n, &revealed, &uploads, max_n, rounds)
                })
                .await
                .ok()
                .flatten();
                let Some(finding) = finding else {
                    states.lock().expect("states lock").insert(task.round, State::Waiting);
                    return;
                };
                let state = rule(&shared, &task, finding).await;
                let state = match (state, task.previous) {
                    (State::Failed { .. }, Some(State::Failed { attempts })) => {
                        State::Failed { attempts: attempts + 1 }
                    }
                    (other, _) => other,
                };
                tracing::info!(job = task.job_id, n = task.n, how, ?finding, ?state, "verified");
                states.lock().expect("states lock").insert(task.round, state);
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

async fn rule(shared: &Shared, task: &Task, finding: Finding) -> State {
    let (me, protocol) = (shared.chain.me(), &task.protocol);
    let mut ixs: Vec<_> = task
        .operators
        .iter()
        .map(|operator| {
            token::create_associated_account(&me, operator, &protocol.mint, &protocol.token_program)
        })
        .collect();
    let replicas: Vec<(Pubkey, Pubkey)> = task
        .operators
        .iter()
        .map(|operator| {
            (
                *operator,
                token::associated_account(operator, &protocol.mint, &protocol.token_program),
            )
        })
        .collect();
    let attested = match finding {
        Finding::Right(hash) => Some(hash),
        Finding::AllWrong => None,
    };
    ixs.push(protocol.verify_result(me, task.job_id, &replicas, attested));
    let (outcome, op) =
        if attested.is_some() { ("attested", "attest") } else { ("disputed", "dispute") };
    match shared.chain.send(&shared.metrics, op, &ixs).await {
        Ok(_) => {
            shared.metrics.verifications.with_label_values(&[outcome]).inc();
            State::Ruled
        }
        Err(err) => {
            shared.metrics.verifications.with_label_values(&["failed"]).inc();
            if is_stale_read(&err) {
                tracing::debug!(job = task.job_id, error = %error_name(&err), "{op} refused: {err}");
            } else {
                tracing::warn!(job = task.job_id, error = %error_name(&err), "{op} refused: {err}");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            State::Failed { attempts: 1 }
        }
    }
}
