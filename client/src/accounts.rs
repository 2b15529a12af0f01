//! Decoding program accounts from raw account data.

use anchor_lang::{AccountDeserialize, Discriminator};
pub use ignis::state::{
    Config, EmissionSchedule, Job, JobKind, JobStatus, Params, Stake, Worker, WorkerSettings,
};

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
