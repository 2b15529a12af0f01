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

use crate::rpc::{ClientError, IgnisClient, Result};

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
    /// The programs each top-level instruction invoked (CPIs), by its index.
    pub inner_programs: Vec<(u8, Vec<Pubkey>)>,
    /// Whether it succeeded.
    pub succeeded: bool,
}

impl ConfirmedTransaction {
    /// The account keys of the message with whether each is writable and a signer, in
    /// the message's order (static keys only: Ignis sends no address-table lookups).
    pub fn accounts(&self) -> Vec<(Pubkey, bool, bool)> {
        let message = &self.transaction.message;
        let signers = usize::from(message.header().num_required_signatures);
        message
            .static_account_keys()
            .iter()
            .enumerate()
            .map(|(index, key)| {
                let writable = message.is_maybe_writable_with_reserved_addresses(
                    index,
                    None::<&std::collections::HashSet<Pubkey>>,
                );
                (*key, writable, index < signers)
            })
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
    /// Every signature of a transaction that named `address`, oldest first.
    pub async fn signatures_for(&self, address: &Pubkey) -> Result<Vec<Signature>> {
        let mut newest_first = Vec::new();
        let mut before = None;
        loop {
            let config = || GetConfirmedSignaturesForAddress2Config {
                before,
                until: None,
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
        let inner_programs = match meta.map(|meta| meta.inner_instructions) {
            Some(OptionSerializer::Some(sets)) => sets
                .into_iter()
                .map(|set| {
                    let programs = set
                        .instructions
                        .iter()
                        .filter_map(|ix| match ix {
                            UiInstruction::Compiled(ix) => {
                                keys.get(usize::from(ix.program_id_index)).copied()
                            }
                            UiInstruction::Parsed(_) => None,
                        })
                        .collect();
                    (set.index, programs)
                })
                .collect(),
            _ => vec![],
        };
        Ok(ConfirmedTransaction {
            signature: *signature,
            slot: confirmed.slot,
            transaction,
            logs,
            inner_programs,
            succeeded,
        })
    }
}
