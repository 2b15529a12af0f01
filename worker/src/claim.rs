//! Claiming jobs when every orchestrator is gone. Once the chain shows the orchestrator
//! silent for `orchestrator_timeout_seconds` (`Config::check_orchestrator_silent`), the
//! worker claims open jobs it can take (`claim_job`), oldest first, up to its free
//! capacity, by the rule the program checks (`Worker::check_assignment`). Workers
//! racing for a job are arbitrated by the chain: a claim that lost is a stale read, not
//! an error.

use anyhow::Result;
use ignis::{
    errors::IgnisError,
    state::{Job, Worker},
};
use ignis_client::{instructions, rpc::ClientError};

use crate::node::Node;

/// The jobs this worker claimed now (none while an orchestrator is heard from).
pub async fn claim_open_jobs(node: &Node) -> Result<Vec<Job>> {
    let (config, now, worker) = node.client.protocol_clock_and::<Worker>(&node.worker).await?;
    if config.check_orchestrator_silent(now).is_err() {
        return Ok(vec![]);
    }
    let me = node.operator_key();
    let (Some(mut worker), Some(stake)) = (worker, node.client.stake(&me).await?) else {
        return Ok(vec![]);
    };
    // An ineligible worker need not list the open jobs at all.
    if worker.check_eligible(&config, stake.amount).is_err() {
        return Ok(vec![]);
    }
    let mut claimed = vec![];
    for job in node.client.open_jobs().await? {
        if worker.check_assignment(&node.worker, &config, stake.amount, &job, now).is_err() {
            continue;
        }
        match node.send(&[instructions::claim_job(me, job.id)]).await {
            Ok(()) => {
                tracing::info!(job = job.id, "claimed: the orchestrator is silent");
                worker.active_jobs = worker.active_jobs.saturating_add(1);
                if let Some(job) = node.client.job(job.id).await? {
                    claimed.push(job);
                }
            }
            Err(err) if lost_a_race(&err) => {
                tracing::debug!(job = job.id, "claim lost to another worker: {err}")
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(claimed)
}

/// Refusals that mean the chain moved on since the jobs were read: another worker (or
/// an orchestrator back) took the job, or it expired meanwhile.
fn lost_a_race(err: &ClientError) -> bool {
    matches!(
        err.ignis_error(),
        Some(
            IgnisError::JobNotOpen
                | IgnisError::JobExpired
                | IgnisError::OperatorAlreadyAssigned
                | IgnisError::WorkerAtCapacity
                | IgnisError::OrchestratorActive
                | IgnisError::RequeueLimitReached
        )
    )
}
