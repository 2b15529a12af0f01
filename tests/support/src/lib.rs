//! One local network for every off-chain test (worker, orchestrator, CLI): a real
//! localnet over JSON-RPC, optionally with the protocol initialised, and the few
//! helpers they all need. Tests build their own scenarios on top.

pub mod postgres;
pub mod s3;

use std::{
    future::Future,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use ignis::state::{EmissionSchedule, Params};
use ignis_client::{
    bootstrap::{self, Genesis},
    instructions::Protocol,
    rpc::IgnisClient,
    token,
};
use ignis_localnet::server::{Localnet, LocalnetConfig};
use solana_keypair::{write_keypair_file, Keypair};
use solana_signer::Signer;

pub const IGN: u64 = 1_000_000_000;
/// What every prefunded key gets: 100 SOL.
pub const PREFUND_LAMPORTS: u64 = 100_000_000_000;

/// A localnet on free ports, a block every `slot_time_ms`, with `prefund` keys funded.
pub fn localnet(slot_time_ms: u64, prefund: &[Pubkey]) -> Localnet {
    Localnet::start(LocalnetConfig {
        rpc_port: 0,
        ws_port: 0,
        slot_time_ms,
        prefund: prefund.iter().map(|key| (*key, PREFUND_LAMPORTS)).collect(),
        ..Default::default()
    })
    .expect("localnet starts")
}

/// A localnet with the protocol initialised: the admin holds the genesis supply of
/// 1,000,000 IGN and is the orchestrator and the verifier.
pub struct TestNet {
    pub localnet: Localnet,
    pub client: Arc<IgnisClient>,
    pub admin: Arc<Keypair>,
    pub protocol: Protocol,
    /// `keys` funded keypairs, for the test's parties.
    pub keys: Vec<Arc<Keypair>>,
    /// Scratch files: keypairs, journals.
    pub dir: tempfile::TempDir,
}

impl TestNet {
    pub async fn start(slot_time_ms: u64, keys: usize) -> TestNet {
        let admin = Arc::new(Keypair::new());
        let keys: Vec<Arc<Keypair>> = (0..keys).map(|_| Arc::new(Keypair::new())).collect();
        let funded: Vec<Pubkey> =
            std::iter::once(&admin).chain(&keys).map(|key| key.pubkey()).collect();
        let localnet = localnet(slot_time_ms, &funded);
        let client = Arc::new(IgnisClient::new(localnet.rpc_url()));
        let genesis = Genesis {
            decimals: 9,
            supply: 1_000_000 * IGN,
            token_program: token::TOKEN_PROGRAM_ID,
            orchestrator: admin.pubkey(),
            verifier: admin.pubkey(),
            params: Params::default(),
            emission: EmissionSchedule::default(),
        };
        let protocol = bootstrap::initialize_protocol(&client, &admin, genesis)
            .await
            .expect("protocol initialised");
        TestNet { localnet, client, admin, protocol, keys, dir: tempfile::tempdir().unwrap() }
    }

    pub fn key(&self, i: usize) -> Arc<Keypair> {
        self.keys[i].clone()
    }

    /// The IGN token account of `owner`.
    pub fn ata(&self, owner: &Pubkey) -> Pubkey {
        token::associated_account(owner, &self.protocol.mint, &self.protocol.token_program)
    }

    /// Sends `amount` base units of IGN from the admin's supply.
    pub async fn give_ign(&self, to: &Pubkey, amount: u64) {
        bootstrap::transfer_ign(&self.client, &self.protocol, &self.admin, to, amount)
            .await
            .expect("IGN sent");
    }

    /// IGN balance of `owner` (0 without a token account).
    pub async fn balance(&self, owner: &Pubkey) -> u64 {
        let data = self.client.account_data(&self.ata(owner)).await.unwrap();
        data.as_deref().and_then(token::balance_of).unwrap_or(0)
    }

    /// Gives `owner` IGN and stakes it (bonded from the next slot).
    pub async fn stake(&self, owner: &Keypair, amount: u64) {
        self.give_ign(&owner.pubkey(), amount).await;
        let stake = self.protocol.stake(owner.pubkey(), self.ata(&owner.pubkey()), amount);
        self.client.send(&[stake], &[owner]).await.expect("staked");
    }

    /// `key` written as a keypair file (Solana CLI format) for a binary to sign with.
    pub fn keypair_file(&self, key: &Keypair, name: &str) -> PathBuf {
        let file = self.dir.path().join(format!("{name}.json"));
        write_keypair_file(key, &file).unwrap();
        file
    }
}

/// Polls `check` every 100 ms until it returns `Some`, or fails the test with `what`
/// after `within`.
pub async fn until<T, F: Future<Output = Option<T>>>(
    what: &str,
    within: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let give_up = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < give_up, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
