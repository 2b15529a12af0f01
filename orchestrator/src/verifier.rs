//! Checks kernel results during the verifier's window, whatever the replicas'
//! majority. `matmul-u32`: by recomputing small ones, or by Freivalds' test on an
//! uploaded output (already matched against a revealed hash). `gemm-i8` and `mlp-i8`
//! (inputs from the data plane): on uploaded outputs (matched against a revealed Merkle
//! root), Freivalds' test or sampled rows opened and recomputed, plus every row where
//! replicas disagree; with nothing uploaded, by recomputing jobs small enough. The right result is attested (its
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
    state::{Job, JobKind, Params, Ruling, TensorSpec},
};
use ignis_client::{
    blob::BlobId,
    instructions::{settlement_slashes, Protocol},
    token,
};
use ignis_kernels::tensor_job::{self, Shape, TensorInputs};
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
    pub outputs: Vec<([u8; 32], UploadedOutput)>,
}

#[derive(Clone, Debug)]
pub enum UploadedOutput {
    Matmul(Arc<Vec<u32>>),
    /// Row-major int32.
    Tensor(Arc<Vec<i32>>),
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

/// The distinct revealed hashes of a kernel job the verifier checks (matmul-u32,
/// gemm-i8, mlp-i8) and may rule on at protocol time `now` (the program's rule,
/// `Job::verifiable_at`).
pub fn challenged(job: &Job, now: i64, params: &Params) -> Option<Vec<[u8; 32]>> {
    let checked = matches!(
        job.kind,
        JobKind::Kernel { kernel: KERNEL_MATMUL_U32, .. } | JobKind::Tensor { .. }
    );
    if !checked || !job.verifiable_at(now, params) {
        return None;
    }
    let mut revealed: Vec<[u8; 32]> =
        job.live_assignments().iter().filter(|a| a.revealed).map(|a| a.result_hash).collect();
    revealed.sort_unstable();
    revealed.dedup();
    Some(revealed)
}

/// How thoroughly tensor outputs are checked.
#[derive(Clone, Copy, Debug)]
pub struct TensorChecks {
    pub freivalds_rounds: u32,
    pub sample_rows: usize,
    /// Jobs with at most this many multiply-adds are recomputed when a revealed root
    /// has no upload.
    pub recompute_max_macs: u64,
}

/// A tensor job's check: the finding (`None` when the verifier cannot tell: a revealed
/// root with neither a passing upload nor a recompute), and the output when the verifier
/// computed it itself (kept for the poster, as an upload would be).
#[derive(Debug, Default)]
pub struct TensorCheck {
    pub finding: Option<Finding>,
    pub recomputed: Option<Vec<i32>>,
}

/// Checks a tensor job's revealed roots.
pub fn check_tensor(
    spec: &TensorSpec,
    inputs: [&[u8]; 2],
    revealed: &[[u8; 32]],
    uploads: &[([u8; 32], Arc<Vec<i32>>)],
    checks: TensorChecks,
) -> TensorCheck {
    let found = |finding| TensorCheck { finding: Some(finding), recomputed: None };
    let declared = Shape::from(spec);
    let parsed = TensorInputs::parse(spec.kernel, inputs, ["input 0", "input 1"])
        .and_then(|inputs| inputs.check_declared(declared).map(|()| inputs));
    let Ok(inputs) = parsed else {
        // Not runnable as posted: an honest worker declines such a job, so no revealed
        // result can be right.
        return found(Finding::AllWrong);
    };
    let cols = inputs.cols();
    let uploads: Vec<&([u8; 32], Arc<Vec<i32>>)> =
        uploads.iter().filter(|(root, _)| revealed.contains(root)).collect();
    // Where the uploaded answers differ, at least one is wrong: those rows are checked
    // on every one, so a wrong answer cannot pass by luck while another disagrees.
    let outputs: Vec<&[i32]> = uploads.iter().map(|(_, output)| output.as_slice()).collect();
    let disputed_rows = tensor_job::disagreeing_rows(&outputs, cols);
    let mut rng = StdRng::from_entropy();
    let mut failed = HashSet::new();
    for (root, output) in &uploads {
        if inputs.check_output(
            output,
            root,
            checks.freivalds_rounds,
            checks.sample_rows,
            &disputed_rows,
            &mut rng,
        ) {
            return found(Finding::Right(*root));
        }
        failed.insert(*root);
    }
    if revealed.iter().all(|root| failed.contains(root)) {
        return found(Finding::AllWrong);
    }
    if spec.macs() <= checks.recompute_max_macs {
        let output = inputs.run_reference();
        let root = tensor_job::output_root(&output, cols);
        if revealed.contains(&root) {
            return TensorCheck { finding: Some(Finding::Right(root)), recomputed: Some(output) };
        }
        return found(Finding::AllWrong);
    }
    TensorCheck::default()
}

/// Runs the check: `None` when the verifier cannot tell (too big, no upload that
/// passes, not every revealed result uploaded).
pub fn check(
    seed: &[u8; 32],
    n: u32,
    revealed: &[[u8; 32]],
    uploads: &[([u8; 32], UploadedOutput)],
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
        let UploadedOutput::Matmul(output) = output else { continue };
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
    kind: JobKind,
    poster: Pubkey,
    posted_at: i64,
    revealed: Vec<[u8; 32]>,
    uploads: Vec<([u8; 32], UploadedOutput)>,
    /// Every live replica's operator, in assignment order.
    operators: Vec<Pubkey>,
    /// Which rulings slash a replica (and so write the config): (attesting each
    /// revealed result, disputing).
    slashes_if_attested: Vec<([u8; 32], bool)>,
    slashes_if_disputed: bool,
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
                    let Some(revealed) = challenged(job, now, &params) else { continue };
                    let round = (job.id, job.requeues);
                    live.insert(round);
                    let job_uploads = uploads
                        .get(&job.id)
                        .filter(|u| u.requeues == job.requeues)
                        .map(|u| u.outputs.clone())
                        .unwrap_or_default();
                    let can_check = !job_uploads.is_empty()
                        || match job.kind {
                            JobKind::Kernel { size, .. } => {
                                size <= shared.settings.verify_recompute_max_n
                            }
                            JobKind::Tensor { spec } => {
                                spec.macs() <= shared.settings.verify_recompute_max_macs
                            }
                            JobKind::Pow { .. } => false,
                        };
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
                            let revealed_slashing = revealed
                                .iter()
                                .map(|hash| {
                                    (*hash, settlement_slashes(job, Ruling::Attested(*hash)))
                                })
                                .collect();
                            start.push(Task {
                                job_id: job.id,
                                round,
                                seed: job.seed,
                                kind: job.kind,
                                poster: job.poster,
                                posted_at: job.posted_at,
                                revealed,
                                uploads: job_uploads,
                                operators,
                                slashes_if_attested: revealed_slashing,
                                slashes_if_disputed: settlement_slashes(job, Ruling::Disputed),
                                protocol,
                                previous: state,
                            });
                        }
                    } else if state.is_none() {
                        tracing::info!(job = job.id, "result too big to recompute and no output uploaded; waiting for an upload");
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
                let (how, finding) = check_task(&shared, &task).await;
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
                tracing::info!(job = task.job_id, how, ?finding, ?state, "verified");
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

/// Runs the check a task's kind calls for (off the async threads): how, and the finding.
async fn check_task(shared: &Shared, task: &Task) -> (&'static str, Option<Finding>) {
    let settings = &shared.settings;
    let (revealed, uploads) = (task.revealed.clone(), task.uploads.clone());
    match task.kind {
        JobKind::Kernel { size: n, .. } => {
            let (max_n, rounds, seed) =
                (settings.verify_recompute_max_n, settings.freivalds_rounds, task.seed);
            let how = if n <= max_n { "recompute" } else { "freivalds" };
            let finding = tokio::task::spawn_blocking(move || {
                check(&seed, n, &revealed, &uploads, max_n, rounds)
            })
            .await
            .ok()
            .flatten();
            (how, finding)
        }
        JobKind::Tensor { spec } => {
            let mut inputs = Vec::with_capacity(2);
            for input in &spec.inputs {
                match shared.blobs.fetch(&BlobId(input.sha256)).await {
                    Ok(bytes) => inputs.push(bytes),
                    Err(err) => {
                        tracing::warn!(job = task.job_id, %err, "cannot read a tensor job's input");
                        return ("inputs", None);
                    }
                }
            }
            let uploads: Vec<([u8; 32], Arc<Vec<i32>>)> = uploads
                .into_iter()
                .filter_map(|(root, output)| match output {
                    UploadedOutput::Tensor(values) => Some((root, values)),
                    UploadedOutput::Matmul(_) => None,
                })
                .collect();
            let checks = TensorChecks {
                freivalds_rounds: settings.freivalds_rounds,
                sample_rows: settings.verify_sample_rows,
                recompute_max_macs: settings.verify_recompute_max_macs,
            };
            let how = if uploads.is_empty() { "recompute" } else { "sampled" };
            let check = tokio::task::spawn_blocking(move || {
                check_tensor(&spec, [&inputs[0], &inputs[1]], &revealed, &uploads, checks)
            })
            .await
            .unwrap_or_default();
            if let (Some(Finding::Right(root)), Some(output)) = (check.finding, check.recomputed) {
                // The poster gets the result whether or not a replica uploads it: it is
                // kept before the job is attested.
                let npy = tensor_job::output_npy(&output, spec.row_bytes as usize / 4);
                let job = (task.job_id, task.posted_at);
                let kept =
                    crate::blobs::keep_job_output(shared, job, &task.poster, &root, npy.into());
                if let Err(err) = kept.await {
                    tracing::warn!(job = task.job_id, "cannot keep the recomputed output: {err:#}");
                    return (how, None);
                }
            }
            (how, check.finding)
        }
        JobKind::Pow { .. } => ("none", None),
    }
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
    let slashing = match attested {
        Some(hash) => task.slashes_if_attested.iter().any(|(h, s)| *h == hash && *s),
        None => task.slashes_if_disputed,
    };
    ixs.push(protocol.verify_result(me, task.job_id, &replicas, attested, slashing));
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

#[cfg(test)]
mod tests {
    use ignis::{
        constants::KERNEL_MLP_I8,
        state::{BlobRef, TensorSpec},
    };
    use ignis_kernels::{
        int8::{Layer, Mlp},
        tensors::{self, MatrixI8},
    };

    use super::*;

    /// A one-layer model (4 inputs, 3 classes) and a batch of `rows`.
    fn job(rows: usize) -> (TensorSpec, [Vec<u8>; 2], Vec<i32>) {
        let model = Mlp {
            layers: vec![Layer {
                inputs: 4,
                outputs: 3,
                weight: vec![1, -2, 3, 4, 5, -6, 7, 8, -9, 10, 11, 12],
                bias: vec![1, 2, 3],
                requant: None,
            }],
        };
        let data: Vec<i8> = (0..rows * 4).map(|i| (i as i8).wrapping_mul(37)).collect();
        let batch = MatrixI8 { rows, cols: 4, data };
        let inputs = [tensors::write_mlp(&model), tensors::npy_matrix_i8(&batch)];
        let parsed = TensorInputs::parse(KERNEL_MLP_I8, [&inputs[0], &inputs[1]], ["m", "b"])
            .expect("valid");
        let shape = parsed.shape();
        let spec = TensorSpec {
            kernel: KERNEL_MLP_I8,
            inputs: [BlobRef { sha256: [1; 32], size: inputs[0].len() as u64 }; 2],
            rows: shape.rows,
            row_bytes: shape.row_bytes,
            macs_per_row: shape.macs_per_row,
        };
        (spec, inputs, parsed.run_reference())
    }

    fn checks(sample_rows: usize, recompute_max_macs: u64) -> TensorChecks {
        TensorChecks { freivalds_rounds: 20, sample_rows, recompute_max_macs }
    }

    #[test]
    fn a_wrong_upload_cannot_win_by_luck_against_a_disagreeing_honest_one() {
        let (spec, inputs, right) = job(500);
        let mut wrong = right.clone();
        wrong[3 * 417] = wrong[3 * 417].wrapping_add(1);
        let (right_root, wrong_root) =
            (tensor_job::output_root(&right, 3), tensor_job::output_root(&wrong, 3));
        let revealed = [wrong_root, right_root];
        // The wrong upload first, no random samples, no recompute: only the row where the
        // two answers differ is opened, and it decides.
        let uploads = [(wrong_root, Arc::new(wrong)), (right_root, Arc::new(right))];
        for _ in 0..20 {
            let check =
                check_tensor(&spec, [&inputs[0], &inputs[1]], &revealed, &uploads, checks(0, 0));
            assert_eq!(check.finding, Some(Finding::Right(right_root)));
            assert_eq!(check.recomputed, None);
        }
    }

    #[test]
    fn a_lone_wrong_upload_is_caught_when_its_row_is_sampled_or_recomputed() {
        let (spec, inputs, right) = job(40);
        let mut wrong = right.clone();
        wrong[3 * 7 + 1] = wrong[3 * 7 + 1].wrapping_sub(5);
        let root = tensor_job::output_root(&wrong, 3);
        let uploads = [(root, Arc::new(wrong))];
        // 64 samples of 40 rows open every row.
        let check = check_tensor(&spec, [&inputs[0], &inputs[1]], &[root], &uploads, checks(64, 0));
        assert_eq!(check.finding, Some(Finding::AllWrong));
        // No upload: recomputed, and the right output is kept for the poster.
        let right_root = tensor_job::output_root(&right, 3);
        let check =
            check_tensor(&spec, [&inputs[0], &inputs[1]], &[right_root], &[], checks(0, u64::MAX));
        assert_eq!(check.finding, Some(Finding::Right(right_root)));
        assert_eq!(check.recomputed, Some(right));
        // Too big to recompute and nothing uploaded: the verifier cannot tell.
        let check =
            check_tensor(&spec, [&inputs[0], &inputs[1]], &[right_root], &[], checks(64, 0));
        assert_eq!(check.finding, None);
    }

    #[test]
    fn inputs_that_are_not_the_posted_shape_make_every_result_wrong() {
        let (mut spec, inputs, right) = job(10);
        spec.rows = 11;
        let root = tensor_job::output_root(&right, 3);
        let check =
            check_tensor(&spec, [&inputs[0], &inputs[1]], &[root], &[], checks(64, u64::MAX));
        assert_eq!(check.finding, Some(Finding::AllWrong));
    }
}
