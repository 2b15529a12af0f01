//! Runs one assigned job to its end on chain: searches (PoW) or computes and commits
//! (kernel), journaling each result before it is sent, then submits or reveals.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use ignis::state::{Job, JobKind, JobStatus, TensorSpec};
use ignis_client::{
    blob::{BlobClient, BlobId},
    instructions,
    rpc::ClientError,
};
use ignis_kernels::{
    matmul,
    tensor_job::{self, Shape, TensorInputs},
    Backend, PowTask,
};
use tokio_util::sync::CancellationToken;

use crate::{
    coalesce::Coalescer,
    fault,
    journal::{Entry, Journal, Progress},
    node::{job_is_gone, DeadlineView, Node},
};

/// How often a long search saves where it is, logs progress, and checks that the job
/// is still assigned to this worker.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
const RECHECK_EVERY: Duration = Duration::from_secs(10);

pub struct Runtime {
    pub node: Arc<Node>,
    /// Sends the PoW submissions, several to a transaction when they are ready together.
    submits: Coalescer,
    pub backend: Arc<dyn Backend>,
    pub journal: Journal,
    pub shutdown: CancellationToken,
    pub poll_interval: Duration,
    /// Orchestrator APIs, tried in order for uploads.
    pub orchestrators: Vec<String>,
    pub http: reqwest::Client,
    /// The orchestrators' data planes, where tensor jobs' inputs are read (signed by
    /// the operator key, which the job's assignment lets read them).
    blobs: Vec<BlobClient>,
    /// Outputs of kernel jobs, kept until uploaded for verification.
    outputs: Mutex<HashMap<u64, Output>>,
}

/// Why a tensor job's inputs are not in hand.
enum InputProblem {
    /// The data plane did not serve them (yet): worth retrying.
    Unavailable(String),
    /// They are not what the job was posted with: the job cannot run.
    Invalid(String),
}

/// A computed kernel output.
#[derive(Clone)]
enum Output {
    Matmul(Arc<Vec<u32>>),
    /// Row-major int32, `cols` per row.
    Tensor {
        values: Arc<Vec<i32>>,
        cols: usize,
    },
}

impl Output {
    /// What replicas commit to: the matmul hash, or the Merkle root over the rows.
    fn result_hash(&self) -> [u8; 32] {
        match self {
            Output::Matmul(output) => matmul::result_hash(output),
            Output::Tensor { values, cols } => tensor_job::output_root(values, *cols),
        }
    }

    /// The bytes uploaded to the verifier (and, for tensor jobs, kept for the poster).
    fn upload_body(&self) -> Vec<u8> {
        match self {
            Output::Matmul(output) => matmul::output_bytes(output),
            Output::Tensor { values, cols } => tensor_job::output_npy(values, *cols),
        }
    }
}

/// How a pass over a job ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Submitted or revealed: the job wants nothing more from this worker.
    Done,
    /// The job moved on without this worker (expired, re-assigned, settled).
    Dropped,
    /// Not finished (RPC fault, waiting for other replicas, shutting down): the next
    /// poll picks it up again, from the journal.
    Later,
}

impl Runtime {
    pub fn new(
        node: Node,
        backend: Arc<dyn Backend>,
        journal: Journal,
        shutdown: CancellationToken,
        poll_interval: Duration,
        orchestrators: Vec<String>,
    ) -> Self {
        let orchestrators: Vec<String> =
            orchestrators.iter().map(|url| url.trim_end_matches('/').to_string()).collect();
        let operator = Arc::new(node.operator.insecure_clone());
        let blobs =
            orchestrators.iter().map(|url| BlobClient::new(url, operator.clone())).collect();
        let node = Arc::new(node);
        Runtime {
            submits: Coalescer::start(node.clone()),
            node,
            backend,
            journal,
            shutdown,
            poll_interval,
            orchestrators,
            http: reqwest::Client::new(),
            blobs,
            outputs: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `job` still needs something from this worker.
    pub fn needs_work(&self, job: &Job) -> bool {
        job.duty_of(&self.node.worker).is_some()
    }

    /// The job's journal entry, unless it belongs to an earlier job with the same id.
    fn entry(&self, job: &Job) -> Result<Option<Entry>> {
        Ok(self.journal.get(job.id)?.filter(|entry| entry.seed == job.seed))
    }

    fn forget(&self, job_id: u64) -> Result<()> {
        self.outputs.lock().unwrap().remove(&job_id);
        self.journal.remove(job_id)
    }

    pub async fn work(&self, job: Job) -> Result<Outcome> {
        if self.declined(&job).await? {
            return Ok(Outcome::Dropped);
        }
        let outcome = match job.kind {
            JobKind::Pow { difficulty } => self.run_pow(&job, difficulty).await?,
            JobKind::Kernel { .. } | JobKind::Tensor { .. } => self.run_kernel(&job).await?,
        };
        if matches!(outcome, Outcome::Done | Outcome::Dropped) {
            self.forget(job.id)?;
        }
        Ok(outcome)
    }

    async fn run_pow(&self, job: &Job, difficulty: u8) -> Result<Outcome> {
        let task = PowTask { seed: job.seed, worker: self.node.worker.to_bytes(), difficulty };
        let mut entry = self.entry(job)?.unwrap_or(Entry {
            job_id: job.id,
            seed: job.seed,
            progress: Progress::Searching { next_nonce: 0 },
        });
        let nonce = match entry.progress {
            Progress::Found { nonce } => {
                tracing::info!(job = job.id, nonce, "submitting the nonce found before a restart");
                nonce
            }
            Progress::Searching { next_nonce } => {
                if next_nonce > 0 {
                    tracing::info!(
                        job = job.id,
                        next_nonce,
                        "resuming the search from the checkpoint"
                    );
                }
                match self.search(job, &task, next_nonce).await? {
                    Search::Found(nonce) => {
                        entry.progress = Progress::Found { nonce };
                        self.journal.save(&entry)?;
                        fault::point(fault::AFTER_NONCE_FOUND);
                        nonce
                    }
                    Search::Stopped(next_nonce) => {
                        entry.progress = Progress::Searching { next_nonce };
                        self.journal.save(&entry)?;
                        return Ok(Outcome::Later);
                    }
                    Search::Gone => return Ok(Outcome::Dropped),
                }
            }
            _ => return Ok(Outcome::Dropped),
        };
        self.settle(job.id, "submit_pow", self.submits.submit_pow(job.id, nonce).await)
    }

    /// Declines a fresh assignment (nothing found or committed yet) that this worker
    /// should not keep: it is shutting down, or the time left to its deadline is too
    /// short for the job at its hashrate (it picked the job up late, after a restart).
    /// Declining inside the decline window costs nothing; missing costs stake.
    async fn declined(&self, job: &Job) -> Result<bool> {
        let Some(index) = job.assignment_index(&self.node.worker) else { return Ok(false) };
        if job.assignments[index].committed || self.entry(job)?.is_some() {
            return Ok(false);
        }
        let Ok(DeadlineView { now, worker: Some(worker), .. }) = self.node.deadline_view().await
        else {
            return Ok(false);
        };
        if now > job.decline_deadline(index) {
            return Ok(false);
        }
        let time_left = job.assignments[index].deadline - now;
        let reason = if self.shutdown.is_cancelled() {
            "shutting down"
        } else if !ignis::state::feasible(
            worker.settings.hashrate,
            job.kind.work_units(),
            time_left,
        ) {
            "too little time left for it at this worker's hashrate"
        } else {
            return Ok(false);
        };
        let decline = instructions::decline_assignment(self.node.operator_key(), job.id);
        match self.node.send(&[decline]).await {
            Ok(()) => {
                tracing::info!(
                    job = job.id,
                    reason,
                    "declined the assignment (no cost inside the decline window)"
                );
                Ok(true)
            }
            Err(err) => {
                tracing::debug!(job = job.id, %err, "could not decline; working on it instead");
                Ok(false)
            }
        }
    }

    /// Maps a send result to an outcome: program refusals that mean "not yours any
    /// more" drop the job; RPC faults leave it for the next poll (the journal keeps it).
    fn settle(&self, job_id: u64, what: &str, result: Result<(), ClientError>) -> Result<Outcome> {
        match result {
            Ok(()) => {
                tracing::info!(job = job_id, "{what} accepted");
                Ok(Outcome::Done)
            }
            Err(err) if job_is_gone(&err) => {
                tracing::warn!(job = job_id, %err, "{what} refused: the job moved on without this worker");
                Ok(Outcome::Dropped)
            }
            Err(err) => {
                tracing::warn!(job = job_id, %err, "{what} failed; will retry");
                Ok(Outcome::Later)
            }
        }
    }

    async fn search(&self, job: &Job, task: &PowTask, mut next_nonce: u64) -> Result<Search> {
        let batch = self.backend.pow_batch();
        let started = Instant::now();
        let first_nonce = next_nonce;
        let (mut last_checkpoint, mut last_progress, mut last_check) = (started, started, started);
        loop {
            if self.shutdown.is_cancelled() {
                tracing::info!(job = job.id, next_nonce, "stopping the search at a checkpoint");
                return Ok(Search::Stopped(next_nonce));
            }
            if next_nonce == u64::MAX {
                // 2^64 nonces without an answer: the difficulty is out of reach.
                return Ok(Search::Gone);
            }
            let (backend, task_copy) = (self.backend.clone(), *task);
            let from = next_nonce;
            let found =
                tokio::task::spawn_blocking(move || backend.pow_search(&task_copy, from, batch))
                    .await
                    .context("the search thread panicked")??;
            if let Some(nonce) = found {
                let secs = started.elapsed().as_secs_f64();
                tracing::info!(job = job.id, nonce, secs, "found a nonce");
                return Ok(Search::Found(nonce));
            }
            next_nonce = from.saturating_add(batch);
            let now = Instant::now();
            if now - last_checkpoint >= CHECKPOINT_EVERY {
                let entry = Entry {
                    job_id: job.id,
                    seed: job.seed,
                    progress: Progress::Searching { next_nonce },
                };
                self.journal.save(&entry)?;
                last_checkpoint = now;
            }
            if now - last_progress >= PROGRESS_EVERY {
                let searched = next_nonce - first_nonce;
                let rate = searched as f64 / started.elapsed().as_secs_f64();
                tracing::info!(
                    job = job.id,
                    searched,
                    expected = format!("2^{}", task.difficulty),
                    mhs = format!("{:.1}", rate / 1e6),
                    "searching"
                );
                last_progress = now;
            }
            if now - last_check >= RECHECK_EVERY {
                last_check = now;
                if let Ok(Some(current)) = self.node.job(job.id).await {
                    if current.seed != job.seed || !self.needs_work(&current) {
                        tracing::warn!(
                            job = job.id,
                            "the job is no longer assigned to this worker; stopping"
                        );
                        return Ok(Search::Gone);
                    }
                }
            }
        }
    }

    async fn run_kernel(&self, job: &Job) -> Result<Outcome> {
        let index =
            job.assignment_index(&self.node.worker).expect("needs_work checked the assignment");
        let assignment = job.assignments[index];
        let entry = self.entry(job)?;
        let (result_hash, salt) = match entry.as_ref().map(|e| &e.progress) {
            Some(
                Progress::Computed { result_hash, salt }
                | Progress::Committed { result_hash, salt },
            ) => (*result_hash, *salt),
            _ if assignment.committed => {
                // A stale copy of a job this worker already revealed and forgot; only when
                // the chain still waits for the reveal is the salt really lost.
                if self.assignment_on_chain(job.id).await == Some((true, false)) {
                    tracing::error!(
                        job = job.id,
                        "committed, but the journal lost the salt: the result cannot be revealed"
                    );
                }
                return Ok(Outcome::Dropped);
            }
            _ => {
                let output = match self.compute(job).await? {
                    Ok(output) => output,
                    Err(refusal) => return self.refuse(job, &refusal).await,
                };
                let entry = Entry {
                    job_id: job.id,
                    seed: job.seed,
                    progress: Progress::Computed {
                        result_hash: output.result_hash(),
                        salt: rand::random(),
                    },
                };
                self.journal.save(&entry)?;
                let Progress::Computed { result_hash, salt } = entry.progress else {
                    unreachable!()
                };
                (result_hash, salt)
            }
        };
        if !assignment.committed {
            let commitment =
                ignis::kernels::result_commitment(&result_hash, &salt, &self.node.worker);
            let commit = instructions::commit_result(self.node.operator_key(), job.id, commitment);
            match self.node.send(&[commit]).await {
                Ok(()) => tracing::info!(job = job.id, "result committed"),
                // Our commitment landed before a crash or a lost confirmation.
                Err(err)
                    if err.ignis_error() == Some(ignis::errors::IgnisError::AlreadyCommitted) => {}
                // A retried send of our own commitment fails once the first landed and the
                // job moved on to its reveal phase (JobNotRunning): look before dropping
                // the journal, whose salt is the only way to reveal (and not be slashed
                // as a withholder).
                Err(err)
                    if self
                        .assignment_on_chain(job.id)
                        .await
                        .is_some_and(|(committed, _)| committed) =>
                {
                    tracing::debug!(job = job.id, %err, "our commitment had landed already");
                }
                Err(err) => return self.settle(job.id, "commit_result", Err(err)),
            }
            self.journal.save(&Entry {
                job_id: job.id,
                seed: job.seed,
                progress: Progress::Committed { result_hash, salt },
            })?;
            fault::point(fault::AFTER_COMMIT);
        }
        self.reveal_when_open(job.id, result_hash, salt).await
    }

    /// This worker's assignment on `job_id` as the chain shows it now: (committed,
    /// revealed), or `None` when unreadable or no longer assigned. One read.
    async fn assignment_on_chain(&self, job_id: u64) -> Option<(bool, bool)> {
        let job = self.node.job(job_id).await.ok()??;
        let index = job.assignment_index(&self.node.worker)?;
        Some((job.assignments[index].committed, job.assignments[index].revealed))
    }

    /// The job's output, computed once and kept until it is uploaded. `Ok(Err(why))`:
    /// the job cannot be run as posted (its inputs are missing, malformed, or not the
    /// shape it was posted with).
    async fn compute(&self, job: &Job) -> Result<std::result::Result<Output, String>> {
        if let Some(output) = self.outputs.lock().unwrap().get(&job.id) {
            return Ok(Ok(output.clone()));
        }
        let backend = self.backend.clone();
        let started = Instant::now();
        let output = match job.kind {
            JobKind::Kernel { size: n, .. } => {
                tracing::info!(job = job.id, n, "running matmul-u32");
                fault::point(fault::MID_KERNEL);
                let seed = job.seed;
                let output = tokio::task::spawn_blocking(move || backend.matmul(&seed, n))
                    .await
                    .context("the kernel thread panicked")??;
                let secs = started.elapsed().as_secs_f64();
                let gops = 2.0 * f64::from(n).powi(3) / secs / 1e9;
                tracing::info!(
                    job = job.id,
                    n,
                    secs,
                    gops = format!("{gops:.2}"),
                    "matmul-u32 done"
                );
                Output::Matmul(Arc::new(output))
            }
            JobKind::Tensor { spec } => {
                let inputs = match self.fetch_inputs(job, &spec).await {
                    Ok(inputs) => inputs,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let kernel = ignis::kernels::kernel_name(spec.kernel).unwrap_or("tensor");
                tracing::info!(job = job.id, kernel, rows = spec.rows, "running");
                fault::point(fault::MID_KERNEL);
                let cols = inputs.cols();
                let mut values = tokio::task::spawn_blocking(move || inputs.run(backend.as_ref()))
                    .await
                    .context("the kernel thread panicked")??;
                if fault::lies() {
                    let row = rand::random::<usize>() % (values.len() / cols.max(1)).max(1);
                    values[row * cols] = values[row * cols].wrapping_add(1);
                    tracing::error!(job = job.id, row, "fault injected: output row changed");
                }
                let secs = started.elapsed().as_secs_f64();
                let gops = 2.0 * spec.macs() as f64 / secs / 1e9;
                tracing::info!(job = job.id, kernel, secs, gops = format!("{gops:.2}"), "done");
                Output::Tensor { values: Arc::new(values), cols }
            }
            JobKind::Pow { .. } => anyhow::bail!("a PoW job has no kernel output"),
        };
        self.outputs.lock().unwrap().insert(job.id, output.clone());
        Ok(Ok(output))
    }

    /// A tensor job's inputs, fetched and checked. An input the data plane cannot serve
    /// yet (an orchestrator down, or one whose index has not seen the assignment) is
    /// retried while the decline window lasts; near its end the job is declined, at no
    /// cost, rather than kept and missed: nobody is slashed for data it could not get.
    async fn fetch_inputs(
        &self,
        job: &Job,
        spec: &TensorSpec,
    ) -> std::result::Result<TensorInputs, String> {
        /// Seconds before the decline window closes when a worker still waiting for its
        /// inputs gives up and declines.
        const DECLINE_MARGIN_SECONDS: i64 = 10;
        let index = job.assignment_index(&self.node.worker);
        let decline_by = index.map(|index| job.decline_deadline(index) - DECLINE_MARGIN_SECONDS);
        loop {
            match self.tensor_inputs(job.id, spec).await {
                Ok(inputs) => return Ok(inputs),
                Err(InputProblem::Invalid(why)) => return Err(why),
                Err(InputProblem::Unavailable(why)) => {
                    let now = self.node.deadline_view().await.ok().map(|view| view.now);
                    if decline_by.zip(now).is_none_or(|(by, now)| now >= by) {
                        return Err(format!(
                            "{why}; still unavailable as the decline window closes"
                        ));
                    }
                    tracing::info!(job = job.id, why, "inputs not available yet; retrying");
                }
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => return Err("shutting down".into()),
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Downloads a tensor job's inputs (each checked against its hash) and checks them
    /// against the shape the job was posted with.
    async fn tensor_inputs(
        &self,
        job_id: u64,
        spec: &TensorSpec,
    ) -> std::result::Result<TensorInputs, InputProblem> {
        let mut bytes = Vec::with_capacity(2);
        for input in &spec.inputs {
            let id = BlobId(input.sha256);
            let mut last_error = String::from("no orchestrator API is configured (--orchestrator)");
            let mut fetched = None;
            for client in &self.blobs {
                match client.get_bytes(&id).await {
                    Ok(data) => {
                        fetched = Some(data);
                        break;
                    }
                    Err(err) => last_error = err.to_string(),
                }
            }
            let data = fetched
                .ok_or_else(|| InputProblem::Unavailable(format!("input {id}: {last_error}")))?;
            if data.len() as u64 != input.size {
                return Err(InputProblem::Invalid(format!(
                    "input {id} has {} bytes, not the {} posted",
                    data.len(),
                    input.size
                )));
            }
            bytes.push(data);
        }
        let declared = Shape::from(spec);
        tokio::task::spawn_blocking({
            let kernel = spec.kernel;
            move || {
                let inputs =
                    TensorInputs::parse(kernel, [&bytes[0], &bytes[1]], ["input 0", "input 1"])
                        .map_err(|err| err.to_string())?;
                inputs.check_declared(declared).map_err(|err| err.to_string())?;
                Ok(inputs)
            }
        })
        .await
        .map_err(|err| format!("parsing the inputs of job {job_id} panicked: {err}"))
        .and_then(|parsed| parsed)
        .map_err(InputProblem::Invalid)
    }

    /// Turns down a job that cannot run as posted: declined at no cost inside the
    /// decline window (it goes back to the queue, and to its poster's refund in the
    /// end); past it, left to expire.
    async fn refuse(&self, job: &Job, why: &str) -> Result<Outcome> {
        tracing::warn!(job = job.id, why, "this job cannot run as posted: declining it");
        let decline = instructions::decline_assignment(self.node.operator_key(), job.id);
        match self.node.send(&[decline]).await {
            Ok(()) => Ok(Outcome::Dropped),
            Err(err) if job_is_gone(&err) => Ok(Outcome::Dropped),
            Err(err) => {
                tracing::warn!(job = job.id, %err, "could not decline the job");
                Ok(Outcome::Dropped)
            }
        }
    }

    /// Waits for the reveal phase (every replica committed, or the job expired and no
    /// other replica can still commit), then reveals and uploads the output to the
    /// verifier.
    async fn reveal_when_open(
        &self,
        job_id: u64,
        result_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Result<Outcome> {
        loop {
            let job = match self.node.job(job_id).await {
                Ok(Some(job)) => job,
                Ok(None) => return Ok(Outcome::Dropped),
                Err(err) => {
                    tracing::warn!(job = job_id, %err, "cannot read the job; will retry");
                    return Ok(Outcome::Later);
                }
            };
            if !self.needs_work(&job) {
                return Ok(Outcome::Dropped);
            }
            // The program's rule for when the reveal phase has begun.
            let open = match job.status {
                JobStatus::Revealing => true,
                _ => match self.node.deadline_view().await {
                    Ok(view) => job
                        .reveal_deadline_at(view.now, view.config.params.reveal_window_seconds)
                        .is_some(),
                    Err(_) => false,
                },
            };
            if open {
                let reveal = instructions::reveal_result(
                    self.node.operator_key(),
                    job_id,
                    result_hash,
                    salt,
                );
                let outcome =
                    self.settle(job_id, "reveal_result", self.node.send(&[reveal]).await)?;
                // An upload lets the verifier check outputs too big to recompute, and
                // keeps a tensor job's output for its poster: sent whenever our reveal
                // is on chain, even if this send only learned so from a refusal.
                let revealed = outcome == Outcome::Done
                    || self.assignment_on_chain(job_id).await.is_some_and(|(_, revealed)| revealed);
                if revealed {
                    self.upload(&job).await;
                }
                return Ok(outcome);
            }
            tokio::select! {
                _ = self.shutdown.cancelled() => return Ok(Outcome::Later),
                _ = tokio::time::sleep(self.poll_interval * 2) => {}
            }
        }
    }

    /// Sends the output to an orchestrator's verifier, the first of them that takes it;
    /// failures only cost this worker the chance of being attested early (the verifier
    /// may recompute).
    async fn upload(&self, job: &Job) {
        if !matches!(job.kind, JobKind::Kernel { .. } | JobKind::Tensor { .. })
            || self.orchestrators.is_empty()
        {
            return;
        }
        let output = match self.compute(job).await {
            Ok(Ok(output)) => output,
            Ok(Err(why)) => {
                return tracing::warn!(job = job.id, why, "cannot recompute the output for upload")
            }
            Err(err) => {
                return tracing::warn!(job = job.id, %err, "cannot recompute the output for upload")
            }
        };
        // Shared, not copied, by each try (an output is up to 64 MiB).
        let body = bytes::Bytes::from(output.upload_body());
        let mut failures = vec![];
        for api in &self.orchestrators {
            let url = format!("{api}/api/results/{}", job.id);
            match self
                .http
                .post(&url)
                .body(body.clone())
                .send()
                .await
                .and_then(|r| r.error_for_status())
            {
                Ok(_) => {
                    return tracing::info!(job = job.id, %api, "output uploaded for verification")
                }
                // The verifier already settled the job (it recomputed the result itself).
                Err(err) if err.status() == Some(reqwest::StatusCode::CONFLICT) => {
                    return tracing::debug!(
                        job = job.id,
                        "the job settled before the upload; none needed"
                    );
                }
                Err(err) => failures.push(format!("{api}: {err}")),
            }
        }
        tracing::warn!(
            job = job.id,
            "could not upload the output for verification to any orchestrator ({})",
            failures.join("; ")
        );
    }
}

enum Search {
    Found(u64),
    /// Shutting down: resume from this nonce.
    Stopped(u64),
    /// The job is no longer this worker's.
    Gone,
}
