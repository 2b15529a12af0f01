//! The orchestrator's side of the cluster: reading every program account and sending
//! signed instructions with errors counted.

use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use ignis_client::rpc::{ClientError, ComputeBudget, IgnisClient};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_keypair::Keypair;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::metrics::Metrics;

/// Largest serialized transaction the cluster accepts.
pub const PACKET_DATA_SIZE: usize = 1232;

pub struct Chain {
    pub client: IgnisClient,
    pub keypair: Keypair,
}

/// Every account of the program at (at least) `slot`.
pub struct Snapshot {
    pub slot: u64,
    pub accounts: Vec<(Pubkey, Vec<u8>)>,
}

impl Chain {
    pub fn new(url: &str, budget: ComputeBudget, keypair: Keypair) -> Self {
        Chain { client: IgnisClient::new(url).with_compute_budget(budget), keypair }
    }

    pub fn me(&self) -> Pubkey {
        self.keypair.pubkey()
    }

    pub fn url(&self) -> &str {
        self.client.url()
    }

    /// Signs with the orchestrator key and sends; errors are counted by `op`.
    pub async fn send(
        &self,
        metrics: &Metrics,
        op: &str,
        instructions: &[Instruction],
    ) -> Result<u64, ClientError> {
        let result = self.client.send(instructions, &[&self.keypair]).await;
        match result {
            Ok(signature) => {
                // The slot it landed in: the index must reach it before in-flight work
                // is forgotten.
                let slot = match self.client.rpc().get_signature_statuses(&[signature]).await {
                    Ok(response) => response.value.into_iter().flatten().next().map(|s| s.slot),
                    Err(_) => None,
                };
                Ok(slot.unwrap_or(0))
            }
            Err(err) => {
                if !matches!(err, ClientError::Program { .. } | ClientError::Transaction(_)) {
                    metrics.rpc_errors.with_label_values(&[op]).inc();
                }
                Err(err)
            }
        }
    }

    /// Every account the program owns, in one getProgramAccounts call so that they are
    /// from one moment.
    pub async fn snapshot(&self) -> Result<Snapshot, ClientError> {
        let rpc = self.client.rpc();
        let slot = self.client.call(|| rpc.get_slot()).await?;
        let config = RpcProgramAccountsConfig {
            filters: None,
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(rpc.commitment()),
                ..RpcAccountInfoConfig::default()
            },
            with_context: None,
            sort_results: None,
        };
        let accounts = self
            .client
            .call(|| rpc.get_program_ui_accounts_with_config(&ignis::ID, config.clone()))
            .await?;
        let accounts = accounts
            .into_iter()
            .filter_map(|(address, account)| Some((address, account.data.decode()?)))
            .collect();
        Ok(Snapshot { slot, accounts })
    }
}

/// Serialized size of a transaction carrying `instructions`, signed by `payer` alone.
pub fn transaction_size(payer: &Pubkey, instructions: &[Instruction]) -> usize {
    let tx = Transaction::new_with_payer(instructions, Some(payer));
    let signatures = usize::from(tx.message.header.num_required_signatures);
    short_vec_len(signatures) + 64 * signatures + tx.message.serialize().len()
}

fn short_vec_len(n: usize) -> usize {
    match n {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        _ => 3,
    }
}

/// Whether the program refused because the chain moved on since the index was read (a
/// job was taken, settled or committed meanwhile; another party cranked first): routine
/// for a service acting on an index a slot behind, so not worth a warning. Any other
/// refusal (a wrong key, a bad parameter) is something an operator should look at.
pub fn is_stale_read(err: &ClientError) -> bool {
    use ignis::errors::IgnisError as E;
    // A job closed since the index last saw it (by another crank).
    if matches!(err.anchor_error(), Some(anchor_lang::error::ErrorCode::AccountNotInitialized)) {
        return true;
    }
    matches!(
        err.ignis_error(),
        Some(
            E::JobNotOpen
                | E::JobNotRunning
                | E::JobExpired
                | E::JobNotExpired
                | E::JobHasAssignments
                | E::JobHasCommitments
                | E::WorkerAtCapacity
                | E::WorkerNotAccepting
                | E::WorkerNotRegistered
                | E::StakeBelowMinimum
                | E::OperatorAlreadyAssigned
                | E::RequeueLimitReached
                | E::NotAssigned
                | E::AlreadyCommitted
                | E::DeadlineNotReached
                | E::NotInChallenge
                | E::ChallengeWindowOpen
                | E::ChallengeWindowClosed
                | E::RevealStillOpen
                | E::NotFinalizable
                | E::ActivationNotDue
                | E::RetentionNotElapsed
                | E::ProtocolPaused
        )
    )
}

/// A client error as a short label for logs and backoff decisions.
pub fn error_name(err: &ClientError) -> String {
    match err.program_error() {
        Some(info) => info.name.to_string(),
        None => match err {
            ClientError::Rpc { .. } => "rpc".into(),
            ClientError::NotConfirmed { .. } => "not-confirmed".into(),
            ClientError::Transaction(e) => format!("{e:?}"),
            _ => "other".into(),
        },
    }
}
