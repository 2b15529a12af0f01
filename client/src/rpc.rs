//! Talking to a cluster over JSON-RPC: reading and decoding program accounts, and
//! sending transactions so that each one lands at most once.

use std::time::Duration;

use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction, AccountDeserialize, Discriminator};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::{
    client_error::Error as RpcError,
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig},
    filter::{Memcmp, RpcFilterType},
};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use crate::{
    accounts::{decode, Config, Job, Stake, Worker},
    errors::{describe, ProgramErrorInfo},
    instructions::Protocol,
    pda,
};

/// What can go wrong talking to the chain, in terms a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the program rejected instruction {index}: {} ({})", .info.message, .info.name)]
    Program { index: u8, info: ProgramErrorInfo },
    #[error("the transaction failed: {0}")]
    Transaction(TransactionError),
    #[error("could not reach the cluster at {url}: {source}")]
    Rpc { url: String, source: Box<RpcError> },
    #[error("no {what} account at {address}")]
    NotFound { what: &'static str, address: Pubkey },
    #[error("the account at {address} is not a valid {what}")]
    Decode { what: &'static str, address: Pubkey },
    #[error("the transaction was not confirmed after {attempts} fresh blockhashes")]
    NotConfirmed { attempts: u32 },
}

impl ClientError {
    /// The program error, if the program is what refused.
    pub fn program_error(&self) -> Option<ProgramErrorInfo> {
        match self {
            ClientError::Program { info, .. } => Some(*info),
            _ => None,
        }
    }

    fn from_transaction(err: TransactionError) -> Self {
        use solana_instruction_error::InstructionError::Custom;
        match err {
            TransactionError::InstructionError(index, Custom(code)) => match describe(code) {
                Some(info) => ClientError::Program { index, info },
                None => ClientError::Transaction(TransactionError::InstructionError(index, Custom(code))),
            },
            other => ClientError::Transaction(other),
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// How long to wait between confirmation polls, and how many times a transaction whose
/// blockhash expired is re-signed with a fresh one before giving up.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
const MAX_BLOCKHASH_ATTEMPTS: u32 = 5;

pub struct IgnisClient {
    rpc: RpcClient,
    url: String,
}

impl IgnisClient {
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let rpc = RpcClient::new_with_commitment(url.clone(), CommitmentConfig::confirmed());
        IgnisClient { rpc, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    pub(crate) fn rpc_error(&self, source: RpcError) -> ClientError {
        match source.get_transaction_error() {
            Some(err) => ClientError::from_transaction(err),
            None => ClientError::Rpc { url: self.url.clone(), source: Box::new(source) },
        }
    }

    /// The raw account, or `None` if there is none.
    pub async fn account_data(&self, address: &Pubkey) -> Result<Option<Vec<u8>>> {
        let response = self
            .rpc
            .get_account_with_commitment(address, self.rpc.commitment())
            .await
            .map_err(|e| self.rpc_error(e))?;
        Ok(response.value.map(|account| account.data))
    }

    /// Decodes the program account of type `T` at `address`, if there is one.
    pub async fn fetch<T: AccountDeserialize + Discriminator>(&self, address: &Pubkey) -> Result<Option<T>> {
        let what = short_type_name::<T>();
        match self.account_data(address).await? {
            None => Ok(None),
            Some(data) if data.is_empty() => Ok(None),
            Some(data) => decode(&data).map(Some).map_err(|_| ClientError::Decode { what, address: *address }),
        }
    }

    /// The cluster's slot and unix time, from the Clock sysvar: deadlines are judged by
    /// the chain's time, never the local one.
    pub async fn clock(&self) -> Result<(u64, i64)> {
        let address = <anchor_lang::prelude::Clock as anchor_lang::solana_program::sysvar::SysvarId>::id();
        let data = self.account_data(&address).await?.ok_or(ClientError::NotFound { what: "Clock sysvar", address })?;
        // Clock: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
        let word = |at: usize| data.get(at..at + 8).and_then(|b| <[u8; 8]>::try_from(b).ok());
        match (word(0), word(32)) {
            (Some(slot), Some(unix)) => Ok((u64::from_le_bytes(slot), i64::from_le_bytes(unix))),
            _ => Err(ClientError::Decode { what: "Clock sysvar", address }),
        }
    }

    pub async fn config(&self) -> Result<Config> {
        let address = pda::config();
        self.fetch(&address).await?.ok_or(ClientError::NotFound { what: "config", address })
    }

    /// The deployment's mint and token program, read from the config.
    pub async fn protocol(&self) -> Result<Protocol> {
        Ok(Protocol::from_config(&self.config().await?))
    }

    pub async fn job(&self, id: u64) -> Result<Option<Job>> {
        self.fetch(&pda::job(id)).await
    }

    pub async fn worker(&self, operator: &Pubkey) -> Result<Option<Worker>> {
        self.fetch(&pda::worker(operator)).await
    }

    pub async fn stake(&self, owner: &Pubkey) -> Result<Option<Stake>> {
        self.fetch(&pda::stake(owner)).await
    }

    /// Every program account of type `T`, found with getProgramAccounts filtered on
    /// Anchor's discriminator (plus any extra memcmp filters).
    pub async fn all<T: AccountDeserialize + Discriminator>(&self, extra: Vec<Memcmp>) -> Result<Vec<(Pubkey, T)>> {
        let mut filters = vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, T::DISCRIMINATOR.to_vec()))];
        filters.extend(extra.into_iter().map(RpcFilterType::Memcmp));
        let config = RpcProgramAccountsConfig {
            filters: Some(filters),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(self.rpc.commitment()),
                ..RpcAccountInfoConfig::default()
            },
            with_context: None,
            sort_results: None,
        };
        let accounts = self
            .rpc
            .get_program_ui_accounts_with_config(&ignis::ID, config)
            .await
            .map_err(|e| self.rpc_error(e))?;
        let what = short_type_name::<T>();
        accounts
            .into_iter()
            .map(|(address, account)| {
                let data = account.data.decode().ok_or(ClientError::Decode { what, address })?;
                let value = decode(&data).map_err(|_| ClientError::Decode { what, address })?;
                Ok((address, value))
            })
            .collect()
    }

    /// Signs with `signers` (the first pays), sends, and waits for confirmation.
    ///
    /// Never submits the same intent twice: while a signed transaction might still
    /// land, only that same transaction (same signature) is re-broadcast. It is re-signed
    /// with a fresh blockhash only once the cluster's block height has passed its
    /// blockhash's last valid height, when it provably can no longer land.
    pub async fn send(&self, instructions: &[Instruction], signers: &[&Keypair]) -> Result<Signature> {
        let payer = signers[0].pubkey();
        for _ in 0..MAX_BLOCKHASH_ATTEMPTS {
            let (blockhash, last_valid_height) = self
                .rpc
                .get_latest_blockhash_with_commitment(self.rpc.commitment())
                .await
                .map_err(|e| self.rpc_error(e))?;
            let tx = Transaction::new_signed_with_payer(instructions, Some(&payer), signers, blockhash);
            let signature = tx.signatures[0];
            let config = RpcSendTransactionConfig {
                preflight_commitment: Some(self.rpc.commitment().commitment),
                ..RpcSendTransactionConfig::default()
            };
            // A program error shows in preflight: no point retrying that.
            self.rpc.send_transaction_with_config(&tx, config).await.map_err(|e| self.rpc_error(e))?;
            loop {
                tokio::time::sleep(POLL_INTERVAL).await;
                let statuses = self.rpc.get_signature_statuses(&[signature]).await.map_err(|e| self.rpc_error(e))?;
                if let Some(status) = statuses.value.into_iter().next().flatten() {
                    if let Some(err) = status.err {
                        return Err(ClientError::from_transaction(err.into()));
                    }
                    if status.satisfies_commitment(self.rpc.commitment()) {
                        return Ok(signature);
                    }
                    continue;
                }
                let height = self
                    .rpc
                    .get_block_height_with_commitment(self.rpc.commitment())
                    .await
                    .map_err(|e| self.rpc_error(e))?;
                if height > last_valid_height {
                    tracing::warn!(%signature, "blockhash expired before confirmation; re-signing");
                    break;
                }
                // Still valid: re-broadcast the very same transaction (idempotent).
                let config = RpcSendTransactionConfig { skip_preflight: true, ..config };
                if let Err(err) = self.rpc.send_transaction_with_config(&tx, config).await {
                    tracing::debug!(%signature, %err, "re-broadcast failed; still polling");
                }
            }
        }
        Err(ClientError::NotConfirmed { attempts: MAX_BLOCKHASH_ATTEMPTS })
    }
}

/// A memcmp filter on account data at `offset` bytes after Anchor's 8-byte
/// discriminator (e.g. `Job::poster` sits right after the 8-byte id).
pub fn memcmp_after_discriminator(offset: usize, bytes: &[u8]) -> Memcmp {
    Memcmp::new_raw_bytes(8 + offset, bytes.to_vec())
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}
