//! The orchestrator's side of the cluster: reading every program account and sending
//! signed instructions with errors counted.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use ignis_client::rpc::{ClientError, IgnisClient};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_keypair::Keypair;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_signer::Signer;

use crate::metrics::Metrics;

pub struct Chain {
    pub client: IgnisClient,
    pub keypair: Keypair,
    /// Keys that pay the orchestrator's fees in turn (see [`fee_payers`]).
    fee_payers: Vec<Keypair>,
    next_payer: AtomicUsize,
    /// Whether the fee payers have been funded once: until then the orchestrator key
    /// pays, so a cluster that refused the first top-up costs throughput, not work.
    payers_funded: AtomicBool,
}

/// Lamports each fee payer is topped up to, from the orchestrator key, whenever it has
/// less than half: about 20,000 transactions at the base fee.
pub const FEE_PAYER_FLOAT: u64 = 100_000_000;

/// `count` fee-payer keys derived from the orchestrator's secret, so the same ones come
/// back after a restart. A transaction's fee payer is written by it: were the
/// orchestrator key to pay every assignment, that one account would cap the whole
/// network's assignments at Solana's per-account limit; spread over several payers, it
/// signs only as the authority (read-only).
pub fn fee_payers(orchestrator: &Keypair, count: usize) -> Vec<Keypair> {
    use sha2::{Digest, Sha256};
    (0..count as u32)
        .map(|i| {
            let seed: [u8; 32] = Sha256::new()
                .chain_update(b"ignis-orchestrator-fee-payer")
                .chain_update(orchestrator.secret_bytes())
                .chain_update(i.to_le_bytes())
                .finalize()
                .into();
            Keypair::new_from_array(seed)
        })
        .collect()
}

/// Every account of the program at (at least) `slot`.
pub struct Snapshot {
    pub slot: u64,
    pub accounts: Vec<(Pubkey, Vec<u8>)>,
}

impl Chain {
    pub fn new(config: &crate::config::Config, keypair: Keypair) -> Self {
        let fee_payers = self::fee_payers(&keypair, config.fee_payers);
        Chain {
            client: IgnisClient::new(&config.url)
                .with_compute_budget(config.budget)
                .with_skip_preflight(!config.preflight.on),
            keypair,
            fee_payers,
            next_payer: AtomicUsize::new(0),
            payers_funded: AtomicBool::new(false),
        }
    }

    /// Tops every fee payer up to [`FEE_PAYER_FLOAT`] from the orchestrator key when it
    /// has less than half of it. Returns how many were topped up.
    pub async fn fund_fee_payers(&self) -> Result<usize, ClientError> {
        let mut transfers = vec![];
        for payer in &self.fee_payers {
            let address = payer.pubkey();
            let balance = self.client.call(|| self.client.rpc().get_balance(&address)).await?;
            if balance < FEE_PAYER_FLOAT / 2 {
                transfers.push(solana_system_interface::instruction::transfer(
                    &self.me(),
                    &address,
                    FEE_PAYER_FLOAT - balance,
                ));
            }
        }
        for batch in transfers.chunks(8) {
            self.client.send(batch, &[&self.keypair]).await?;
        }
        self.payers_funded.store(true, Ordering::Relaxed);
        Ok(transfers.len())
    }

    /// A fee payer, for sizing transactions: when it is not the orchestrator key, its
    /// signature takes room too.
    pub fn some_payer(&self) -> Pubkey {
        self.fee_payers.first().unwrap_or(&self.keypair).pubkey()
    }

    /// Whether the fee payers still wait for their first top-up.
    pub fn payers_unfunded(&self) -> bool {
        !self.fee_payers.is_empty() && !self.payers_funded.load(Ordering::Relaxed)
    }

    /// The next fee payer in turn; the orchestrator key when there are none or they
    /// have not been funded yet.
    fn payer(&self) -> &Keypair {
        if self.fee_payers.is_empty() || !self.payers_funded.load(Ordering::Relaxed) {
            return &self.keypair;
        }
        let at = self.next_payer.fetch_add(1, Ordering::Relaxed) % self.fee_payers.len();
        &self.fee_payers[at]
    }

    pub fn me(&self) -> Pubkey {
        self.keypair.pubkey()
    }

    pub fn url(&self) -> &str {
        self.client.url()
    }

    /// Sends with the next fee payer, signed by the orchestrator key too when an
    /// instruction needs it (assignments, rulings, the heartbeat; not the permissionless
    /// cranks); errors are counted by `op`.
    pub async fn send(
        &self,
        metrics: &Metrics,
        op: &str,
        instructions: &[Instruction],
    ) -> Result<u64, ClientError> {
        let me = self.me();
        let payer = self.payer();
        let needs_me = instructions
            .iter()
            .flat_map(|ix| &ix.accounts)
            .any(|meta| meta.is_signer && meta.pubkey == me);
        let result = if needs_me && payer.pubkey() != me {
            self.client.send(instructions, &[payer, &self.keypair]).await
        } else {
            self.client.send(instructions, &[payer]).await
        };
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
