//! getProgramAccounts filters that find one worker's jobs without downloading every
//! job. `Job` is Borsh: its `kind` enum is 2 bytes for PoW, 6 for matmul kernels and 98
//! for tensor jobs, so the status and assignment offsets depend on the kind; the test
//! below pins them to the serialized layout.

use anchor_lang::prelude::Pubkey;
use ignis::{
    constants::MAX_REPLICAS,
    state::{Job, JobStatus},
};
use solana_rpc_client_api::filter::Memcmp;

use crate::rpc::{memcmp_after_discriminator, IgnisClient, Result};

/// Offset of `Job::kind` after the discriminator (id: 8, poster: 32).
const KIND_OFFSET: usize = 40;
const KIND_POW: u8 = 0;
const KIND_KERNEL: u8 = 1;
const KIND_TENSOR: u8 = 2;
/// Borsh size of `Assignment`: worker 32, assigned_at 8, deadline 8, commitment 32,
/// result_hash 32, committed 1, revealed 1.
const ASSIGNMENT_LEN: usize = 114;
/// kind, seed 32, reward 8, replicas 1, then status.
const fn status_offset(kind_len: usize) -> usize {
    KIND_OFFSET + kind_len + 32 + 8 + 1
}
const POW_STATUS_OFFSET: usize = status_offset(2);
const KERNEL_STATUS_OFFSET: usize = status_offset(6);
/// Variant 1 + kernel 1 + two blob refs (32 + 8 each) + rows 4 + row_bytes 4 + macs 8.
const TENSOR_STATUS_OFFSET: usize = status_offset(98);
/// The kinds replicas commit and reveal for, with where their status sits.
const REPLICATED: [(u8, usize); 2] =
    [(KIND_KERNEL, KERNEL_STATUS_OFFSET), (KIND_TENSOR, TENSOR_STATUS_OFFSET)];
/// Filters for the PoW jobs in `status`.
pub fn pow_jobs_in(status: JobStatus) -> Vec<Memcmp> {
    // Borsh writes a fieldless enum as its variant index.
    vec![
        memcmp_after_discriminator(KIND_OFFSET, &[KIND_POW]),
        memcmp_after_discriminator(POW_STATUS_OFFSET, &[status as u8]),
    ]
}

/// Filter sets for the replicated jobs (matmul and tensor) in `status`, one per kind.
pub fn replicated_jobs_in(status: JobStatus) -> Vec<Vec<Memcmp>> {
    REPLICATED
        .iter()
        .map(|(kind, status_offset)| {
            vec![
                memcmp_after_discriminator(KIND_OFFSET, &[*kind]),
                memcmp_after_discriminator(*status_offset, &[status as u8]),
            ]
        })
        .collect()
}

/// Filters for the running PoW jobs assigned to `worker` (a PoW job has one replica).
pub fn running_pow_jobs_of(worker: &Pubkey) -> Vec<Memcmp> {
    let mut filters = pow_jobs_in(JobStatus::Running);
    filters.push(memcmp_after_discriminator(POW_STATUS_OFFSET + 1, worker.as_ref()));
    filters
}

/// Filter sets for replicated jobs with `worker` in assignment slot `slot`, in any
/// status, one per kind.
pub fn replicated_jobs_of(worker: &Pubkey, slot: usize) -> Vec<Vec<Memcmp>> {
    REPLICATED
        .iter()
        .map(|(kind, status_offset)| {
            vec![
                memcmp_after_discriminator(KIND_OFFSET, &[*kind]),
                memcmp_after_discriminator(
                    status_offset + 1 + slot * ASSIGNMENT_LEN,
                    worker.as_ref(),
                ),
            ]
        })
        .collect()
}

impl IgnisClient {
    /// Every open job (PoW and kernel; a kernel job stays open until all its replicas
    /// are assigned), oldest posted first.
    pub async fn open_jobs(&self) -> Result<Vec<Job>> {
        let mut jobs: Vec<Job> = self
            .all::<Job>(pow_jobs_in(JobStatus::Open))
            .await?
            .into_iter()
            .map(|(_, job)| job)
            .collect();
        for filters in replicated_jobs_in(JobStatus::Open) {
            jobs.extend(self.all::<Job>(filters).await?.into_iter().map(|(_, job)| job));
        }
        jobs.sort_by_key(|job| (job.posted_at, job.id));
        Ok(jobs)
    }

    /// Jobs that may still need work from `worker` (its `Worker` PDA): running PoW jobs
    /// and kernel jobs it holds an assignment in. Callers check the status.
    pub async fn jobs_of_worker(&self, worker: &Pubkey) -> Result<Vec<(Pubkey, Job)>> {
        let mut jobs = vec![];
        for filters in assigned_job_filters(worker) {
            jobs.extend(self.all::<Job>(filters).await?);
        }
        Ok(jobs)
    }
}

/// The filter sets (each one getProgramAccounts call or one subscription) that together
/// find every job that may still need work from `worker`.
pub fn assigned_job_filters(worker: &Pubkey) -> Vec<Vec<Memcmp>> {
    let mut sets = vec![running_pow_jobs_of(worker)];
    sets.extend((0..MAX_REPLICAS).flat_map(|slot| replicated_jobs_of(worker, slot)));
    sets
}

#[cfg(test)]
mod tests {
    use anchor_lang::{AccountSerialize, Discriminator};
    use ignis::state::{Assignment, JobKind, JobStatus};

    use super::*;

    fn job(kind: JobKind, status: JobStatus, workers: &[Pubkey]) -> Vec<u8> {
        let mut assignments = [Assignment::default(); MAX_REPLICAS];
        for (slot, worker) in workers.iter().enumerate() {
            assignments[slot].worker = *worker;
            assignments[slot].deadline = -1;
        }
        let job = Job {
            id: u64::MAX,
            poster: Pubkey::new_unique(),
            kind,
            seed: [0xAA; 32],
            reward: u64::MAX,
            replicas: workers.len() as u8,
            status,
            assignments,
            assigned: workers.len() as u8,
            execution_seconds: 0,
            posted_at: 0,
            expires_at: 0,
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
        let mut data = Vec::new();
        job.try_serialize(&mut data).unwrap();
        assert_eq!(&data[..8], Job::DISCRIMINATOR);
        data
    }

    fn matches(filters: &[Memcmp], data: &[u8]) -> bool {
        filters.iter().all(|f| f.bytes_match(data))
    }

    #[test]
    fn filters_sit_on_the_serialized_fields() {
        let me = Pubkey::new_unique();
        let other = Pubkey::new_unique();
        let pow = JobKind::Pow { difficulty: 255 };
        assert!(matches(&running_pow_jobs_of(&me), &job(pow, JobStatus::Running, &[me])));
        assert!(!matches(&running_pow_jobs_of(&me), &job(pow, JobStatus::Running, &[other])));
        assert!(!matches(&running_pow_jobs_of(&me), &job(pow, JobStatus::Completed, &[me])));
        let kernel = JobKind::Kernel { kernel: 1, size: u32::MAX };
        let tensor = JobKind::Tensor {
            spec: ignis::state::TensorSpec {
                kernel: 3,
                inputs: [ignis::state::BlobRef { sha256: [0xBB; 32], size: u64::MAX }; 2],
                rows: u32::MAX,
                row_bytes: u32::MAX,
                macs_per_row: u64::MAX,
            },
        };
        assert!(!matches(&running_pow_jobs_of(&me), &job(kernel, JobStatus::Running, &[me])));
        let of = |slot: usize, data: &[u8]| {
            replicated_jobs_of(&me, slot).iter().filter(|f| matches(f, data)).count()
        };
        for kind in [kernel, tensor] {
            let three = job(kind, JobStatus::Revealing, &[other, other, me]);
            assert_eq!((of(0, &three), of(1, &three), of(2, &three)), (0, 0, 1), "{kind:?}");
            let open = |status| {
                replicated_jobs_in(status)
                    .iter()
                    .filter(|f| matches(f, &job(kind, JobStatus::Open, &[me])))
                    .count()
            };
            assert_eq!((open(JobStatus::Open), open(JobStatus::Running)), (1, 0));
        }
        assert_eq!(of(0, &job(pow, JobStatus::Running, &[me])), 0);
        // Open jobs of each kind, whatever is assigned so far.
        assert!(matches(&pow_jobs_in(JobStatus::Open), &job(pow, JobStatus::Open, &[])));
        assert!(!matches(&pow_jobs_in(JobStatus::Open), &job(kernel, JobStatus::Open, &[])));
        assert!(!matches(&pow_jobs_in(JobStatus::Open), &job(tensor, JobStatus::Open, &[])));
        let pow_open = job(pow, JobStatus::Open, &[]);
        assert!(replicated_jobs_in(JobStatus::Open).iter().all(|f| !matches(f, &pow_open)));
    }
}
