//! The HTTP API (JSON, camelCase, permissive CORS for the web app), server-sent
//! events, result uploads for the verifier, health and Prometheus metrics.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::Arc,
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, StatusCode},
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
    routing::{get, post},
    Json, Router,
};
use futures::{Stream, StreamExt};
use ignis::{constants::KERNEL_MATMUL_U32, state::JobKind};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tower_http::cors::CorsLayer;

use crate::{
    index::Index,
    store::JobFilter,
    verifier::{Upload, UploadedOutput},
    views::{parse_status, status_name, JobView, JobsByStatus, Sample, StatsView, STATUSES},
    Event, Shared,
};

/// Largest upload: a 4096 x 4096 u32 output.
pub const MAX_UPLOAD_BYTES: usize = 64 << 20;
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1_000;
/// History: one sample every 10 s, the last hour.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
const HISTORY_LEN: usize = 360;
const STATS_EVERY: Duration = Duration::from_secs(3);

pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into() }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/jobs", get(list_jobs))
        .route("/api/jobs/{id}", get(get_job))
        .route("/api/jobs/{id}/outputs", get(job_outputs))
        .route("/api/workers", get(list_workers))
        .route("/api/stats", get(stats))
        .route("/api/events", get(events))
        .route(
            "/api/results/{id}",
            post(upload_result).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            ApiError::not_found(
                "no such endpoint: see /api/jobs, /api/workers, /api/stats, /api/events, /api/blobs",
            )
        })
        .with_state(shared.clone())
        .merge(crate::blobs::routes::router(
            shared.blobs.clone(),
            crate::blobs::job_readers(shared.clone()),
        ))
        .layer(CorsLayer::permissive())
}

fn parse_id(text: &str) -> ApiResult<u64> {
    text.parse().map_err(|_| {
        ApiError::bad_request(format!("`{text}` is not a job id (a non-negative integer)"))
    })
}

async fn list_jobs(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let mut status = None;
    let mut poster = None;
    let mut limit = DEFAULT_LIMIT;
    let mut before: Option<(i64, u64)> = None;
    for (key, value) in &params {
        match key.as_str() {
            "status" => {
                status = Some(parse_status(value).ok_or_else(|| {
                    let names: Vec<&str> = STATUSES.iter().map(|s| status_name(*s)).collect();
                    ApiError::bad_request(format!(
                        "unknown status `{value}`: use one of {}",
                        names.join(", ")
                    ))
                })?)
            }
            "poster" => {
                poster = Some(value.parse::<Pubkey>().map_err(|_| {
                    ApiError::bad_request(format!(
                        "poster `{value}` is not a Solana address (base58, 32 bytes)"
                    ))
                })?)
            }
            "limit" => {
                limit =
                    value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "limit `{value}` must be a number from 1 to {MAX_LIMIT}"
                        ))
                    })?
            }
            "before" => {
                before = Some(parse_cursor(value).ok_or_else(|| {
                    ApiError::bad_request(format!(
                    "cursor `{value}` is not one this API gave: pass the `next` of a previous page"
                ))
                })?)
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter `{other}`: use status, poster, limit or before"
                )))
            }
        }
    }
    let filter = JobFilter { status, poster, before };
    // One more than asked from each source: a next page exists when one more matched.
    let mut page: Vec<JobView> = {
        let index = shared.index.read().expect("index lock");
        // Newest posted first, strictly older than the cursor: a stable page whatever
        // is posted meanwhile.
        let older = match before {
            Some(cursor) => index.by_posted.range(..cursor),
            None => index.by_posted.range(..),
        };
        let live = older
            .rev()
            .filter_map(|(_, id)| index.jobs.get(id))
            .filter(|e| filter.matches(&e.value))
            .take(limit + 1)
            .map(|e| JobView::new(&e.value, e.slot, index.is_closed(e.value.id)));
        let unsaved = shared.closed.lock().expect("closed lock").page(filter, limit + 1);
        live.chain(unsaved.iter().map(|c| JobView::new(&c.job, c.slot, true))).collect()
    };
    let stored = shared.store.page(filter, limit + 1).await.map_err(history_unreadable)?;
    page.extend(stored.iter().map(|c| JobView::new(&c.job, c.slot, true)));
    // A job moving into the database meanwhile may come from two sources.
    page.sort_by_key(|view| std::cmp::Reverse((view.posted_at, view.id)));
    page.dedup_by_key(|view| (view.posted_at, view.id));
    let more = page.len() > limit;
    page.truncate(limit);
    let next = page.last().filter(|_| more).map(|last| format!("{}.{}", last.posted_at, last.id));
    Ok(Json(json!({ "jobs": page, "next": next })))
}

fn history_unreadable(err: anyhow::Error) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the job history database cannot be read ({err:#}); try again shortly"),
    )
}

/// A page cursor: `POSTED_AT.ID` of the last job of the previous page.
fn parse_cursor(text: &str) -> Option<(i64, u64)> {
    let (posted_at, id) = text.split_once('.')?;
    Some((posted_at.parse().ok()?, id.parse().ok()?))
}

async fn get_job(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let live = shared.index.read().expect("index lock").job_view(id);
    let unsaved = || shared.closed.lock().expect("closed lock").job(id);
    let view = match live {
        Some(view) => Some(view),
        None => match unsaved() {
            Some(closed) => Some(closed),
            None => shared.store.job(id).await.map_err(history_unreadable)?,
        }
        .map(|closed| JobView::new(&closed.job, closed.slot, true)),
    };
    let view = view.ok_or_else(|| ApiError::not_found(format!("there is no job #{id}")))?;
    Ok(Json(serde_json::to_value(view).expect("serializable")))
}

async fn list_workers(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let index = shared.index.read().expect("index lock");
    let mut workers: Vec<_> =
        index.workers.keys().filter_map(|address| index.worker_view(address)).collect();
    workers.sort_by(|a, b| a.address.cmp(&b.address));
    Json(json!({ "workers": workers }))
}

pub fn current_stats(shared: &Shared) -> StatsView {
    let history: Vec<Sample> =
        shared.history.lock().expect("history lock").iter().copied().collect();
    let index = shared.index.read().expect("index lock");
    // Under the index lock: the history task moves jobs out of the index under it.
    let closed = shared.closed.lock().expect("closed lock").totals();
    index.stats(history, &closed)
}

/// Jobs by status, live and closed.
fn job_counts(shared: &Shared, index: &Index) -> JobsByStatus {
    index.by_status.plus(&shared.closed.lock().expect("closed lock").totals().by_status)
}

async fn stats(State(shared): State<Arc<Shared>>) -> Json<StatsView> {
    Json(current_stats(&shared))
}

fn sse_event(event: &Event) -> SseEvent {
    let (name, data) = match event {
        Event::Job(view) => ("job", serde_json::to_string(view)),
        Event::Worker(view) => ("worker", serde_json::to_string(view)),
        Event::Stats(view) => ("stats", serde_json::to_string(view)),
    };
    SseEvent::default().event(name).data(data.expect("serializable"))
}

async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = shared.events.subscribe();
    // The current stats first, so a new client has something to draw at once.
    let first = sse_event(&Event::Stats(Box::new(current_stats(&shared))));
    let updates = futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((sse_event(&event), receiver)),
                // A slow client misses some updates; the next ones still come.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let stream = futures::stream::once(async move { first })
        .chain(updates)
        .map(Ok)
        // Open streams would hold a graceful shutdown for ever.
        .take_until(shared.shutdown.clone().cancelled_owned());
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The size of a `matmul-u32` job's output.
/// What an upload for job `id` must be: a matmul-u32 output of size n, or a tensor
/// job's output.
fn upload_kind(shared: &Shared, id: u64) -> ApiResult<(JobKind, Pubkey, i64)> {
    let index = shared.index.read().expect("index lock");
    let job = &index
        .jobs
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("there is no job #{id}")))?
        .value;
    match job.kind {
        JobKind::Kernel { kernel: KERNEL_MATMUL_U32, .. } | JobKind::Tensor { .. } => {
            Ok((job.kind, job.poster, job.posted_at))
        }
        _ => Err(ApiError::bad_request(format!(
            "job #{id} is not a kernel job (matmul-u32, gemm-i8, mlp-i8): nothing to upload"
        ))),
    }
}

/// How often job `id` was re-queued if one of its replicas revealed `hash`, waiting a
/// little for a reveal that just landed to reach the index.
async fn revealed_round(shared: &Shared, id: u64, hash: &[u8; 32]) -> ApiResult<u16> {
    let give_up = Instant::now() + Duration::from_secs(3);
    loop {
        {
            let index = shared.index.read().expect("index lock");
            let job = &index
                .jobs
                .get(&id)
                .ok_or_else(|| ApiError::not_found(format!("there is no job #{id}")))?
                .value;
            if job.live_assignments().iter().any(|a| a.revealed && a.result_hash == *hash) {
                return Ok(job.requeues);
            }
            if !index.active.contains(&id) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("job #{id} is {}: it no longer takes uploads", status_name(job.status)),
                ));
            }
        }
        if Instant::now() >= give_up {
            // Anyone can post here: an output no replica revealed is ignored, so nobody
            // can get an honest worker disputed.
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("no replica of job #{id} revealed this output's hash (yet): upload once reveal_result has landed"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn upload_result(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = parse_id(&id)?;
    let (kind, poster, posted_at) = upload_kind(&shared, id)?;
    let internal = |what: &str| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, what.to_string());
    let output = match kind {
        JobKind::Tensor { spec } => {
            let shape = ignis_kernels::tensor_job::Shape::from(&spec);
            let npy = body.clone();
            let (values, root) = tokio::task::spawn_blocking(move || {
                ignis_kernels::tensor_job::parse_output(&npy, shape)
            })
            .await
            .map_err(|_| internal("hashing the upload failed"))?
            .map_err(|err| ApiError::bad_request(format!("job #{id}: {err}")))?;
            (root, UploadedOutput::Tensor(Arc::new(values)))
        }
        JobKind::Kernel { size: n, .. } => {
            let expected = 4 * u64::from(n) * u64::from(n);
            if body.len() as u64 != expected {
                return Err(ApiError::bad_request(format!(
                    "job #{id} is {n}x{n}: expected {expected} bytes (u32 little-endian, row-major), got {}",
                    body.len(),
                )));
            }
            let bytes = body.clone();
            let (output, hash) = tokio::task::spawn_blocking(move || {
                let output =
                    ignis_kernels::matmul::output_from_bytes(&bytes, n).expect("length checked");
                let hash = ignis_kernels::matmul::result_hash(&output);
                (output, hash)
            })
            .await
            .map_err(|_| internal("hashing the upload failed"))?;
            (hash, UploadedOutput::Matmul(Arc::new(output)))
        }
        JobKind::Pow { .. } => unreachable!("upload_kind refuses PoW jobs"),
    };
    let (hash, output) = output;
    let requeues = revealed_round(&shared, id, &hash).await?;
    if matches!(output, UploadedOutput::Tensor(_)) {
        // The poster's copy: matched against a revealed root, so it is some replica's
        // committed answer (the verifier says whether it is right).
        crate::blobs::keep_job_output(&shared, (id, posted_at), &poster, &hash, body)
            .await
            .map_err(|err| {
                tracing::error!("keeping a job output: {err:#}");
                internal("the output could not be kept")
            })?;
    }
    {
        let mut uploads = shared.uploads.lock().expect("uploads lock");
        let upload = uploads.entry(id).or_insert_with(|| Upload { requeues, outputs: vec![] });
        if upload.requeues != requeues {
            *upload = Upload { requeues, outputs: vec![] };
        }
        if upload.outputs.iter().any(|(known, _)| *known == hash) {
            return Ok((
                StatusCode::OK,
                Json(json!({ "job": id, "accepted": true, "already": true })),
            ));
        }
        upload.outputs.push((hash, output));
    }
    shared.wake();
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": id, "accepted": true }))))
}

/// A tensor job's outputs kept for its poster (one per distinct revealed root that was
/// uploaded): `ignis job result` picks the one whose root the job settled on.
async fn job_outputs(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id)?;
    let outputs = shared.store.job_outputs(id).await.map_err(|err| {
        tracing::error!("reading job outputs: {err:#}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the outputs could not be read")
    })?;
    Ok(Json(json!(outputs)))
}

async fn healthz(State(shared): State<Arc<Shared>>) -> (StatusCode, &'static str) {
    if shared.index.read().expect("index lock").ready {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "indexing")
    }
}

fn update_gauges(shared: &Shared) {
    let index = shared.index.read().expect("index lock");
    let counts = job_counts(shared, &index);
    for status in STATUSES {
        shared
            .metrics
            .jobs
            .with_label_values(&[status_name(status)])
            .set(counts.get(status) as i64);
    }
    shared.metrics.workers.set(index.workers.len() as i64);
    shared
        .metrics
        .workers_accepting
        .set(index.workers.values().filter(|w| w.value.settings.accepting_jobs).count() as i64);
    let metrics = &shared.metrics;
    let clamp = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    for (address, entry) in &index.workers {
        let (worker, label) = (&entry.value, address.to_string());
        let capacity = &worker.capacity;
        let figures = [
            ("claimed_hashrate", worker.settings.hashrate),
            ("proven_hashrate", capacity.proven_hashrate),
            ("rated_hashrate", worker.effective_hashrate()),
            ("uptime_bps", u64::from(capacity.uptime_bps())),
            ("challenges_answered", capacity.challenges_answered),
            ("challenges_missed", capacity.challenges_missed),
            ("sla_breaches", capacity.sla_breaches),
            ("slashed", worker.slashed_total),
        ];
        for (figure, value) in figures {
            metrics.worker_figures.with_label_values(&[&label, figure]).set(clamp(value));
        }
        metrics.worker_compute_hours.with_label_values(&[&label]).set(capacity.compute_hours());
    }
    if let Some(config) = index.program_config() {
        let network = &config.network_uptime;
        let figures = [
            ("proven_hashrate", index.proven_hashrate()),
            ("uptime_bps", u64::from(network.uptime_bps)),
            ("challenges_answered", network.challenges_answered),
            ("challenges_missed", network.challenges_missed),
            ("sla_breaches", index.sla_breaches()),
            ("sla_compensated", config.totals.sla_compensated),
        ];
        for (figure, value) in figures {
            metrics.network_figures.with_label_values(&[figure]).set(clamp(value));
        }
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    update_gauges(&shared);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], shared.metrics.render())
}

/// Samples history and pushes `stats` events until shutdown.
pub async fn sample_stats(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut last_sample: Option<Instant> = None;
    loop {
        if last_sample.is_none_or(|t| t.elapsed() >= SAMPLE_EVERY) {
            last_sample = Some(Instant::now());
            let sample = {
                let index = shared.index.read().expect("index lock");
                let counts = job_counts(&shared, &index);
                Sample {
                    t: index.clock,
                    jobs_completed: counts.completed,
                    jobs_open: counts.open,
                    hashrate: index.hashrate(),
                    proven_hashrate: index.proven_hashrate(),
                    uptime_bps: index
                        .program_config()
                        .map_or(10_000, |c| c.network_uptime.uptime_bps),
                }
            };
            let mut history = shared.history.lock().expect("history lock");
            history.push_back(sample);
            while history.len() > HISTORY_LEN {
                history.pop_front();
            }
        }
        update_gauges(&shared);
        let _ = shared.events.send(Event::Stats(Box::new(current_stats(&shared))));
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(STATS_EVERY) => {}
        }
    }
}
