//! The API's JSON shapes (camelCase, amounts as decimal strings so JavaScript keeps
//! every digit), built from indexed accounts.

use anchor_lang::prelude::Pubkey;
use ignis::state::{Job, JobKind, JobStatus, Stake, Worker};
use serde::Serialize;

pub const STATUSES: [JobStatus; 7] = [
    JobStatus::Open,
    JobStatus::Running,
    JobStatus::Completed,
    JobStatus::Cancelled,
    JobStatus::Refunded,
    JobStatus::Revealing,
    JobStatus::Challenge,
];

pub fn status_name(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Open => "open",
        JobStatus::Running => "running",
        JobStatus::Completed => "completed",
        JobStatus::Cancelled => "cancelled",
        JobStatus::Refunded => "refunded",
        JobStatus::Revealing => "revealing",
        JobStatus::Challenge => "challenge",
    }
}

pub fn parse_status(name: &str) -> Option<JobStatus> {
    STATUSES.into_iter().find(|s| status_name(*s) == name.to_ascii_lowercase())
}

pub use ignis::kernels::kernel_names;

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputView {
    pub sha256: String,
    pub size: u64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentView {
    pub worker: String,
    pub deadline: i64,
    pub committed: bool,
    pub revealed: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: u64,
    pub address: String,
    pub poster: String,
    pub kind: &'static str,
    /// The catalog name of its kernel (`pow-sha256`, `matmul-u32`, `gemm-i8`, `mlp-i8`).
    pub kernel: &'static str,
    /// A tensor job's input blobs.
    pub inputs: Vec<InputView>,
    pub difficulty: Option<u8>,
    pub size: Option<u32>,
    pub replicas: u8,
    pub reward: String,
    pub status: &'static str,
    pub assignments: Vec<AssignmentView>,
    pub posted_at: i64,
    pub expires_at: i64,
    pub completed_at: i64,
    pub result_hash: String,
    pub pow_nonce: String,
    pub requeues: u16,
    pub slot: u64,
    /// The job's account was closed (its rent returned to the poster): this is its
    /// last state, kept as history.
    pub closed: bool,
    /// The service level bought for it, if any.
    pub sla: Option<SlaView>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SlaView {
    pub compensation_bps: u16,
    pub min_uptime_bps: u16,
    pub premium: String,
}

impl JobView {
    pub fn new(job: &Job, slot: u64, closed: bool) -> Self {
        let (kind, difficulty, size) = match job.kind {
            JobKind::Pow { difficulty } => ("pow", Some(difficulty), None),
            JobKind::Kernel { size, .. } => ("matmul", None, Some(size)),
            JobKind::Tensor { spec } => ("tensor", None, Some(spec.rows)),
        };
        let inputs = match job.kind {
            JobKind::Tensor { spec } => spec
                .inputs
                .iter()
                .map(|input| InputView { sha256: hex(&input.sha256), size: input.size })
                .collect(),
            _ => Vec::new(),
        };
        JobView {
            id: job.id,
            address: ignis_client::pda::job(job.id).to_string(),
            poster: job.poster.to_string(),
            kind,
            kernel: ignis::kernels::kernel_name(job.kind.kernel()).unwrap_or("unknown"),
            inputs,
            difficulty,
            size,
            replicas: job.replicas,
            reward: job.reward.to_string(),
            status: status_name(job.status),
            assignments: job
                .live_assignments()
                .iter()
                .map(|a| AssignmentView {
                    worker: a.worker.to_string(),
                    deadline: a.deadline,
                    committed: a.committed,
                    revealed: a.revealed,
                })
                .collect(),
            posted_at: job.posted_at,
            expires_at: job.expires_at,
            completed_at: job.completed_at,
            result_hash: hex(&job.result_hash),
            pow_nonce: job.pow_nonce.to_string(),
            requeues: job.requeues,
            slot,
            closed,
            sla: job.sla.map(|sla| SlaView {
                compensation_bps: sla.compensation_bps,
                min_uptime_bps: sla.min_uptime_bps,
                premium: sla.premium.to_string(),
            }),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerView {
    pub address: String,
    pub operator: String,
    pub gpu_model: String,
    pub vram_mb: u32,
    pub compute_capability: u16,
    pub kernels: Vec<&'static str>,
    pub hashrate: u64,
    pub min_price: String,
    pub max_concurrent_jobs: u16,
    pub active_jobs: u16,
    pub accepting: bool,
    /// False once deregistered (the record stays on chain).
    pub registered: bool,
    pub jobs_completed: u64,
    pub jobs_missed: u64,
    pub jobs_disputed: u64,
    pub earned_total: String,
    pub stake: String,
    pub slashed_total: String,
    /// What capacity challenges proved, beside the claim (`hashrate`).
    pub capacity: CapacityView,
}

/// A worker's proven figures (`Capacity`): the dashboard's claimed-against-proven.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityView {
    /// Moving average of the rates its answers proved, H/s; 0 before the first.
    pub proven_hashrate: u64,
    /// What assignment trusts: the claim, cut to what challenges proved, H/s.
    pub rated_hashrate: u64,
    /// Challenges answered in time over its last 64, in basis points.
    pub uptime_bps: u16,
    pub challenges_answered: u64,
    pub challenges_missed: u64,
    /// Missed its last 3 challenges: no new jobs until it answers one.
    pub suspended: bool,
    /// Whether a challenge is open now, and until when (protocol time).
    pub challenge_deadline: Option<i64>,
    /// Hours of work served at the rated hashrate.
    pub compute_hours: f64,
    pub sla_breaches: u64,
}

impl CapacityView {
    pub fn new(worker: &Worker) -> Self {
        let capacity = &worker.capacity;
        CapacityView {
            proven_hashrate: capacity.proven_hashrate,
            rated_hashrate: worker.effective_hashrate(),
            uptime_bps: capacity.uptime_bps(),
            challenges_answered: capacity.challenges_answered,
            challenges_missed: capacity.challenges_missed,
            suspended: capacity.suspended(),
            challenge_deadline: capacity.open.map(|c| c.deadline),
            compute_hours: capacity.compute_hours(),
            sla_breaches: capacity.sla_breaches,
        }
    }
}

impl WorkerView {
    pub fn new(address: &Pubkey, worker: &Worker, stake: Option<&Stake>) -> Self {
        let s = &worker.settings;
        WorkerView {
            address: address.to_string(),
            operator: worker.operator.to_string(),
            gpu_model: s.gpu.model.clone(),
            vram_mb: s.gpu.vram_mb,
            compute_capability: s.gpu.compute_capability,
            kernels: kernel_names(s.supported_kernels),
            hashrate: s.hashrate,
            min_price: s.min_price.to_string(),
            max_concurrent_jobs: s.max_concurrent_jobs,
            active_jobs: worker.active_jobs,
            accepting: s.accepting_jobs,
            registered: worker.registered,
            jobs_completed: worker.jobs_completed,
            jobs_missed: worker.jobs_missed,
            jobs_disputed: worker.jobs_disputed,
            earned_total: worker.earned_total.to_string(),
            stake: stake.map_or(0, |s| s.amount).to_string(),
            slashed_total: worker.slashed_total.to_string(),
            capacity: CapacityView::new(worker),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct JobsByStatus {
    pub open: u64,
    pub running: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub refunded: u64,
    pub revealing: u64,
    pub challenge: u64,
}

impl JobsByStatus {
    pub fn add(&mut self, status: JobStatus, n: i64) {
        let slot = match status {
            JobStatus::Open => &mut self.open,
            JobStatus::Running => &mut self.running,
            JobStatus::Completed => &mut self.completed,
            JobStatus::Cancelled => &mut self.cancelled,
            JobStatus::Refunded => &mut self.refunded,
            JobStatus::Revealing => &mut self.revealing,
            JobStatus::Challenge => &mut self.challenge,
        };
        *slot = slot.saturating_add_signed(n);
    }

    /// These counts plus `other`'s.
    pub fn plus(&self, other: &JobsByStatus) -> JobsByStatus {
        JobsByStatus {
            open: self.open + other.open,
            running: self.running + other.running,
            completed: self.completed + other.completed,
            cancelled: self.cancelled + other.cancelled,
            refunded: self.refunded + other.refunded,
            revealing: self.revealing + other.revealing,
            challenge: self.challenge + other.challenge,
        }
    }

    pub fn get(&self, status: JobStatus) -> u64 {
        match status {
            JobStatus::Open => self.open,
            JobStatus::Running => self.running,
            JobStatus::Completed => self.completed,
            JobStatus::Cancelled => self.cancelled,
            JobStatus::Refunded => self.refunded,
            JobStatus::Revealing => self.revealing,
            JobStatus::Challenge => self.challenge,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    pub t: i64,
    pub jobs_completed: u64,
    pub jobs_open: u64,
    /// Claimed hashrate of the workers accepting jobs, H/s.
    pub hashrate: u64,
    /// Their rated (proven) hashrate, H/s.
    pub proven_hashrate: u64,
    /// The network's challenge uptime (`Config::network_uptime`), basis points.
    pub uptime_bps: u16,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    pub slot: u64,
    pub workers_online: u64,
    pub gpus: u64,
    pub jobs_by_status: JobsByStatus,
    pub hashrate: u64,
    pub volume: String,
    pub total_staked: String,
    pub emission_rate: String,
    pub mint: String,
    pub history: Vec<Sample>,
    /// Rated hashrate of the workers accepting jobs: claims cut to what challenges
    /// proved, H/s.
    pub proven_hashrate: u64,
    /// The network's challenge uptime, folded from the shards by `sync_shard`.
    pub uptime_bps: u16,
    pub challenges_answered: u64,
    pub challenges_missed: u64,
    /// Hours of work served at the workers' rated hashrates.
    pub compute_hours: f64,
    /// Deadlines of SLA jobs missed, and the stake paid to their posters for them.
    pub sla_breaches: u64,
    pub sla_compensated: String,
    /// What an SLA costs a one-replica job now, and what it pays at least per miss.
    pub sla_premium: String,
    pub sla_min_compensation: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_refused() {
        for status in STATUSES {
            assert_eq!(parse_status(status_name(status)), Some(status));
        }
        assert_eq!(parse_status("Open"), Some(JobStatus::Open));
        assert_eq!(parse_status("done"), None);
        assert_eq!(kernel_names(0b11), vec!["pow-sha256", "matmul-u32"]);
    }
}
