//! Job updates pushed over the cluster's websocket (programSubscribe), for the
//! components that must react at once instead of polling getProgramAccounts.

use anchor_lang::Discriminator;
use futures::{stream::BoxStream, StreamExt};
use ignis::state::Job;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_pubsub_client::nonblocking::pubsub_client::{PubsubClient, PubsubClientResult};
use solana_rpc_client_api::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    filter::{Memcmp, RpcFilterType},
};

use crate::accounts::decode;

/// Every confirmed update of a `Job` account that matches `filters` (memcmp filters as
/// `queries` builds them; the discriminator filter is added here), until the
/// subscription ends. Updates that do not decode are skipped.
pub async fn job_updates(
    client: &PubsubClient,
    filters: Vec<Memcmp>,
) -> PubsubClientResult<BoxStream<'_, Job>> {
    let mut filters: Vec<RpcFilterType> = filters.into_iter().map(RpcFilterType::Memcmp).collect();
    filters.insert(0, RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, Job::DISCRIMINATOR.to_vec())));
    let config = RpcProgramAccountsConfig {
        filters: Some(filters),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            ..RpcAccountInfoConfig::default()
        },
        with_context: None,
        sort_results: None,
    };
    // Dropping the stream ends the subscription on the client's side.
    let (stream, _unsubscribe) = client.program_subscribe(&ignis::ID, Some(config)).await?;
    Ok(stream
        .filter_map(|update| async move {
            update.value.account.data.decode().and_then(|data| decode::<Job>(&data).ok())
        })
        .boxed())
}
