//! Decoding program accounts from raw account data.

use anchor_lang::{AccountDeserialize, Discriminator};
pub use ignis::state::{
    Config, EmissionSchedule, Job, JobKind, JobStatus, Params, Shard, Stake, Worker, WorkerSettings,
};

/// The jobs' running totals over every shard: what one config held before the
/// totals were sharded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ShardTotals {
    pub escrowed: u64,
    pub fees_pending: u64,
    pub fees_swept: u64,
    pub work_pool: u64,
    pub work_paid: u64,
    pub paid_to_workers: u64,
    pub jobs_posted: u64,
    pub jobs_completed: u64,
    pub jobs_cancelled: u64,
    pub jobs_refunded: u64,
}

impl ShardTotals {
    pub fn sum<'a>(shards: impl IntoIterator<Item = &'a Shard>) -> Self {
        shards.into_iter().fold(Self::default(), |t, s| Self {
            escrowed: t.escrowed + s.escrowed,
            fees_pending: t.fees_pending + s.fees_pending,
            fees_swept: t.fees_swept + s.fees_swept,
            work_pool: t.work_pool + s.work_pool,
            work_paid: t.work_paid + s.work_paid,
            paid_to_workers: t.paid_to_workers + s.paid_to_workers,
            jobs_posted: t.jobs_posted + s.jobs_posted,
            jobs_completed: t.jobs_completed + s.jobs_completed,
            jobs_cancelled: t.jobs_cancelled + s.jobs_cancelled,
            jobs_refunded: t.jobs_refunded + s.jobs_refunded,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("account data is not a {0} account (wrong discriminator or size)")]
    WrongType(&'static str),
}

/// Decodes an account of type `T`, checking its discriminator.
pub fn decode<T: AccountDeserialize + Discriminator>(data: &[u8]) -> Result<T, DecodeError> {
    let mut slice = data;
    T::try_deserialize(&mut slice).map_err(|_| DecodeError::WrongType(std::any::type_name::<T>()))
}
