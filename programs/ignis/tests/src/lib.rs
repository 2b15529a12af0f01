//! Harness for the program tests: a LiteSVM with `ignis` loaded natively, an
//! IGN mint whose authority is the emission PDA, and helpers to act as users.

use anchor_lang::{
    prelude::Pubkey, solana_program::instruction::Instruction, solana_program::program_pack::Pack,
    AccountDeserialize, Discriminator,
};
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use ignis::constants::SHARDS;
use ignis::{
    errors::IgnisError,
    instructions::PostJobArgs,
    state::{
        Config, EmissionSchedule, GpuInfo, Job, JobKind, Params, Ruling, Shard, Stake, Worker,
        WorkerSettings,
    },
};
use ignis_client::{
    instructions as ix,
    instructions::{settlement_slashes, Protocol},
    pda,
};
use litesvm::LiteSVM;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub mod economics;

pub const DECIMALS: u8 = 9;
pub const IGN: u64 = 1_000_000_000;
pub const GENESIS_SUPPLY: u64 = 1_000_000 * IGN;
pub const MIN_WORKER_STAKE: u64 = 100 * IGN;
pub const UNBONDING_SECONDS: i64 = 3_600;
/// 2026-11-22T00:00:00Z.
pub const START_TIME: i64 = 1_795_305_600;

/// Parameters the tests run with: round numbers so expected balances are easy to read.
pub fn test_params() -> Params {
    Params {
        min_worker_stake: MIN_WORKER_STAKE,
        unbonding_seconds: UNBONDING_SECONDS,
        miss_slash_bps: 1_000,  // 10%
        fraud_slash_bps: 5_000, // 50%
        protocol_fee_bps: 500,  // 5%
        max_execution_seconds: 600,
        max_job_ttl_seconds: 86_400,
        reveal_window_seconds: REVEAL_WINDOW,
        challenge_window_seconds: CHALLENGE_WINDOW,
        staker_emission_bps: 5_000,
        epoch_seconds: EPOCH_SECONDS,
        job_retention_seconds: JOB_RETENTION_SECONDS,
        orchestrator_timeout_seconds: ORCHESTRATOR_TIMEOUT_SECONDS,
        challenge_interval_seconds: CHALLENGE_INTERVAL,
        challenge_work_seconds: CHALLENGE_WORK,
        sla_compensation_bps: 5_000, // half the slash
        sla_min_uptime_bps: 9_000,
    }
}

/// The defaults' timing: a challenge every 10 minutes on average, 30 s of work, 60 s
/// to answer.
pub const CHALLENGE_INTERVAL: i64 = 600;
pub const CHALLENGE_WORK: i64 = 30;

pub const REVEAL_WINDOW: i64 = 120;
pub const CHALLENGE_WINDOW: i64 = 300;
pub const EPOCH_SECONDS: i64 = 3_600;
pub const JOB_RETENTION_SECONDS: i64 = 1_800;
pub const ORCHESTRATOR_TIMEOUT_SECONDS: i64 = 120;

/// No emission: tests of escrow and slashing see exact balances.
pub fn no_emission() -> EmissionSchedule {
    EmissionSchedule {
        start: 0,
        initial_rate: 0,
        halving_interval_seconds: 1,
        cap: 0,
        initial_work_rate: 0,
    }
}

pub struct User {
    pub key: Keypair,
    /// Its IGN token account.
    pub token: Pubkey,
}

impl User {
    pub fn pubkey(&self) -> Pubkey {
        self.key.pubkey()
    }
}

pub struct Env {
    pub svm: LiteSVM,
    /// Data of every inner instruction of the last successful transaction.
    pub last_inner_data: Vec<Vec<u8>>,
    /// Log messages of the last transaction, failed or not.
    pub last_logs: Vec<String>,
    pub admin: User,
    pub orchestrator: Keypair,
    pub verifier: Keypair,
    pub protocol: Protocol,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    /// A chain with IGN on classic SPL Token and the protocol initialised.
    pub fn new() -> Self {
        Self::with_token_program(spl_token::ID)
    }

    pub fn with_token_program(token_program: Pubkey) -> Self {
        Self::with(token_program, no_emission())
    }

    /// A chain whose protocol emits IGN on `schedule`.
    pub fn with_emission(schedule: EmissionSchedule) -> Self {
        Self::with(spl_token::ID, schedule)
    }

    pub fn with(token_program: Pubkey, schedule: EmissionSchedule) -> Self {
        Self::with_params(token_program, test_params(), schedule)
    }

    /// A chain initialised with `params` and `schedule`.
    pub fn with_params(token_program: Pubkey, params: Params, schedule: EmissionSchedule) -> Self {
        let mut env = Self::uninitialized(token_program);
        let init = env.protocol.initialize(
            env.admin.pubkey(),
            params,
            schedule,
            env.orchestrator.pubkey(),
            env.verifier.pubkey(),
        );
        let admin = env.admin.key.insecure_clone();
        env.send(&[init], &[&admin]).expect("initialize");
        env.init_shards();
        if schedule.initial_rate > 0 {
            env.crank(env.protocol.mint_emission()).expect("first mint_emission");
        }
        env
    }

    /// A chain with the IGN mint (mint authority: the admin, who hands it over in
    /// `initialize`) but no `initialize` yet.
    pub fn uninitialized(token_program: Pubkey) -> Self {
        let mut svm = ignis_localnet::ignis_svm();
        // LiteSVM's clock starts at 0; start from a real date so time arithmetic is real.
        let mut clock = svm.get_sysvar::<anchor_lang::prelude::Clock>();
        clock.unix_timestamp = START_TIME;
        svm.set_sysvar(&clock);
        let (admin, orchestrator) = (Keypair::new(), Keypair::new());
        svm.airdrop(&admin.pubkey(), 100_000_000_000).unwrap();
        svm.airdrop(&orchestrator.pubkey(), 10_000_000_000).unwrap();
        let verifier = Keypair::new();
        svm.airdrop(&verifier.pubkey(), 10_000_000_000).unwrap();
        let mint = create_mint(&mut svm, &admin, token_program, &admin.pubkey(), None);
        let admin_token =
            create_token_account(&mut svm, &admin, token_program, &mint, &admin.pubkey());
        mint_to(&mut svm, &admin, token_program, &mint, &admin_token, GENESIS_SUPPLY);
        Env {
            svm,
            last_inner_data: Vec::new(),
            last_logs: Vec::new(),
            admin: User { key: admin, token: admin_token },
            orchestrator,
            verifier,
            protocol: Protocol::new(mint, token_program),
        }
    }

    /// Creates every shard, as the deploy does after `initialize`.
    pub fn init_shards(&mut self) {
        let admin = self.admin.key.insecure_clone();
        for index in 0..SHARDS {
            let ix = self.protocol.init_shard(admin.pubkey(), index);
            self.send(&[ix], &[&admin]).expect("init_shard");
        }
    }

    pub fn mint(&self) -> Pubkey {
        self.protocol.mint
    }

    /// Sends one transaction paid by the first signer. Every transaction gets a fresh
    /// blockhash so identical instructions can be sent twice.
    pub fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(), TransactionError> {
        self.svm.expire_blockhash();
        let tx = Transaction::new_signed_with_payer(
            ixs,
            Some(&signers[0].pubkey()),
            signers,
            self.svm.latest_blockhash(),
        );
        let meta = match self.svm.send_transaction(tx) {
            Ok(meta) => meta,
            Err(failed) => {
                self.last_logs = failed.meta.logs;
                return Err(failed.err);
            }
        };
        self.last_logs = meta.logs.clone();
        self.last_inner_data = meta
            .inner_instructions
            .iter()
            .flatten()
            .map(|inner| inner.instruction.data.clone())
            .collect();
        Ok(())
    }

    /// Events of type `T` emitted by the last successful transaction.
    pub fn events<T>(&self) -> Vec<T>
    where
        T: anchor_lang::Event + Discriminator + anchor_lang::AnchorDeserialize,
    {
        self.last_inner_data
            .iter()
            .filter_map(|data| ignis_client::events::decode_cpi_event(data))
            .collect()
    }

    /// A funded user with `ign` base units of IGN from the admin's genesis supply.
    pub fn user(&mut self, ign: u64) -> User {
        self.user_with_key(Keypair::new(), ign)
    }

    /// Like [`Env::user`] with a given key (for reproducible random tests).
    pub fn user_with_key(&mut self, key: Keypair, ign: u64) -> User {
        self.svm.airdrop(&key.pubkey(), 10_000_000_000).unwrap();
        let token = create_token_account(
            &mut self.svm,
            &key,
            self.protocol.token_program,
            &self.protocol.mint,
            &key.pubkey(),
        );
        if ign > 0 {
            let treasury = self.admin.token;
            self.transfer(&treasury, &token, ign);
        }
        User { key, token }
    }

    /// Moves tokens out of the admin's treasury.
    pub fn transfer(&mut self, from: &Pubkey, to: &Pubkey, amount: u64) {
        let ix = transfer_checked_ix(
            self.protocol.token_program,
            from,
            &self.protocol.mint,
            to,
            &self.admin.pubkey(),
            amount,
        );
        let admin = self.admin.key.insecure_clone();
        self.send(&[ix], &[&admin]).expect("treasury transfer");
    }

    pub fn balance(&self, token_account: &Pubkey) -> u64 {
        let account = self.svm.get_account(token_account).expect("token account exists");
        // The base layout is the same for both token programs.
        spl_token::state::Account::unpack_from_slice(
            &account.data[..spl_token::state::Account::LEN],
        )
        .unwrap()
        .amount
    }

    pub fn supply(&self) -> u64 {
        let account = self.svm.get_account(&self.protocol.mint).unwrap();
        spl_token::state::Mint::unpack_from_slice(&account.data[..spl_token::state::Mint::LEN])
            .unwrap()
            .supply
    }

    pub fn vaults(&self) -> Vaults {
        Vaults {
            stake: self.balance(&pda::stake_vault()),
            shards: (0..SHARDS).map(|i| self.balance(&pda::shard_vault(i))).sum(),
            reward: self.balance(&pda::reward_vault()),
        }
    }

    pub fn account<T: AccountDeserialize + Discriminator>(&self, address: &Pubkey) -> Option<T> {
        let account = self.svm.get_account(address)?;
        if account.data.is_empty() {
            return None;
        }
        Some(ignis_client::accounts::decode(&account.data).expect("decodes"))
    }

    pub fn config(&self) -> Config {
        self.account(&pda::config()).expect("config exists")
    }

    pub fn shard(&self, index: u8) -> Shard {
        self.account(&pda::shard(index)).expect("shard exists")
    }

    pub fn shards(&self) -> Vec<Shard> {
        (0..SHARDS).map(|index| self.shard(index)).collect()
    }

    /// The jobs' running totals over every shard.
    pub fn shard_totals(&self) -> ignis_client::accounts::ShardTotals {
        ignis_client::accounts::ShardTotals::sum(&self.shards())
    }

    /// Every stake account on the chain.
    pub fn stakes(&self) -> Vec<Stake> {
        let addresses: Vec<Pubkey> = self.svm.accounts_db().inner.keys().copied().collect();
        addresses
            .iter()
            .filter_map(|address| self.svm.get_account(address))
            .filter(|a| a.owner == ignis::ID && a.data.starts_with(Stake::DISCRIMINATOR))
            .map(|a| ignis_client::accounts::decode(&a.data).expect("decodes"))
            .collect()
    }

    /// What the orchestrator's crank does: mints emission when due, then syncs every
    /// shard (fees to stakers, work pools topped up, work units reported).
    pub fn sync(&mut self) {
        if self.config().emission_to_mint(self.now()) > 0 {
            self.crank(self.protocol.mint_emission()).expect("mint_emission");
        }
        for index in 0..SHARDS {
            self.crank(self.protocol.sync_shard(index)).expect("sync_shard");
        }
    }

    pub fn job(&self, id: u64) -> Job {
        self.account(&pda::job(id)).expect("job exists")
    }

    pub fn worker(&self, operator: &Pubkey) -> Option<Worker> {
        self.account(&pda::worker(operator))
    }

    pub fn stake_of(&self, owner: &Pubkey) -> Stake {
        self.account(&pda::stake(owner)).expect("stake exists")
    }

    pub fn now(&self) -> i64 {
        self.svm.get_sysvar::<anchor_lang::prelude::Clock>().unix_timestamp
    }

    /// Moves to the next slot without moving the clock (a deposit bonds in a later slot).
    pub fn next_slot(&mut self) {
        let mut clock = self.svm.get_sysvar::<anchor_lang::prelude::Clock>();
        clock.slot += 1;
        self.svm.set_sysvar(&clock);
        self.set_slot_hash(clock.slot);
    }

    /// Moves the clock forward by `seconds` (and a slot, so the bank moves on).
    pub fn warp(&mut self, seconds: i64) {
        let mut clock = self.svm.get_sysvar::<anchor_lang::prelude::Clock>();
        clock.unix_timestamp += seconds;
        clock.slot += 1;
        self.svm.set_sysvar(&clock);
        self.set_slot_hash(clock.slot);
    }

    /// LiteSVM sets `SlotHashes` once and never again: give each new slot the hash of
    /// its predecessor, as a validator does (here a digest of the slot number).
    fn set_slot_hash(&mut self, slot: u64) {
        use sha2::Digest;
        let hash: [u8; 32] = sha2::Sha256::digest(slot.wrapping_sub(1).to_le_bytes()).into();
        self.svm.set_sysvar(&anchor_lang::prelude::SlotHashes::new(&[(
            slot.wrapping_sub(1),
            solana_hash::Hash::new_from_array(hash),
        )]));
    }

    /// The newest entry of `SlotHashes`: what a challenge drawn now is drawn from.
    pub fn newest_slot_hash(&self) -> [u8; 32] {
        let data = self.svm.get_account(&ignis::constants::SLOT_HASHES_SYSVAR).unwrap().data;
        ignis::pow::newest_slot_hash(&data).expect("a slot hash").1
    }

    /// Each vault holds exactly what the config and the shards say it owes, and no
    /// token exists that the emission schedule did not release. Every test ends with
    /// this.
    #[track_caller]
    pub fn assert_reconciled(&self) {
        let config = self.config();
        let (totals, rewards) = (config.totals, config.rewards);
        let vaults = self.vaults();
        assert_eq!(
            vaults.stake,
            totals.staked + totals.unbonding + totals.activating,
            "stake vault vs stakes"
        );
        for (index, shard) in self.shards().iter().enumerate() {
            assert_eq!(
                self.balance(&pda::shard_vault(index as u8)),
                shard.vault_owes().unwrap(),
                "shard {index}'s vault vs its escrow, fees and work pool"
            );
            assert_eq!(shard.work_pool, shard.work_allotted - shard.work_paid, "shard {index}");
        }
        let shards = self.shards();
        let allotted: u64 = shards.iter().map(|s| s.work_allotted).sum();
        assert_eq!(allotted, rewards.work_allotted, "shards' work pools vs allotted");
        let claimed: u64 = self.stakes().iter().map(|s| s.claimed_total).sum();
        assert_eq!(
            vaults.reward,
            rewards.minted + totals.fees + totals.slashed
                - rewards.work_allotted
                - rewards.claimed_closed
                - claimed,
            "reward vault vs minted, fees and slashes less allotted work pay and claims"
        );
        assert_eq!(
            rewards.work_into_pool,
            rewards.work_pool + rewards.work_allotted,
            "work pool in vs unallotted and allotted"
        );
        assert_eq!(self.supply(), GENESIS_SUPPLY + rewards.minted, "tokens only from emission");
        assert!(rewards.accrued <= rewards.minted, "accrued no more than minted");
        let released = config.emission.emitted_after(self.now() - config.emission.start);
        assert!(rewards.accrued <= released, "accrued no more than the schedule allows");
    }

    // ---- protocol actions that tests chain together --------------------------------

    /// Deposits `amount` as stake: it is bonded from the next slot on.
    pub fn deposit(&mut self, user: &User, amount: u64) -> Result<(), TransactionError> {
        let ix = self.protocol.stake(user.pubkey(), user.token, amount);
        self.send(&[ix], &[&user.key])
    }

    /// Deposits `amount` and bonds it in the next slot once the crank has synced every
    /// shard, as the orchestrator's crank does.
    pub fn stake(&mut self, user: &User, amount: u64) -> Result<(), TransactionError> {
        self.deposit(user, amount)?;
        self.next_slot();
        self.sync();
        self.crank(ix::activate_stake(user.pubkey()))
    }

    /// A user with `MIN_WORKER_STAKE` staked and a registered PoW worker.
    pub fn worker_operator(&mut self) -> User {
        let user = self.user(MIN_WORKER_STAKE);
        self.stake(&user, MIN_WORKER_STAKE).expect("stake");
        self.send(&[ix::register_worker(user.pubkey(), worker_settings())], &[&user.key])
            .expect("register worker");
        user
    }

    pub fn post_pow(
        &mut self,
        poster: &User,
        difficulty: u8,
        reward: u64,
    ) -> Result<u64, TransactionError> {
        let args = PostJobArgs { kind: JobKind::Pow { difficulty }, reward, ..self.job_args() };
        self.post(poster, args)
    }

    /// Arguments for a PoW job with the next id; tests override what they exercise.
    pub fn job_args(&self) -> PostJobArgs {
        PostJobArgs {
            job_id: self.shards().iter().map(|s| s.jobs_posted).sum(),
            kind: JobKind::Pow { difficulty: 8 },
            client_seed: [7; 32],
            reward: 10 * IGN,
            replicas: 1,
            execution_seconds: 300,
            ttl_seconds: 3_600,
        }
    }

    pub fn post(&mut self, poster: &User, args: PostJobArgs) -> Result<u64, TransactionError> {
        let ix = self.protocol.post_job(poster.pubkey(), poster.token, args);
        self.send(&[ix], &[&poster.key]).map(|()| args.job_id)
    }

    pub fn assign(&mut self, job_id: u64, operator: &Pubkey) -> Result<(), TransactionError> {
        let orchestrator = self.orchestrator.insecure_clone();
        self.send(&[ix::assign_job(orchestrator.pubkey(), job_id, *operator)], &[&orchestrator])
    }

    pub fn submit_pow(
        &mut self,
        operator: &User,
        job_id: u64,
        nonce: u64,
    ) -> Result<(), TransactionError> {
        let ix = self.protocol.submit_pow(operator.pubkey(), job_id, operator.token, nonce);
        self.send(&[ix], &[&operator.key])
    }

    /// Sends with a throwaway fee payer: for permissionless cranks.
    pub fn crank(&mut self, ix: Instruction) -> Result<(), TransactionError> {
        let payer = Keypair::new();
        self.svm.airdrop(&payer.pubkey(), 1_000_000_000).unwrap();
        self.send(&[ix], &[&payer])
    }
}

impl Env {
    /// What `users` hold together: tokens and stake in every state (bonded,
    /// activating, unbonding), staking rewards not counted.
    pub fn holdings(&self, users: &[&User]) -> i128 {
        users
            .iter()
            .map(|u| {
                let stake = self.account::<Stake>(&pda::stake(&u.pubkey()));
                let staked =
                    stake.map_or(0, |s| s.amount + s.activating_amount + s.unbonding_amount);
                i128::from(self.balance(&u.token)) + i128::from(staked)
            })
            .sum()
    }

    /// Staking rewards `users` claimed or can claim (at the stored accumulator).
    pub fn staking_income(&self, users: &[&User]) -> i128 {
        let rps = self.config().rewards.reward_per_share;
        users
            .iter()
            .filter_map(|u| self.account::<Stake>(&pda::stake(&u.pubkey())))
            .map(|s| i128::from(s.claimed_total) + i128::from(s.claimable(rps).unwrap_or(0)))
            .sum()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vaults {
    pub stake: u64,
    /// Every shard vault together: escrow, fees not yet swept and the shards' work pools.
    pub shards: u64,
    pub reward: u64,
}

pub fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        gpu: GpuInfo {
            model: "NVIDIA H100 80GB HBM3".into(),
            vram_mb: 81_559,
            compute_capability: 90,
        },
        supported_kernels: 1 << ignis::constants::KERNEL_POW_SHA256,
        hashrate: 12_000_000_000,
        min_price: IGN,
        max_concurrent_jobs: 2,
        accepting_jobs: true,
    }
}

/// Searches nonces from 0 for one that meets `difficulty` for this worker.
pub fn find_nonce(seed: &[u8; 32], worker: &Pubkey, difficulty: u8) -> u64 {
    ignis::pow::search_nonce(seed, worker, difficulty, 0, u64::MAX).expect("a nonce exists")
}

/// Searches for a nonce that does NOT meet `difficulty`.
pub fn find_bad_nonce(seed: &[u8; 32], worker: &Pubkey, difficulty: u8) -> u64 {
    (0u64..)
        .find(|nonce| {
            !ignis::pow::meets_difficulty(&ignis::pow::pow_hash(seed, worker, *nonce), difficulty)
        })
        .unwrap()
}

// ---- assertions -------------------------------------------------------------------

/// The transaction failed in some instruction with this program error.
#[track_caller]
pub fn assert_ignis_err(result: Result<(), TransactionError>, expected: IgnisError) {
    assert_custom_err(result, u32::from(expected), &format!("{expected:?}"));
}

/// The transaction failed with one of Anchor's own errors (constraints, accounts).
#[track_caller]
pub fn assert_anchor_err(
    result: Result<(), TransactionError>,
    expected: anchor_lang::error::ErrorCode,
) {
    assert_custom_err(result, u32::from(expected), &format!("{expected:?}"));
}

#[track_caller]
pub fn assert_custom_err(result: Result<(), TransactionError>, code: u32, name: &str) {
    match result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(got)))
            if got == code => {}
        other => panic!("expected {name} ({code}), got {other:?}"),
    }
}

/// The transaction failed inside the SPL Token program (e.g. insufficient funds).
#[track_caller]
pub fn assert_token_err(
    result: Result<(), TransactionError>,
    expected: spl_token::error::TokenError,
) {
    let name = format!("{expected:?}");
    assert_custom_err(result, expected as u32, &name);
}

// ---- raw SPL Token plumbing (the tests' own, independent of the client) -----------

pub fn create_mint(
    svm: &mut LiteSVM,
    payer: &Keypair,
    token_program: Pubkey,
    authority: &Pubkey,
    freeze_authority: Option<&Pubkey>,
) -> Pubkey {
    let mint = Keypair::new();
    let space = spl_token::state::Mint::LEN;
    let rent = svm.minimum_balance_for_rent_exemption(space);
    let create = solana_system_interface::instruction::create_account(
        &payer.pubkey(),
        &mint.pubkey(),
        rent,
        space as u64,
        &token_program,
    );
    let init = if token_program == spl_token::ID {
        spl_token::instruction::initialize_mint2(
            &token_program,
            &mint.pubkey(),
            authority,
            freeze_authority,
            DECIMALS,
        )
    } else {
        spl_token_2022::instruction::initialize_mint2(
            &token_program,
            &mint.pubkey(),
            authority,
            freeze_authority,
            DECIMALS,
        )
    }
    .unwrap();
    send_raw(svm, &[create, init], &[payer, &mint]);
    mint.pubkey()
}

pub fn create_token_account(
    svm: &mut LiteSVM,
    payer: &Keypair,
    token_program: Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Pubkey {
    let account = Keypair::new();
    let space = spl_token::state::Account::LEN;
    let rent = svm.minimum_balance_for_rent_exemption(space);
    let create = solana_system_interface::instruction::create_account(
        &payer.pubkey(),
        &account.pubkey(),
        rent,
        space as u64,
        &token_program,
    );
    let init = if token_program == spl_token::ID {
        spl_token::instruction::initialize_account3(&token_program, &account.pubkey(), mint, owner)
    } else {
        spl_token_2022::instruction::initialize_account3(
            &token_program,
            &account.pubkey(),
            mint,
            owner,
        )
    }
    .unwrap();
    send_raw(svm, &[create, init], &[payer, &account]);
    account.pubkey()
}

pub fn mint_to(
    svm: &mut LiteSVM,
    authority: &Keypair,
    token_program: Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    amount: u64,
) {
    let ix = if token_program == spl_token::ID {
        spl_token::instruction::mint_to(&token_program, mint, to, &authority.pubkey(), &[], amount)
    } else {
        spl_token_2022::instruction::mint_to(
            &token_program,
            mint,
            to,
            &authority.pubkey(),
            &[],
            amount,
        )
    }
    .unwrap();
    send_raw(svm, &[ix], &[authority]);
}

pub fn set_mint_authority(
    svm: &mut LiteSVM,
    authority: &Keypair,
    token_program: Pubkey,
    mint: &Pubkey,
    new_authority: Option<&Pubkey>,
) {
    let ix = if token_program == spl_token::ID {
        spl_token::instruction::set_authority(
            &token_program,
            mint,
            new_authority,
            spl_token::instruction::AuthorityType::MintTokens,
            &authority.pubkey(),
            &[],
        )
    } else {
        spl_token_2022::instruction::set_authority(
            &token_program,
            mint,
            new_authority,
            spl_token_2022::instruction::AuthorityType::MintTokens,
            &authority.pubkey(),
            &[],
        )
    }
    .unwrap();
    send_raw(svm, &[ix], &[authority]);
}

pub fn transfer_checked_ix(
    token_program: Pubkey,
    from: &Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    authority: &Pubkey,
    amount: u64,
) -> Instruction {
    ignis_client::token::transfer(&token_program, from, mint, to, authority, amount, DECIMALS)
}

pub fn send_raw(svm: &mut LiteSVM, ixs: &[Instruction], signers: &[&Keypair]) {
    svm.expire_blockhash();
    let tx = Transaction::new_signed_with_payer(
        ixs,
        Some(&signers[0].pubkey()),
        signers,
        svm.latest_blockhash(),
    );
    svm.send_transaction(tx).expect("raw token transaction");
}

// ---- kernel jobs ----------------------------------------------------------------------

/// A PoW-and-matmul worker with 80 GB of memory.
pub fn kernel_worker_settings() -> WorkerSettings {
    WorkerSettings {
        supported_kernels: (1 << ignis::constants::KERNEL_POW_SHA256)
            | (1 << ignis::constants::KERNEL_MATMUL_U32),
        max_concurrent_jobs: 4,
        ..worker_settings()
    }
}

/// The reference `matmul-u32` result: naive triple loop over the specified inputs,
/// sha256 of the output, row-major little-endian.
pub fn matmul_result_hash(seed: &[u8; 32], n: u32) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let n = n as usize;
    let a: Vec<u32> = (0..n * n).map(|i| ignis::kernels::matmul_input(seed, 0, i as u64)).collect();
    let b: Vec<u32> = (0..n * n).map(|i| ignis::kernels::matmul_input(seed, 1, i as u64)).collect();
    let mut hasher = Sha256::new();
    for row in 0..n {
        for col in 0..n {
            let mut acc = 0u32;
            for k in 0..n {
                acc = acc.wrapping_add(a[row * n + k].wrapping_mul(b[k * n + col]));
            }
            hasher.update(acc.to_le_bytes());
        }
    }
    hasher.finalize().into()
}

impl Env {
    /// A registered worker that also runs matmul.
    pub fn kernel_operator(&mut self) -> User {
        let user = self.worker_operator();
        let ix = ix::update_worker(user.pubkey(), kernel_worker_settings());
        self.send(&[ix], &[&user.key]).expect("update worker");
        user
    }

    pub fn post_matmul(
        &mut self,
        poster: &User,
        n: u32,
        replicas: u8,
        reward: u64,
    ) -> Result<u64, TransactionError> {
        let args = PostJobArgs {
            kind: JobKind::Kernel { kernel: ignis::constants::KERNEL_MATMUL_U32, size: n },
            replicas,
            reward,
            ..self.job_args()
        };
        self.post(poster, args)
    }

    pub fn commit(
        &mut self,
        operator: &User,
        job_id: u64,
        result_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Result<(), TransactionError> {
        let commitment = ignis::kernels::result_commitment(
            &result_hash,
            &salt,
            &pda::worker(&operator.pubkey()),
        );
        self.send(&[ix::commit_result(operator.pubkey(), job_id, commitment)], &[&operator.key])
    }

    pub fn reveal(
        &mut self,
        operator: &User,
        job_id: u64,
        result_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Result<(), TransactionError> {
        self.send(
            &[ix::reveal_result(operator.pubkey(), job_id, result_hash, salt)],
            &[&operator.key],
        )
    }

    /// Finalizes with every live replica's accounts, in assignment order.
    pub fn finalize(&mut self, job_id: u64, operators: &[&User]) -> Result<(), TransactionError> {
        let replicas: Vec<_> = operators.iter().map(|op| (op.pubkey(), op.token)).collect();
        let slashing = settlement_slashes(&self.job(job_id), Ruling::Unverified);
        self.crank(self.protocol.finalize_job(job_id, &replicas, slashing))
    }

    /// The verifier attests or disputes a single-replica job's revealed result.
    pub fn verify(
        &mut self,
        job_id: u64,
        operator: &User,
        correct: bool,
    ) -> Result<(), TransactionError> {
        let revealed = self.job(job_id).assignments[0].result_hash;
        self.rule(job_id, &[operator], correct.then_some(revealed))
    }

    /// The verifier attests `attested` (or, with `None`, disputes every revealed result)
    /// with every live replica's accounts, in assignment order.
    pub fn rule(
        &mut self,
        job_id: u64,
        operators: &[&User],
        attested: Option<[u8; 32]>,
    ) -> Result<(), TransactionError> {
        let verifier = self.verifier.insecure_clone();
        let replicas: Vec<_> = operators.iter().map(|op| (op.pubkey(), op.token)).collect();
        let ruling = attested.map_or(Ruling::Disputed, Ruling::Attested);
        let slashing = settlement_slashes(&self.job(job_id), ruling);
        let ix =
            self.protocol.verify_result(verifier.pubkey(), job_id, &replicas, attested, slashing);
        self.send(&[ix], &[&verifier])
    }
}
