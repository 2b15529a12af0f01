//! Talking to a cluster over JSON-RPC: reading and decoding program accounts, and
//! sending transactions so that each one lands at most once.

use std::{
    collections::{HashSet, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

use anchor_lang::{
    prelude::Pubkey, solana_program::instruction::Instruction, AccountDeserialize, Discriminator,
};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
pub use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::{
    client_error::Error as RpcError,
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig},
    filter::{Memcmp, RpcFilterType},
};
use solana_signature::Signature;
use solana_signer::Signer;
pub use solana_system_interface::error::SystemError;
use solana_transaction::Transaction;
pub use solana_transaction_error::TransactionError;
use solana_transaction_status_client_types::TransactionStatus;

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
    /// Not a `#[source]`: the RPC client's error repeats itself down its chain.
    #[error("{}", rpc_message(url, cause))]
    Rpc { url: String, cause: Box<RpcError> },
    #[error("no {what} account at {address}")]
    NotFound { what: &'static str, address: Pubkey },
    #[error("the account at {address} is not a valid {what}")]
    Decode { what: &'static str, address: Pubkey },
    #[error("the transaction was not confirmed after {attempts} fresh blockhashes")]
    NotConfirmed { attempts: u32 },
    #[error("the RPC node's answer did not decode: {0}")]
    BadAnswer(String),
}

impl ClientError {
    /// The program error, if the program is what refused.
    pub fn program_error(&self) -> Option<ProgramErrorInfo> {
        match self {
            ClientError::Program { info, .. } => Some(*info),
            _ => None,
        }
    }

    /// The Ignis error the program refused with, to match by type.
    pub fn ignis_error(&self) -> Option<ignis::errors::IgnisError> {
        self.program_error().and_then(|info| info.ignis())
    }

    /// Anchor's error (an account or constraint check) the program refused with.
    pub fn anchor_error(&self) -> Option<anchor_lang::error::ErrorCode> {
        self.program_error().and_then(|info| info.anchor())
    }

    /// Whether nothing answered at the RPC URL at all (the connection was refused):
    /// no cluster there, as opposed to one that answered badly or dropped a call.
    pub fn nothing_listening(&self) -> bool {
        use solana_rpc_client_api::client_error::ErrorKind;
        matches!(self, ClientError::Rpc { cause, .. }
            if matches!(cause.kind(), ErrorKind::Reqwest(err) if err.is_connect()))
    }

    /// Whether the transaction provably did not land: it failed as a whole, or its
    /// blockhash expired unseen. Otherwise (an RPC fault mid-confirmation) it may have.
    pub fn nothing_landed(&self) -> bool {
        matches!(
            self,
            ClientError::Program { .. }
                | ClientError::Transaction(_)
                | ClientError::NotConfirmed { .. }
        )
    }

    /// An RPC fault described by `message`: the caller cannot know whether what it sent
    /// landed, so it re-reads the chain before trying again.
    pub fn rpc_fault(url: &str, message: String) -> ClientError {
        use solana_rpc_client_api::client_error::ErrorKind;
        ClientError::Rpc {
            url: url.to_string(),
            cause: Box::new(ErrorKind::Custom(message).into()),
        }
    }

    /// The same failure again, for another instruction of the transaction that failed
    /// (an RPC fault's cause keeps its message).
    pub fn duplicate(&self) -> ClientError {
        match self {
            ClientError::Program { index, info } => {
                ClientError::Program { index: *index, info: *info }
            }
            ClientError::Transaction(err) => ClientError::Transaction(err.clone()),
            ClientError::Rpc { url, cause } => ClientError::rpc_fault(url, cause.to_string()),
            ClientError::NotFound { what, address } => {
                ClientError::NotFound { what, address: *address }
            }
            ClientError::Decode { what, address } => {
                ClientError::Decode { what, address: *address }
            }
            ClientError::NotConfirmed { attempts } => {
                ClientError::NotConfirmed { attempts: *attempts }
            }
            ClientError::BadAnswer(message) => ClientError::BadAnswer(message.clone()),
        }
    }

    fn from_transaction(err: TransactionError) -> Self {
        use solana_instruction_error::InstructionError::Custom;
        match err {
            TransactionError::InstructionError(index, Custom(code)) => match describe(code) {
                Some(info) => ClientError::Program { index, info },
                None => ClientError::Transaction(TransactionError::InstructionError(
                    index,
                    Custom(code),
                )),
            },
            other => ClientError::Transaction(other),
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// How many times a transaction whose blockhash expired is re-signed with a fresh one
/// before giving up.
const MAX_BLOCKHASH_ATTEMPTS: u32 = 5;
/// Tries per RPC call when the fault is transient.
const RPC_ATTEMPTS: u32 = 4;
/// getSignatureStatuses takes at most this many signatures per call.
const MAX_STATUSES_PER_CALL: usize = 256;
/// How long a sent transaction may stay unseen before it is re-broadcast (and its
/// blockhash checked): re-sending on every poll doubled the RPC load of a busy localnet
/// for transactions that were only waiting their turn.
const REBROADCAST_AFTER: Duration = Duration::from_secs(1);
/// How long a client keeps signing with one blockhash (about 2% of its lifetime).
const BLOCKHASH_REUSE: Duration = Duration::from_secs(1);
/// Blockhashes whose signatures a client remembers: a client signs only with the
/// newest it has read, so older ones matter only to sends racing a refresh.
const SIGNED_HASHES_KEPT: usize = 16;
/// The wait for a newer block when a send would repeat a transaction signed before.
const REPEAT_WAIT: Duration = Duration::from_millis(50);

/// The wait before confirmation poll number `attempt`: short at first, because a local
/// chain confirms within one slot, then every 200 ms (half a mainnet slot).
fn poll_delay(attempt: u32) -> Duration {
    Duration::from_millis(25u64.saturating_mul(1 << attempt.min(3)))
}

pub struct IgnisClient {
    rpc: RpcClient,
    url: String,
    budget: ComputeBudget,
    recent: Mutex<RecentBlockhash>,
    skip_preflight: bool,
}

/// The blockhash this client's sends share for [`BLOCKHASH_REUSE`], and what it signed
/// lately. Two transactions with the same message and signers signed with the same
/// blockhash are one transaction on chain (the second is dropped as already
/// processed), so a send that would repeat a signature waits for a newer blockhash:
/// two identical transfers in a row are two transfers.
#[derive(Default)]
struct RecentBlockhash {
    current: Option<(solana_hash::Hash, u64, Instant)>,
    /// The signatures signed with each of the last [`SIGNED_HASHES_KEPT`] blockhashes.
    signed: VecDeque<(solana_hash::Hash, HashSet<Signature>)>,
}

impl RecentBlockhash {
    /// Records `signature` as signed with `hash`; false if it was already.
    fn record(&mut self, hash: solana_hash::Hash, signature: Signature) -> bool {
        if let Some((_, signatures)) = self.signed.iter_mut().find(|(known, _)| *known == hash) {
            return signatures.insert(signature);
        }
        if self.signed.len() == SIGNED_HASHES_KEPT {
            self.signed.pop_front();
        }
        self.signed.push_back((hash, HashSet::from([signature])));
        true
    }
}

/// The compute budget a sender asks for: `ComputeBudget` instructions put first in
/// every transaction it sends. On a busy cluster a priority fee gets a transaction into
/// a block sooner, and a tight unit limit makes it cheaper and easier to pack.
///
/// On the embedded localnet the program runs natively and is charged a flat 1,000
/// compute units per invocation, so a limit that works there says nothing about a real
/// cluster: size it from a simulation on one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ComputeBudget {
    /// Priority fee on every transaction sent, in micro-lamports per compute unit
    /// (SetComputeUnitPrice). None by default.
    #[cfg_attr(
        feature = "clap",
        arg(
            long = "priority-fee",
            value_name = "MICRO_LAMPORTS",
            env = "IGNIS_PRIORITY_FEE",
            global = true
        )
    )]
    pub unit_price: Option<u64>,
    /// Compute-unit limit per instruction sent (SetComputeUnitLimit; default: the
    /// runtime's): a transaction asks for this times the instructions it carries (the
    /// worker and the orchestrator pack several into one), at most the runtime's 1.4M.
    /// The embedded localnet runs the program natively and charges it a flat 1,000
    /// units a call, so size this from a simulation on a real cluster.
    #[cfg_attr(
        feature = "clap",
        arg(
            long = "compute-unit-limit",
            value_name = "UNITS",
            env = "IGNIS_COMPUTE_UNIT_LIMIT",
            global = true
        )
    )]
    pub unit_limit: Option<u32>,
}

/// Whether a service (the worker, the orchestrator) sends with preflight; the CLI and
/// the app always do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Preflight {
    /// Send with preflight: the RPC node simulates each transaction first and refuses
    /// a failing one for free. Off by default: this service's transactions are built
    /// from state it just read, a refusal costs only the base fee (5,000 lamports) and
    /// comes back as the same named error, and skipping the simulation halves a node's
    /// work per transaction (about 14% more lifecycles/s on the localnet, README).
    #[cfg_attr(feature = "clap", arg(long = "preflight", env = "IGNIS_PREFLIGHT"))]
    pub on: bool,
}

/// The most compute units the runtime gives one transaction.
pub const MAX_COMPUTE_UNIT_LIMIT: u32 = 1_400_000;

impl ComputeBudget {
    /// How many budget instructions go in front of every transaction (none for the
    /// default).
    pub fn len(&self) -> usize {
        usize::from(self.unit_limit.is_some()) + usize::from(self.unit_price.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many instructions' worth of units `instructions` ask for: one each, a batch
    /// instruction one per job it carries (`instructions::jobs_carried`).
    pub fn units_of(instructions: &[Instruction]) -> usize {
        instructions.iter().map(crate::instructions::jobs_carried).sum()
    }

    /// `instructions` with this budget's in front, the unit limit scaled to their
    /// number (`units_of`).
    pub fn apply(&self, instructions: &[Instruction]) -> Vec<Instruction> {
        use solana_compute_budget_interface::ComputeBudgetInstruction;
        let count = u32::try_from(Self::units_of(instructions).max(1)).unwrap_or(u32::MAX);
        let limit = self.unit_limit.map(|per_instruction| {
            ComputeBudgetInstruction::set_compute_unit_limit(
                per_instruction.saturating_mul(count).min(MAX_COMPUTE_UNIT_LIMIT),
            )
        });
        let price = self.unit_price.map(ComputeBudgetInstruction::set_compute_unit_price);
        let mut all: Vec<Instruction> = limit.into_iter().chain(price).collect();
        all.extend_from_slice(instructions);
        all
    }

    /// The most instructions one transaction may carry and still get its limit for
    /// each.
    pub fn max_instructions(&self) -> usize {
        match self.unit_limit {
            Some(per_instruction) if per_instruction > 0 => {
                (MAX_COMPUTE_UNIT_LIMIT / per_instruction).max(1) as usize
            }
            _ => usize::MAX,
        }
    }
}

impl IgnisClient {
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let rpc = RpcClient::new_with_commitment(url.clone(), CommitmentConfig::confirmed());
        IgnisClient {
            rpc,
            url,
            budget: ComputeBudget::default(),
            recent: Mutex::default(),
            skip_preflight: false,
        }
    }

    /// This client with `budget` on every transaction it sends.
    pub fn with_compute_budget(mut self, budget: ComputeBudget) -> Self {
        self.budget = budget;
        self
    }

    /// This client sending without preflight: the cluster runs each transaction once,
    /// not simulated first, and a program error comes back from the signature status
    /// (the same named error) after the transaction landed, paying its fee. For
    /// services whose transactions are built from state they just read (the worker,
    /// the orchestrator); people are better served by preflight's free refusal.
    pub fn with_skip_preflight(mut self, skip: bool) -> Self {
        self.skip_preflight = skip;
        self
    }

    pub fn compute_budget(&self) -> ComputeBudget {
        self.budget
    }

    /// Which of the instructions given to [`IgnisClient::send`] made `err`, if one did:
    /// the index the cluster reports, less the compute-budget instructions this client
    /// put in front of them. A sender of several instructions in one transaction uses it
    /// to tell the refused one from those that were only rolled back with it. Running
    /// out of compute units is the transaction's, not the instruction's that was running.
    pub fn refused_instruction(&self, err: &ClientError) -> Option<usize> {
        let index = match err {
            ClientError::Transaction(TransactionError::InstructionError(
                _,
                InstructionError::ComputationalBudgetExceeded,
            )) => return None,
            ClientError::Program { index, .. }
            | ClientError::Transaction(TransactionError::InstructionError(index, _)) => {
                usize::from(*index)
            }
            _ => return None,
        };
        index.checked_sub(self.budget.len())
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// The program's events of type `T` in a confirmed transaction (`emit_cpi!` puts
    /// them in its inner instructions): what a transaction did, exactly, where a
    /// balance change would also count unrelated transfers landing in the same slot.
    pub async fn transaction_events<T>(&self, signature: &Signature) -> Result<Vec<T>>
    where
        T: anchor_lang::Event + anchor_lang::Discriminator + anchor_lang::AnchorDeserialize,
    {
        let tx = self.confirmed_transaction(signature).await?;
        Ok(tx
            .inner_instructions
            .iter()
            .flat_map(|(_, invoked)| invoked)
            .filter_map(|inner| crate::events::decode_cpi_event::<T>(&inner.data))
            .collect())
    }

    /// Runs one RPC call, again (up to 4 tries in about 350 ms) when it failed in a way
    /// that says nothing about the request itself: the connection broke, the node
    /// answered 5xx or "unhealthy". Every call made here is idempotent (reads, and
    /// sends of an already signed transaction).
    pub async fn call<T, Fut>(&self, mut call: impl FnMut() -> Fut) -> Result<T>
    where
        Fut: std::future::Future<Output = std::result::Result<T, RpcError>>,
    {
        let mut delay = Duration::from_millis(50);
        for attempt in 1.. {
            match call().await {
                Ok(value) => return Ok(value),
                Err(err) if attempt < RPC_ATTEMPTS && is_transient(&err) => {
                    tracing::debug!(%err, attempt, "RPC fault; trying again");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(err) => return Err(self.rpc_error(err)),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// The latest blockhash and the last block height at which it is still valid.
    async fn latest_blockhash(&self) -> Result<(solana_hash::Hash, u64)> {
        self.call(|| self.rpc.get_latest_blockhash_with_commitment(self.rpc.commitment())).await
    }

    /// The shared blockhash, while it is younger than [`BLOCKHASH_REUSE`].
    fn recent_blockhash(&self) -> Option<(solana_hash::Hash, u64)> {
        let recent = self.recent.lock().expect("blockhash lock");
        recent
            .current
            .filter(|(_, _, fetched)| fetched.elapsed() < BLOCKHASH_REUSE)
            .map(|(hash, last_valid, _)| (hash, last_valid))
    }

    /// `instructions` (with this client's compute budget) signed with a recent
    /// blockhash into a transaction whose signature this client has not signed
    /// before, and the last block height at which it can land. The blockhash is read
    /// at most once per [`BLOCKHASH_REUSE`]: one `getLatestBlockhash` per transaction
    /// was a quarter of a busy worker's calls.
    async fn sign(
        &self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(Transaction, u64)> {
        let instructions = self.budget.apply(instructions);
        let payer = signers[0].pubkey();
        let mut repeated = None;
        loop {
            let (hash, last_valid) = match self.recent_blockhash() {
                Some(recent) if Some(recent.0) != repeated => recent,
                _ => {
                    let (hash, last_valid) = self.latest_blockhash().await?;
                    if Some(hash) == repeated {
                        // The same transaction again, and no newer block yet.
                        tokio::time::sleep(REPEAT_WAIT).await;
                        continue;
                    }
                    let mut recent = self.recent.lock().expect("blockhash lock");
                    recent.current = Some((hash, last_valid, Instant::now()));
                    (hash, last_valid)
                }
            };
            let tx = Transaction::new_signed_with_payer(&instructions, Some(&payer), signers, hash);
            if self.recent.lock().expect("blockhash lock").record(hash, tx.signatures[0]) {
                return Ok((tx, last_valid));
            }
            repeated = Some(hash);
        }
    }

    /// Preflight at the client's commitment, so that a program error comes back at
    /// once, unless this client skips it ([`Self::with_skip_preflight`]).
    fn send_config(&self) -> RpcSendTransactionConfig {
        RpcSendTransactionConfig {
            skip_preflight: self.skip_preflight,
            preflight_commitment: Some(self.rpc.commitment().commitment),
            ..RpcSendTransactionConfig::default()
        }
    }

    /// What a signature status says: `None` while the transaction is unseen or not yet
    /// at the client's commitment, else whether it succeeded.
    fn outcome(&self, status: Option<TransactionStatus>) -> Option<Result<()>> {
        let status = status?;
        match status.err {
            Some(err) => Some(Err(ClientError::from_transaction(err))),
            None => status.satisfies_commitment(self.rpc.commitment()).then_some(Ok(())),
        }
    }

    /// Sends a signed transaction. One that already executed (its first send landed but
    /// the answer was lost) counts as sent: confirmation will report how it went.
    async fn broadcast(
        &self,
        tx: &Transaction,
        config: RpcSendTransactionConfig,
    ) -> Result<Signature> {
        match self.call(|| self.rpc.send_transaction_with_config(tx, config)).await {
            Err(ClientError::Transaction(TransactionError::AlreadyProcessed)) => {
                Ok(tx.signatures[0])
            }
            other => other,
        }
    }

    pub(crate) fn rpc_error(&self, source: RpcError) -> ClientError {
        match source.get_transaction_error() {
            Some(err) => ClientError::from_transaction(err),
            None => ClientError::Rpc { url: self.url.clone(), cause: Box::new(source) },
        }
    }

    /// The raw account, or `None` if there is none.
    pub async fn account_data(&self, address: &Pubkey) -> Result<Option<Vec<u8>>> {
        Ok(self.accounts_data(std::slice::from_ref(address)).await?.pop().flatten())
    }

    /// Several raw accounts in one `getMultipleAccounts` (at most 100), in the order
    /// asked; `None` where there is none.
    pub async fn accounts_data(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Vec<u8>>>> {
        // Not `get_account_*`: the RPC client rewrites their transport errors into an
        // AccountNotFound sentence, which would hide that nothing answered.
        let response = self
            .call(|| {
                self.rpc.get_multiple_accounts_with_commitment(addresses, self.rpc.commitment())
            })
            .await?;
        Ok(response.value.into_iter().map(|account| account.map(|a| a.data)).collect())
    }

    /// Decodes the program account of type `T` at `address`, if there is one.
    pub async fn fetch<T: AccountDeserialize + Discriminator>(
        &self,
        address: &Pubkey,
    ) -> Result<Option<T>> {
        decode_account(address, self.account_data(address).await?)
    }

    /// The cluster's slot and unix time, from the Clock sysvar: deadlines are judged by
    /// the chain's time, never the local one.
    pub async fn clock(&self) -> Result<(u64, i64)> {
        let address = clock_sysvar();
        parse_clock(self.account_data(&address).await?)
    }

    /// The protocol clock now ([`Config::clock_at`] of the chain's time, so that a
    /// pause counts), the config it was judged by, and the program account `T` at
    /// `address`, in one `getMultipleAccounts`: a worker checks deadlines on every job,
    /// and separate reads cost the cluster a call each.
    pub async fn protocol_clock_and<T: AccountDeserialize + Discriminator>(
        &self,
        address: &Pubkey,
    ) -> Result<(Config, i64, Option<T>)> {
        let config_address = pda::config();
        let addresses = [config_address, clock_sysvar(), *address];
        let mut data = self.accounts_data(&addresses).await?.into_iter();
        let config: Config = decode_account(&config_address, data.next().flatten())?
            .ok_or(ClientError::NotFound { what: "config", address: config_address })?;
        let (_, unix) = parse_clock(data.next().flatten())?;
        let account = decode_account(address, data.next().flatten())?;
        let now = config.clock_at(unix);
        Ok((config, now, account))
    }

    /// Every shard, in index order (one `getMultipleAccounts`).
    pub async fn shards(&self) -> Result<Vec<crate::accounts::Shard>> {
        let addresses: Vec<Pubkey> = (0..ignis::constants::SHARDS).map(pda::shard).collect();
        let data = self.accounts_data(&addresses).await?;
        data.into_iter()
            .zip(&addresses)
            .map(|(data, address)| {
                decode_account(address, data)?
                    .ok_or(ClientError::NotFound { what: "shard", address: *address })
            })
            .collect()
    }

    /// The jobs' running totals over every shard.
    pub async fn shard_totals(&self) -> Result<crate::accounts::ShardTotals> {
        Ok(crate::accounts::ShardTotals::sum(&self.shards().await?))
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
    pub async fn all<T: AccountDeserialize + Discriminator>(
        &self,
        extra: Vec<Memcmp>,
    ) -> Result<Vec<(Pubkey, T)>> {
        let mut filters =
            vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, T::DISCRIMINATOR.to_vec()))];
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
            .call(|| self.rpc.get_program_ui_accounts_with_config(&ignis::ID, config.clone()))
            .await?;
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
    pub async fn send(
        &self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Signature> {
        for _ in 0..MAX_BLOCKHASH_ATTEMPTS {
            let (tx, last_valid_height) = self.sign(instructions, signers).await?;
            let signature = tx.signatures[0];
            let config = self.send_config();
            // A program error shows in preflight (or in the status when skipped): no
            // point retrying that.
            self.broadcast(&tx, config).await?;
            let mut broadcast_at = Instant::now();
            for attempt in 0.. {
                tokio::time::sleep(poll_delay(attempt)).await;
                let signatures = [signature];
                let statuses = self.call(|| self.rpc.get_signature_statuses(&signatures)).await?;
                let status = statuses.value.into_iter().next().flatten();
                let seen = status.is_some();
                match self.outcome(status) {
                    Some(result) => return result.map(|()| signature),
                    // Seen and on its way: only an unseen one may need re-broadcasting.
                    None if seen => continue,
                    // Unseen for a moment is the normal wait for the leader; only a
                    // transaction still unseen after a while may have been dropped.
                    None if broadcast_at.elapsed() < REBROADCAST_AFTER => continue,
                    None => {}
                }
                let height = self
                    .call(|| self.rpc.get_block_height_with_commitment(self.rpc.commitment()))
                    .await?;
                if height > last_valid_height {
                    tracing::warn!(%signature, "blockhash expired before confirmation; re-signing");
                    break;
                }
                // Still valid: re-broadcast the very same transaction (idempotent).
                let config = RpcSendTransactionConfig { skip_preflight: true, ..config };
                if let Err(err) = self.rpc.send_transaction_with_config(&tx, config).await {
                    tracing::debug!(%signature, %err, "re-broadcast failed; still polling");
                }
                broadcast_at = Instant::now();
            }
        }
        Err(ClientError::NotConfirmed { attempts: MAX_BLOCKHASH_ATTEMPTS })
    }

    /// A [`Pipeline`] for sending many transactions without a round trip each.
    pub fn pipeline(&self) -> Pipeline<'_> {
        Pipeline { client: self, sent: vec![] }
    }

    /// Waits until every signature is confirmed. A failed transaction is the error; one
    /// whose blockhash expired unseen is [`ClientError::NotConfirmed`].
    async fn confirm_all(&self, mut pending: Vec<(Signature, u64)>) -> Result<()> {
        for attempt in 0.. {
            if pending.is_empty() {
                break;
            }
            tokio::time::sleep(poll_delay(attempt)).await;
            let mut unseen = vec![];
            for chunk in pending.chunks(MAX_STATUSES_PER_CALL) {
                let signatures: Vec<Signature> =
                    chunk.iter().map(|(signature, _)| *signature).collect();
                let statuses = self.call(|| self.rpc.get_signature_statuses(&signatures)).await?;
                for (entry, status) in chunk.iter().zip(statuses.value) {
                    match self.outcome(status) {
                        Some(result) => result?,
                        None => unseen.push(*entry),
                    }
                }
            }
            if let Some(&(_, last_valid)) = unseen.iter().max_by_key(|(_, last_valid)| *last_valid)
            {
                let height = self
                    .call(|| self.rpc.get_block_height_with_commitment(self.rpc.commitment()))
                    .await?;
                if height > last_valid {
                    return Err(ClientError::NotConfirmed { attempts: 1 });
                }
            }
            pending = unseen;
        }
        Ok(())
    }
}

/// Sends transactions back to back, each as soon as the cluster accepted the one before
/// (preflight included), and confirms them all at the end: a load generator's way to
/// post thousands of jobs without a confirmation round trip per transaction. On one
/// leader (the localnet) they execute in the order sent, so consecutive job ids work.
/// Nothing is re-sent: the first rejection is returned, and what was sent before it has
/// been executed.
pub struct Pipeline<'a> {
    client: &'a IgnisClient,
    sent: Vec<(Signature, u64)>,
}

impl Pipeline<'_> {
    /// Signs with `signers` (the first pays) and sends; returns once the cluster took it.
    pub async fn send(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Signature> {
        let client = self.client;
        let (tx, last_valid) = client.sign(instructions, signers).await?;
        let signature = client.broadcast(&tx, client.send_config()).await?;
        self.sent.push((signature, last_valid));
        Ok(signature)
    }

    /// Waits until everything sent is confirmed.
    pub async fn confirm(self) -> Result<Vec<Signature>> {
        let signatures = self.sent.iter().map(|(signature, _)| *signature).collect();
        self.client.confirm_all(self.sent).await?;
        Ok(signatures)
    }
}

/// The program account `T` in `data`, read at `address`; `None` where there is none
/// (or it was closed down to no data).
fn decode_account<T: AccountDeserialize + Discriminator>(
    address: &Pubkey,
    data: Option<Vec<u8>>,
) -> Result<Option<T>> {
    let what = short_type_name::<T>();
    match data {
        Some(data) if !data.is_empty() => {
            decode(&data).map(Some).map_err(|_| ClientError::Decode { what, address: *address })
        }
        _ => Ok(None),
    }
}

fn clock_sysvar() -> Pubkey {
    <anchor_lang::prelude::Clock as anchor_lang::solana_program::sysvar::SysvarId>::id()
}

/// Slot and unix time from the Clock sysvar's bytes (slot, epoch_start_timestamp,
/// epoch, leader_schedule_epoch, unix_timestamp).
fn parse_clock(data: Option<Vec<u8>>) -> Result<(u64, i64)> {
    let address = clock_sysvar();
    let data = data.ok_or(ClientError::NotFound { what: "Clock sysvar", address })?;
    let word = |at: usize| data.get(at..at + 8).and_then(|b| <[u8; 8]>::try_from(b).ok());
    match (word(0), word(32)) {
        (Some(slot), Some(unix)) => Ok((u64::from_le_bytes(slot), i64::from_le_bytes(unix))),
        _ => Err(ClientError::Decode { what: "Clock sysvar", address }),
    }
}

/// An RPC failure for people: once, and what to do about it.
fn rpc_message(url: &str, cause: &RpcError) -> String {
    use solana_rpc_client_api::client_error::ErrorKind;
    let unreachable = match cause.kind() {
        ErrorKind::Io(_) => true,
        ErrorKind::Reqwest(err) => err.is_connect() || err.is_timeout(),
        _ => false,
    };
    if unreachable {
        format!(
            "nothing answers at {url}: is the cluster running? Start a local network with \
             `cargo ignis up` (or only the chain with `cargo localnet`), or pass --url"
        )
    } else {
        format!("the cluster at {url} failed the request: {}", cause.kind())
    }
}

/// Whether an RPC error is a fault of the transport or the node, not of the request.
fn is_transient(err: &RpcError) -> bool {
    use solana_rpc_client_api::{client_error::ErrorKind, request::RpcError as Rpc};
    // -32005: node unhealthy/behind; -32004: block not available; -32016: min context
    // slot not reached. All say "ask again".
    match err.kind() {
        ErrorKind::Io(_) | ErrorKind::Reqwest(_) => true,
        ErrorKind::RpcError(Rpc::RpcResponseError { code, .. }) => {
            matches!(code, -32005 | -32004 | -32016)
        }
        _ => false,
    }
}

/// Largest serialized transaction the cluster accepts.
pub const PACKET_DATA_SIZE: usize = 1232;

/// Serialized size of a transaction carrying `instructions` and paid by `payer`, with
/// every signature it needs: what senders that pack several instructions into one
/// transaction check against [`PACKET_DATA_SIZE`].
pub fn transaction_size(payer: &Pubkey, instructions: &[Instruction]) -> usize {
    let tx = Transaction::new_with_payer(instructions, Some(payer));
    let signatures = usize::from(tx.message.header.num_required_signatures);
    short_vec_len(signatures) + 64 * signatures + tx.message.serialize().len()
}

/// Splits `items`, in order, into groups whose instructions (`instructions_of` each,
/// behind `budget`'s) fit one transaction paid by `payer`, in bytes and in the compute
/// units `budget` asks for them: how every sender that batches (the orchestrator's
/// assignments and closes, the worker's submissions) fills its transactions. An item
/// too big to share a transaction gets one of its own.
pub fn pack<T>(
    payer: &Pubkey,
    budget: &ComputeBudget,
    items: impl IntoIterator<Item = T>,
    instructions_of: impl Fn(&T) -> Vec<Instruction>,
) -> Vec<Vec<T>> {
    let mut groups = vec![];
    let mut current: Vec<T> = vec![];
    let mut instructions: Vec<Instruction> = vec![];
    for item in items {
        let own = instructions_of(&item);
        instructions.extend_from_slice(&own);
        let full = ComputeBudget::units_of(&instructions) > budget.max_instructions()
            || transaction_size(payer, &budget.apply(&instructions)) > PACKET_DATA_SIZE;
        if full && !current.is_empty() {
            groups.push(std::mem::take(&mut current));
            instructions = own;
        }
        current.push(item);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// `items` grouped, in order, for a batch instruction (`post_jobs`, `submit_pows`,
/// `close_jobs`): each group is one instruction (`instruction_of`) that fits a
/// transaction alone, paid by `payer`, in bytes and in the budget's compute units, and
/// carries at most `MAX_BATCH_JOBS` items. An item too big even alone gets a group of
/// its own (its send names the fault).
pub fn batches<T>(
    payer: &Pubkey,
    budget: &ComputeBudget,
    items: impl IntoIterator<Item = T>,
    instruction_of: impl Fn(&[T]) -> Instruction,
) -> Vec<Vec<T>> {
    let mut groups: Vec<Vec<T>> = vec![];
    for item in items {
        if let Some(group) = groups.last_mut() {
            group.push(item);
            let instructions = [instruction_of(group)];
            let fits = ignis::state::Job::check_batch_size(group.len()).is_ok()
                && ComputeBudget::units_of(&instructions) <= budget.max_instructions()
                && transaction_size(payer, &budget.apply(&instructions)) <= PACKET_DATA_SIZE;
            if fits {
                continue;
            }
            let item = group.pop().expect("just pushed");
            groups.push(vec![item]);
        } else {
            groups.push(vec![item]);
        }
    }
    groups
}

fn short_vec_len(n: usize) -> usize {
    match n {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        _ => 3,
    }
}

/// A memcmp filter on account data at `offset` bytes after Anchor's 8-byte
/// discriminator (e.g. `Job::poster` sits right after the 8-byte id).
pub fn memcmp_after_discriminator(offset: usize, bytes: &[u8]) -> Memcmp {
    Memcmp::new_raw_bytes(8 + offset, bytes.to_vec())
}

/// The websocket URL that goes with a JSON-RPC URL: ws(s):// and the port plus one
/// (the Solana convention, which the localnet follows).
pub fn websocket_url(http: &str) -> String {
    let (scheme, rest) = match http.split_once("://") {
        Some(("https", rest)) => ("wss", rest),
        Some((_, rest)) => ("ws", rest),
        None => ("ws", http),
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let authority = match authority.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(port) => format!("{host}:{}", port.wrapping_add(1)),
            Err(_) => authority.to_string(),
        },
        _ => authority.to_string(),
    };
    if path.is_empty() {
        format!("{scheme}://{authority}")
    } else {
        format!("{scheme}://{authority}/{path}")
    }
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_instruction_asks_for_units_per_job_it_carries() {
        use crate::instructions::{assign_jobs, close_jobs};
        let poster = Pubkey::new_unique();
        let closes: Vec<(u64, Pubkey)> = (0..5).map(|id| (id, poster)).collect();
        let assigns = assign_jobs(Pubkey::new_unique(), &[1, 2, 3, 4, 5, 6, 7], poster);
        let memo = Instruction::new_with_bytes(Pubkey::new_unique(), &[0], vec![]);
        assert_eq!(ComputeBudget::units_of(&[close_jobs(&closes), assigns, memo]), 5 + 7 + 1);
        let protocol =
            crate::instructions::Protocol::new(Pubkey::new_unique(), Pubkey::new_unique());
        let proofs = protocol.submit_pows(poster, poster, &[(1, 9), (2, 9), (17, 9)]);
        // Two shards' pairs after the three jobs do not count as jobs.
        assert_eq!(ComputeBudget::units_of(&[proofs]), 3);
        let args = |job_id| ignis::instructions::PostJobArgs {
            job_id,
            kind: ignis::state::JobKind::Pow { difficulty: 8 },
            client_seed: [0; 32],
            reward: 100,
            replicas: 1,
            execution_seconds: 60,
            ttl_seconds: 600,
        };
        let posts = protocol.post_jobs(poster, poster, &[args(3), args(19)]);
        assert_eq!(ComputeBudget::units_of(&[posts]), 2);
    }

    #[test]
    fn batches_fill_each_instruction_as_far_as_a_transaction_holds_it() {
        let protocol =
            crate::instructions::Protocol::new(Pubkey::new_unique(), Pubkey::new_unique());
        let poster = Pubkey::new_unique();
        let args = |job_id| ignis::instructions::PostJobArgs {
            job_id,
            kind: ignis::state::JobKind::Pow { difficulty: 8 },
            client_seed: [0; 32],
            reward: 100,
            replicas: 1,
            execution_seconds: 60,
            ttl_seconds: 600,
        };
        let budget = ComputeBudget { unit_price: Some(1), unit_limit: Some(60_000) };
        let jobs: Vec<_> = (0..40).map(|i| args(16 * i)).collect();
        let post =
            |batch: &[ignis::instructions::PostJobArgs]| protocol.post_jobs(poster, poster, batch);
        let groups = batches(&poster, &budget, jobs, post);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 40);
        for (i, group) in groups.iter().enumerate() {
            let size = transaction_size(&poster, &budget.apply(&[post(group)]));
            assert!(size <= PACKET_DATA_SIZE, "{size}");
            // Full but for the last: one more would not fit.
            if i + 1 < groups.len() {
                let mut more = group.clone();
                more.push(args(16_000));
                assert!(
                    transaction_size(&poster, &budget.apply(&[post(&more)])) > PACKET_DATA_SIZE
                );
            }
        }
        assert!(groups[0].len() >= 6, "{} posts to a transaction", groups[0].len());
        // The proofs of one worker: up to MAX_BATCH_JOBS, fewer where bytes run out.
        let proofs: Vec<(u64, u64)> = (0..40).map(|i| (16 * i, i)).collect();
        let groups = batches(&poster, &ComputeBudget::default(), proofs, |batch| {
            protocol.submit_pows(poster, poster, batch)
        });
        assert!(groups.iter().all(|g| !g.is_empty() && g.len() <= 32));
        assert!(groups[0].len() >= 16, "{} proofs of one shard to a transaction", groups[0].len());
    }

    #[test]
    fn the_unit_limit_is_per_instruction_and_packing_keeps_within_the_runtimes_maximum() {
        use solana_compute_budget_interface::ComputeBudgetInstruction;
        let budget = ComputeBudget { unit_price: Some(5), unit_limit: Some(300_000) };
        let memo = |i: u8| Instruction::new_with_bytes(Pubkey::new_unique(), &[i], vec![]);
        let three: Vec<_> = (0..3).map(memo).collect();
        let applied = budget.apply(&three);
        assert_eq!(applied.len(), 5);
        assert_eq!(applied[0], ComputeBudgetInstruction::set_compute_unit_limit(900_000));
        assert_eq!(applied[1], ComputeBudgetInstruction::set_compute_unit_price(5));
        // Six would need 1.8M: capped, and the packer stops at four (1.2M).
        let six: Vec<_> = (0..6).map(memo).collect();
        assert_eq!(
            budget.apply(&six)[0],
            ComputeBudgetInstruction::set_compute_unit_limit(MAX_COMPUTE_UNIT_LIMIT)
        );
        let payer = Pubkey::new_unique();
        let groups = pack(&payer, &budget, six.clone(), |ix| vec![ix.clone()]);
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [4, 2]);
        assert_eq!(groups.concat(), six);
        // Without a limit only the packet size bounds a group.
        let unlimited = ComputeBudget::default();
        assert_eq!(pack(&payer, &unlimited, six.clone(), |ix| vec![ix.clone()]).len(), 1);
        let many: Vec<_> = (0..100).map(|i| memo(i as u8)).collect();
        let groups = pack(&payer, &unlimited, many.clone(), |ix| vec![ix.clone()]);
        assert!(groups.len() > 1);
        for group in &groups {
            assert!(transaction_size(&payer, group) <= PACKET_DATA_SIZE);
        }
        assert_eq!(groups.concat(), many);
    }

    #[test]
    fn a_refused_instruction_is_counted_among_the_callers_not_the_budgets() {
        use solana_instruction_error::InstructionError::Custom;
        let refused =
            |index| ClientError::Transaction(TransactionError::InstructionError(index, Custom(1)));
        let plain = IgnisClient::new("http://127.0.0.1:8899");
        assert_eq!(plain.refused_instruction(&refused(2)), Some(2));
        let budget = ComputeBudget { unit_price: Some(1), unit_limit: Some(200_000) };
        let budgeted = IgnisClient::new("http://127.0.0.1:8899").with_compute_budget(budget);
        assert_eq!(budgeted.refused_instruction(&refused(2)), Some(0));
        // A refusal of the budget's own instructions is nobody's of the caller.
        assert_eq!(budgeted.refused_instruction(&refused(1)), None);
        let not_confirmed = ClientError::NotConfirmed { attempts: 5 };
        assert_eq!(plain.refused_instruction(&not_confirmed), None);
        // Out of compute units: the transaction's limit, whichever instruction ran.
        let out_of_units = ClientError::Transaction(TransactionError::InstructionError(
            3,
            InstructionError::ComputationalBudgetExceeded,
        ));
        assert_eq!(budgeted.refused_instruction(&out_of_units), None);
    }

    #[test]
    fn the_websocket_url_is_derived_from_the_rpc_url() {
        assert_eq!(websocket_url("http://127.0.0.1:8899"), "ws://127.0.0.1:8900");
        assert_eq!(websocket_url("https://rpc.example.com/abc"), "wss://rpc.example.com/abc");
        assert_eq!(websocket_url("http://localhost:1234/"), "ws://localhost:1235");
    }

    #[test]
    fn confirmation_polls_start_fast_and_settle_at_200_ms() {
        let delays: Vec<u64> = (0..6).map(|n| poll_delay(n).as_millis() as u64).collect();
        assert_eq!(delays, [25, 50, 100, 200, 200, 200]);
    }
}
