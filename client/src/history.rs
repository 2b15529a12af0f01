//! The program's past transactions, read back from any RPC node: every signature that
//! touched the program (`getSignaturesForAddress`, paginated) and each transaction's
//! message, logs and inner instructions (`getTransaction`). What the cluster-throughput
//! model packs into blocks, and what an indexer rebuilds history from.

use solana_commitment_config::CommitmentConfig;

use anchor_lang::prelude::Pubkey;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, UiInstruction, UiTransactionEncoding,
};

use crate::{
    accounts::Job,
    events::*,
    rpc::{ClientError, IgnisClient, Result},
};
use ignis::state::{Assignment, JobStatus};

/// Signatures per `getSignaturesForAddress` page: the most a node returns.
const PAGE: usize = 1_000;

/// One confirmed transaction as the chain recorded it.
#[derive(Clone, Debug)]
pub struct ConfirmedTransaction {
    pub signature: Signature,
    pub slot: u64,
    pub transaction: VersionedTransaction,
    /// The runtime's log lines (`Program log: Instruction: PostJob`, ...).
    pub logs: Vec<String>,
    /// The programs each top-level instruction invoked (CPIs), with their data, by the
    /// top-level instruction's index. The program's events are among them.
    pub inner_instructions: Vec<(u8, Vec<InnerInstruction>)>,
    /// Whether it succeeded.
    pub succeeded: bool,
}

/// A cross-program invocation a transaction made.
#[derive(Clone, Debug)]
pub struct InnerInstruction {
    pub program: Pubkey,
    pub data: Vec<u8>,
}

impl ConfirmedTransaction {
    /// The accounts the message writes (static keys only: Ignis sends no address-table
    /// lookups).
    pub fn writable_accounts(&self) -> Vec<Pubkey> {
        let message = &self.transaction.message;
        message
            .static_account_keys()
            .iter()
            .enumerate()
            .filter(|(index, _)| {
                message.is_maybe_writable_with_reserved_addresses(
                    *index,
                    None::<&std::collections::HashSet<Pubkey>>,
                )
            })
            .map(|(_, key)| *key)
            .collect()
    }

    /// The program's events, in the order they were emitted (failed transactions emit
    /// none).
    pub fn job_events(&self) -> Vec<JobEvent> {
        if !self.succeeded {
            return vec![];
        }
        self.inner_instructions
            .iter()
            .flat_map(|(_, invoked)| invoked)
            .filter(|inner| inner.program == ignis::ID)
            .flat_map(|inner| JobEvent::decode_all(&inner.data))
            .collect()
    }

    /// The names of the Ignis instructions it ran, in order, from Anchor's
    /// `Program log: Instruction: X` lines.
    pub fn ignis_instructions(&self) -> Vec<String> {
        self.logs
            .iter()
            .filter_map(|line| line.strip_prefix("Program log: Instruction: "))
            .map(str::to_string)
            .collect()
    }
}

impl IgnisClient {
    /// Every signature of a transaction that named `address`, oldest first; with
    /// `until`, only those newer than that transaction.
    pub async fn signatures_for(
        &self,
        address: &Pubkey,
        until: Option<Signature>,
    ) -> Result<Vec<Signature>> {
        let mut newest_first = Vec::new();
        let mut before = None;
        loop {
            let config = || GetConfirmedSignaturesForAddress2Config {
                before,
                until,
                limit: Some(PAGE),
                commitment: Some(CommitmentConfig::confirmed()),
            };
            let page = self
                .call(|| self.rpc().get_signatures_for_address_with_config(address, config()))
                .await?;
            let full = page.len() == PAGE;
            for status in page {
                let signature: Signature = status.signature.parse().map_err(|_| {
                    ClientError::BadAnswer(format!("the signature {}", status.signature))
                })?;
                newest_first.push(signature);
            }
            match newest_first.last() {
                Some(last) if full => before = Some(*last),
                _ => break,
            }
        }
        newest_first.reverse();
        Ok(newest_first)
    }

    /// One confirmed transaction with its logs and inner instructions.
    pub async fn confirmed_transaction(
        &self,
        signature: &Signature,
    ) -> Result<ConfirmedTransaction> {
        let config = solana_rpc_client_api::config::RpcTransactionConfig {
            encoding: Some(UiTransactionEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            max_supported_transaction_version: Some(0),
        };
        let confirmed =
            self.call(|| self.rpc().get_transaction_with_config(signature, config)).await?;
        let transaction = confirmed
            .transaction
            .transaction
            .decode()
            .ok_or_else(|| ClientError::BadAnswer(format!("transaction {signature}")))?;
        let meta = confirmed.transaction.meta;
        let succeeded = meta.as_ref().is_some_and(|meta| meta.err.is_none());
        let logs = match meta.as_ref().map(|meta| &meta.log_messages) {
            Some(OptionSerializer::Some(logs)) => logs.clone(),
            _ => vec![],
        };
        let keys = transaction.message.static_account_keys().to_vec();
        let inner_instructions = match meta.map(|meta| meta.inner_instructions) {
            Some(OptionSerializer::Some(sets)) => sets
                .into_iter()
                .map(|set| {
                    let invoked = set
                        .instructions
                        .iter()
                        .filter_map(|ix| match ix {
                            UiInstruction::Compiled(ix) => Some(InnerInstruction {
                                program: *keys.get(usize::from(ix.program_id_index))?,
                                data: bs58::decode(&ix.data).into_vec().ok()?,
                            }),
                            UiInstruction::Parsed(_) => None,
                        })
                        .collect();
                    (set.index, invoked)
                })
                .collect(),
            _ => vec![],
        };
        Ok(ConfirmedTransaction {
            signature: *signature,
            slot: confirmed.slot,
            transaction,
            logs,
            inner_instructions,
            succeeded,
        })
    }
}

/// The program's events about jobs: what a job's history is made of.
pub enum JobEvent {
    Posted(JobPosted),
    Assigned(JobAssigned),
    Declined(AssignmentDeclined),
    Expired(AssignmentExpired),
    PowSubmitted(PowSubmitted),
    Committed(ResultCommitted),
    Revealed(ResultRevealed),
    Finalized(JobFinalized),
    Cancelled(JobCancelled),
    Refunded(JobRefunded),
    Closed(JobClosed),
}

impl JobEvent {
    /// The job event in an inner instruction's data (`emit_cpi!`), if it is one.
    pub fn decode(data: &[u8]) -> Option<JobEvent> {
        use crate::events::decode_cpi_event as d;
        d(data)
            .map(JobEvent::Posted)
            .or_else(|| d(data).map(JobEvent::Assigned))
            .or_else(|| d(data).map(JobEvent::Declined))
            .or_else(|| d(data).map(JobEvent::Expired))
            .or_else(|| d(data).map(JobEvent::PowSubmitted))
            .or_else(|| d(data).map(JobEvent::Committed))
            .or_else(|| d(data).map(JobEvent::Revealed))
            .or_else(|| d(data).map(JobEvent::Finalized))
            .or_else(|| d(data).map(JobEvent::Cancelled))
            .or_else(|| d(data).map(JobEvent::Refunded))
            .or_else(|| d(data).map(JobEvent::Closed))
    }

    /// The job events in an inner instruction's data: a batch event (`JobsPosted`,
    /// `JobsAssigned`, `PowsSubmitted`, `JobsClosed`) stands for one event per job it
    /// names.
    pub fn decode_all(data: &[u8]) -> Vec<JobEvent> {
        if let Some(batch) = crate::events::decode_cpi_event::<JobsPosted>(data) {
            return batch.jobs.into_iter().map(JobEvent::Posted).collect();
        }
        if let Some(batch) = crate::events::decode_cpi_event::<PowsSubmitted>(data) {
            return batch.proofs.into_iter().map(JobEvent::PowSubmitted).collect();
        }
        if let Some(batch) = crate::events::decode_cpi_event::<JobsClosed>(data) {
            return batch
                .jobs
                .into_iter()
                .map(|ClosedJob { job_id, poster }| JobEvent::Closed(JobClosed { job_id, poster }))
                .collect();
        }
        if let Some(batch) = crate::events::decode_cpi_event::<JobsAssigned>(data) {
            let worker = batch.worker;
            return batch
                .jobs
                .into_iter()
                .map(|AssignedJob { job_id, deadline }| {
                    JobEvent::Assigned(JobAssigned { job_id, worker, deadline })
                })
                .collect();
        }
        Self::decode(data).into_iter().collect()
    }

    pub fn job_id(&self) -> u64 {
        match self {
            JobEvent::Posted(e) => e.job_id,
            JobEvent::Assigned(e) => e.job_id,
            JobEvent::Declined(e) => e.job_id,
            JobEvent::Expired(e) => e.job_id,
            JobEvent::PowSubmitted(e) => e.job_id,
            JobEvent::Committed(e) => e.job_id,
            JobEvent::Revealed(e) => e.job_id,
            JobEvent::Finalized(e) => e.job_id,
            JobEvent::Cancelled(e) => e.job_id,
            JobEvent::Refunded(e) => e.job_id,
            JobEvent::Closed(e) => e.job_id,
        }
    }
}

/// A job rebuilt from its events, oldest first: its state when its account was closed
/// (or now), as far as the events tell it. The seed, the execution window and the
/// commitments are not in the events and stay zero.
#[derive(Clone)]
pub struct JobRecord {
    pub job: Job,
    /// Its account was closed (`JobClosed`).
    pub closed: bool,
    /// Slot of the last event applied.
    pub slot: u64,
}

impl JobRecord {
    /// Applies one event seen in `slot`. A `JobPosted` starts the record afresh (an id
    /// may be posted again once its account is closed).
    pub fn apply(record: Option<JobRecord>, event: &JobEvent, slot: u64) -> Option<JobRecord> {
        if let JobEvent::Posted(e) = event {
            let job = Job {
                id: e.job_id,
                poster: e.poster,
                kind: e.kind,
                seed: [0; 32],
                reward: e.reward,
                replicas: e.replicas,
                status: JobStatus::Open,
                assignments: Default::default(),
                assigned: 0,
                execution_seconds: 0,
                posted_at: e.posted_at,
                expires_at: e.expires_at,
                reveal_deadline: 0,
                challenge_deadline: 0,
                completed_at: 0,
                result_hash: [0; 32],
                pow_nonce: 0,
                requeues: 0,
                last_deadline: 0,
                bump: 0,
                sla: None,
            };
            return Some(JobRecord { job, closed: false, slot });
        }
        // Events of a job posted before the scan began have nothing to attach to.
        let mut record = record?;
        record.slot = slot;
        if let JobEvent::Closed(_) = event {
            record.closed = true;
            return Some(record);
        }
        let job = &mut record.job;
        let live = usize::from(job.assigned);
        match event {
            JobEvent::Posted(_) => unreachable!("handled above"),
            JobEvent::Assigned(e) => {
                if live < job.assignments.len() {
                    job.assignments[live] = Assignment {
                        worker: e.worker,
                        deadline: e.deadline,
                        ..Assignment::default()
                    };
                    job.assigned += 1;
                }
                job.last_deadline = job.last_deadline.max(e.deadline);
                // As `Job::assign_replica`: running once every replica is assigned.
                if job.assigned == job.replicas {
                    job.status = JobStatus::Running;
                }
            }
            JobEvent::Declined(AssignmentDeclined { worker, .. })
            | JobEvent::Expired(AssignmentExpired { worker, .. }) => {
                if let Some(index) = job.assignment_index(worker) {
                    let _ = job.requeue_replica(index);
                }
            }
            JobEvent::PowSubmitted(e) => {
                job.status = JobStatus::Completed;
                job.result_hash = e.hash;
                job.pow_nonce = e.nonce;
                job.completed_at = e.completed_at;
            }
            JobEvent::Committed(e) => {
                if let Some(index) = job.assignment_index(&e.worker) {
                    job.assignments[index].committed = true;
                }
                if e.revealing {
                    job.status = JobStatus::Revealing;
                }
            }
            JobEvent::Revealed(e) => {
                if let Some(index) = job.assignment_index(&e.worker) {
                    job.assignments[index].revealed = true;
                    job.assignments[index].result_hash = e.result_hash;
                }
            }
            JobEvent::Finalized(e) if e.completed => {
                job.status = JobStatus::Completed;
                job.result_hash = e.result_hash;
                job.completed_at = e.completed_at;
            }
            // Nothing won: the job went back to the queue.
            JobEvent::Finalized(_) => {
                let _ = job.requeue();
            }
            JobEvent::Cancelled(e) => {
                job.status = JobStatus::Cancelled;
                job.completed_at = e.completed_at;
            }
            JobEvent::Refunded(e) => {
                job.status = JobStatus::Refunded;
                job.completed_at = e.completed_at;
            }
            JobEvent::Closed(_) => unreachable!("handled above"),
        }
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::JobKind;

    /// An event's inner-instruction data, as `emit_cpi!` writes it.
    fn cpi_data(event: &impl anchor_lang::Event) -> Vec<u8> {
        [anchor_lang::event::EVENT_IX_TAG_LE, &event.data()].concat()
    }

    #[test]
    fn a_batch_event_stands_for_one_event_per_job() {
        let worker = Pubkey::new_unique();
        let assigned = JobsAssigned {
            worker,
            jobs: vec![
                AssignedJob { job_id: 4, deadline: 40 },
                AssignedJob { job_id: 7, deadline: 70 },
            ],
        };
        let events = JobEvent::decode_all(&cpi_data(&assigned));
        let decoded: Vec<(u64, Pubkey, i64)> = events
            .iter()
            .map(|e| match e {
                JobEvent::Assigned(a) => (a.job_id, a.worker, a.deadline),
                _ => panic!("an assignment"),
            })
            .collect();
        assert_eq!(decoded, [(4, worker, 40), (7, worker, 70)]);
        let poster = Pubkey::new_unique();
        let closed = JobsClosed { jobs: vec![ClosedJob { job_id: 9, poster }] };
        let events = JobEvent::decode_all(&cpi_data(&closed));
        assert!(
            matches!(events[..], [JobEvent::Closed(JobClosed { job_id: 9, poster: p })] if p == poster)
        );
        let batch = JobsPosted {
            jobs: [5, 21]
                .into_iter()
                .map(|id| match posted(id) {
                    JobEvent::Posted(e) => e,
                    _ => unreachable!(),
                })
                .collect(),
        };
        let ids: Vec<u64> =
            JobEvent::decode_all(&cpi_data(&batch)).iter().map(JobEvent::job_id).collect();
        assert_eq!(ids, [5, 21]);
        let proof = |job_id| PowSubmitted {
            job_id,
            worker,
            nonce: job_id * 3,
            hash: [1; 32],
            paid: 10,
            work_reward: 2,
            fee: 1,
            completed_at: 60,
        };
        let proofs = PowsSubmitted { proofs: vec![proof(5), proof(21)] };
        let decoded: Vec<(u64, u64)> = JobEvent::decode_all(&cpi_data(&proofs))
            .iter()
            .map(|e| match e {
                JobEvent::PowSubmitted(p) => (p.job_id, p.nonce),
                _ => panic!("a proof"),
            })
            .collect();
        assert_eq!(decoded, [(5, 15), (21, 63)]);
        // A single event is itself; anything else is nothing.
        let single = JobClosed { job_id: 3, poster };
        assert_eq!(JobEvent::decode_all(&cpi_data(&single)).len(), 1);
        assert!(JobEvent::decode_all(&[1, 2, 3]).is_empty());
        assert!(JobEvent::decode_all(&cpi_data(&JobsClosed { jobs: vec![] })).is_empty());
    }

    fn posted(id: u64) -> JobEvent {
        JobEvent::Posted(JobPosted {
            job_id: id,
            poster: Pubkey::new_unique(),
            kind: JobKind::Kernel { kernel: 1, size: 8 },
            reward: 30,
            replicas: 2,
            expires_at: 500,
            posted_at: 100,
        })
    }

    fn fold(events: &[JobEvent]) -> Option<JobRecord> {
        events
            .iter()
            .enumerate()
            .fold(None, |record, (slot, event)| JobRecord::apply(record, event, slot as u64))
    }

    #[test]
    fn a_replicated_kernel_job_is_rebuilt_to_its_settled_state() {
        let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
        let hash = [7; 32];
        let mut events = vec![posted(9)];
        for worker in [a, b] {
            events.push(JobEvent::Assigned(JobAssigned { job_id: 9, worker, deadline: 200 }));
        }
        for (worker, revealing) in [(a, false), (b, true)] {
            events.push(JobEvent::Committed(ResultCommitted { job_id: 9, worker, revealing }));
        }
        for worker in [a, b] {
            events.push(JobEvent::Revealed(ResultRevealed {
                job_id: 9,
                worker,
                result_hash: hash,
            }));
        }
        events.push(JobEvent::Finalized(JobFinalized {
            job_id: 9,
            completed: true,
            result_hash: hash,
            winners: 2,
            paid_per_winner: 14,
            work_reward: 0,
            fee: 2,
            slashed: 0,
            completed_at: 260,
        }));
        let settled = fold(&events).unwrap();
        assert!(!settled.closed);
        events.push(JobEvent::Closed(JobClosed { job_id: 9, poster: settled.job.poster }));
        let record = fold(&events).unwrap();
        let job = &record.job;
        assert!(record.closed);
        assert_eq!(record.slot, events.len() as u64 - 1);
        assert_eq!(
            (job.status, job.result_hash, job.completed_at),
            (JobStatus::Completed, hash, 260)
        );
        assert_eq!((job.posted_at, job.expires_at, job.reward, job.replicas), (100, 500, 30, 2));
        assert_eq!(job.assigned, 2);
        for (assignment, worker) in job.assignments.iter().zip([a, b]) {
            assert_eq!(assignment.worker, worker);
            assert!(assignment.committed && assignment.revealed);
            assert_eq!((assignment.deadline, assignment.result_hash), (200, hash));
        }
    }

    #[test]
    fn requeues_refunds_and_reposted_ids_are_followed() {
        let worker = Pubkey::new_unique();
        let mut events = vec![
            posted(3),
            JobEvent::Assigned(JobAssigned { job_id: 3, worker, deadline: 150 }),
            JobEvent::Expired(AssignmentExpired { job_id: 3, worker, slashed: 1, compensation: 0 }),
        ];
        let requeued = fold(&events).unwrap().job;
        assert_eq!(
            (requeued.status, requeued.assigned, requeued.requeues),
            (JobStatus::Open, 0, 1)
        );
        events.push(JobEvent::Refunded(JobRefunded {
            job_id: 3,
            poster: requeued.poster,
            amount: 30,
            completed_at: 600,
        }));
        let refunded = fold(&events).unwrap().job;
        assert_eq!((refunded.status, refunded.completed_at), (JobStatus::Refunded, 600));
        // Closed, then the id posted again: the record starts afresh.
        events.push(JobEvent::Closed(JobClosed { job_id: 3, poster: refunded.poster }));
        events.push(posted(3));
        let again = fold(&events).unwrap();
        assert!(!again.closed);
        assert_eq!((again.job.status, again.job.requeues), (JobStatus::Open, 0));
        // Events of a job whose post the scan never saw attach to nothing.
        assert!(fold(&events[1..3]).is_none());
    }
}
