//! initialize, update_params, set_authorities, set_paused.

use anchor_spl::{token::spl_token, token_2022::spl_token_2022};
use ignis::{
    constants::SHARDS,
    errors::IgnisError,
    state::{EmissionSchedule, Params},
};
use ignis_client::{instructions as ix, pda};
use ignis_program_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[test]
fn initialize_records_config_and_creates_three_empty_vaults() {
    let env = Env::new();
    let config = env.config();
    assert_eq!(config.admin, env.admin.pubkey());
    assert_eq!(config.orchestrator, env.orchestrator.pubkey());
    assert_eq!(config.verifier, env.verifier.pubkey());
    assert_eq!(config.mint, env.mint());
    assert_eq!(config.token_program, spl_token::ID);
    assert_eq!(config.genesis_supply, GENESIS_SUPPLY);
    assert_eq!(config.params, test_params());
    assert_eq!(config.decimals, DECIMALS);
    assert!(!config.paused);
    for (vault, stored) in
        [(pda::stake_vault(), config.stake_vault), (pda::reward_vault(), config.reward_vault)]
            .into_iter()
            .chain((0..SHARDS).map(|i| (pda::shard_vault(i), env.shard(i).vault)))
    {
        assert_eq!(vault, stored);
        let account = env.svm.get_account(&vault).unwrap();
        assert_eq!(account.owner, spl_token::ID);
        let state =
            <spl_token::state::Account as anchor_lang::solana_program::program_pack::Pack>::unpack(
                &account.data,
            )
            .unwrap();
        assert_eq!(state.owner, pda::config(), "the config PDA owns every vault");
        assert_eq!(state.mint, env.mint());
        assert_eq!(state.amount, 0);
    }
    assert_eq!(env.balance(&env.admin.token), GENESIS_SUPPLY);
    env.assert_reconciled();
}

#[test]
fn shards_are_created_once_each_and_only_sixteen() {
    let mut env = Env::new();
    let payer = env.user(0);
    env.svm.airdrop(&payer.pubkey(), 1_000_000_000).unwrap();
    let again = env.protocol.init_shard(payer.pubkey(), 3);
    assert!(env.send(&[again], &[&payer.key]).is_err(), "shard 3 exists already");
    let beyond = env.protocol.init_shard(payer.pubkey(), SHARDS);
    assert_ignis_err(env.send(&[beyond], &[&payer.key]), IgnisError::InvalidShardIndex);
    for index in 0..SHARDS {
        let shard = env.shard(index);
        assert_eq!((shard.index, shard.vault), (index, pda::shard_vault(index)));
    }
    env.assert_reconciled();
}

#[test]
fn initialize_works_with_a_token_2022_mint() {
    let mut env = Env::with_token_program(spl_token_2022::ID);
    assert_eq!(env.config().token_program, spl_token_2022::ID);
    let user = env.user(50 * IGN);
    env.stake(&user, 20 * IGN).unwrap();
    assert_eq!(env.balance(&user.token), 30 * IGN);
    assert_eq!(env.vaults().stake, 20 * IGN);
    env.assert_reconciled();
}

#[test]
fn initialize_twice_fails() {
    let mut env = Env::new();
    let again = env.protocol.initialize(
        env.admin.pubkey(),
        test_params(),
        no_emission(),
        Keypair::new().pubkey(),
        Keypair::new().pubkey(),
    );
    let admin = env.admin.key.insecure_clone();
    assert!(env.send(&[again], &[&admin]).is_err());
    assert_eq!(env.config().orchestrator, env.orchestrator.pubkey(), "config untouched");
}

#[test]
fn only_the_mint_authority_can_initialize_and_it_hands_the_mint_over_in_the_same_instruction() {
    // The attack: between the deployer's mint-authority handover and its `initialize`,
    // anyone could initialize with their own orchestrator, verifier and schedule. Now
    // the handover happens inside `initialize`, which the mint authority must sign.
    let mut env = Env::uninitialized(spl_token::ID);
    let attacker = env.user(0);
    let sol_before = env.svm.get_balance(&attacker.pubkey()).unwrap();
    let hostile = env.protocol.initialize(
        attacker.pubkey(),
        test_params(),
        no_emission(),
        attacker.pubkey(),
        attacker.pubkey(),
    );
    assert_ignis_err(env.send(&[hostile], &[&attacker.key]), IgnisError::NotMintAuthority);
    assert!(env.svm.get_account(&pda::config()).is_none_or(|a| a.data.is_empty()), "no config");
    assert_eq!(env.balance(&attacker.token), 0, "attacker net: 0 IGN");
    assert!(env.svm.get_balance(&attacker.pubkey()).unwrap() <= sol_before, "and only fees spent");

    // The real deployer, who holds the mint authority, initializes; the protocol now
    // holds the authority and nobody else can mint.
    let admin = env.admin.key.insecure_clone();
    let init = env.protocol.initialize(
        admin.pubkey(),
        test_params(),
        no_emission(),
        admin.pubkey(),
        admin.pubkey(),
    );
    env.send(&[init], &[&admin]).unwrap();
    let mint = env.svm.get_account(&env.mint()).unwrap();
    let mint = <spl_token::state::Mint as anchor_lang::solana_program::program_pack::Pack>::unpack(
        &mint.data,
    )
    .unwrap();
    assert_eq!(
        mint.mint_authority,
        anchor_lang::solana_program::program_option::COption::Some(pda::emission())
    );
    env.init_shards();
    env.assert_reconciled();
}

#[test]
fn initialize_rejects_a_mint_with_a_freeze_authority() {
    let mut env = Env::uninitialized(spl_token::ID);
    let admin = env.admin.key.insecure_clone();
    let mint =
        create_mint(&mut env.svm, &admin, spl_token::ID, &admin.pubkey(), Some(&admin.pubkey()));
    let mut protocol = env.protocol;
    protocol.mint = mint;
    let init = protocol.initialize(
        admin.pubkey(),
        test_params(),
        no_emission(),
        admin.pubkey(),
        admin.pubkey(),
    );
    assert_ignis_err(env.send(&[init], &[&admin]), IgnisError::MintHasFreezeAuthority);
}

#[test]
fn initialize_rejects_token_2022_mints_whose_extensions_could_move_vault_tokens() {
    use spl_token_2022::extension::ExtensionType;
    // A permanent delegate could transfer out of every vault; a transfer fee would skim
    // every deposit and payout; a hook could block them.
    let mut env = Env::uninitialized(spl_token_2022::ID);
    let admin = env.admin.key.insecure_clone();
    for extension in [
        ExtensionType::PermanentDelegate,
        ExtensionType::TransferFeeConfig,
        ExtensionType::TransferHook,
    ] {
        let mint = Keypair::new();
        let space =
            ExtensionType::try_calculate_account_len::<spl_token_2022::state::Mint>(&[extension])
                .unwrap();
        let rent = env.svm.minimum_balance_for_rent_exemption(space);
        let create = solana_system_interface::instruction::create_account(
            &admin.pubkey(),
            &mint.pubkey(),
            rent,
            space as u64,
            &spl_token_2022::ID,
        );
        let id = spl_token_2022::ID;
        let init_extension = match extension {
            ExtensionType::PermanentDelegate => {
                spl_token_2022::instruction::initialize_permanent_delegate(&id, &mint.pubkey(), &admin.pubkey()).unwrap()
            }
            ExtensionType::TransferFeeConfig => {
                spl_token_2022::extension::transfer_fee::instruction::initialize_transfer_fee_config(
                    &id,
                    &mint.pubkey(),
                    Some(&admin.pubkey()),
                    Some(&admin.pubkey()),
                    100,
                    u64::MAX,
                )
                .unwrap()
            }
            _ => spl_token_2022::extension::transfer_hook::instruction::initialize(
                &id,
                &mint.pubkey(),
                Some(admin.pubkey()),
                Some(Keypair::new().pubkey()),
            )
            .unwrap(),
        };
        let init_mint = spl_token_2022::instruction::initialize_mint2(
            &id,
            &mint.pubkey(),
            &admin.pubkey(),
            None,
            DECIMALS,
        )
        .unwrap();
        send_raw(&mut env.svm, &[create, init_extension, init_mint], &[&admin, &mint]);
        let mut protocol = env.protocol;
        protocol.mint = mint.pubkey();
        let init = protocol.initialize(
            admin.pubkey(),
            test_params(),
            no_emission(),
            admin.pubkey(),
            admin.pubkey(),
        );
        assert_ignis_err(env.send(&[init], &[&admin]), IgnisError::MintExtensionNotAllowed);
        assert!(
            env.svm.get_account(&pda::config()).is_none_or(|a| a.data.is_empty()),
            "{extension:?}: no config"
        );
    }
}

#[test]
fn initialize_validates_params() {
    let cases: [(Params, IgnisError); 8] = [
        (Params { miss_slash_bps: 10_001, ..test_params() }, IgnisError::InvalidSlashRate),
        (Params { fraud_slash_bps: u16::MAX, ..test_params() }, IgnisError::InvalidSlashRate),
        // Withholding a wrong result must not be cheaper than missing.
        (
            Params { miss_slash_bps: 2_000, fraud_slash_bps: 1_000, ..test_params() },
            IgnisError::InvalidSlashRate,
        ),
        (Params { protocol_fee_bps: 10_000, ..test_params() }, IgnisError::InvalidProtocolFee),
        // No fee would make self-dealing free; a huge one is a trap for workers.
        (Params { protocol_fee_bps: 0, ..test_params() }, IgnisError::InvalidProtocolFee),
        (Params { protocol_fee_bps: 2_001, ..test_params() }, IgnisError::InvalidProtocolFee),
        (Params { unbonding_seconds: -1, ..test_params() }, IgnisError::InvalidUnbondingPeriod),
        (Params { max_execution_seconds: 1, ..test_params() }, IgnisError::InvalidExecutionWindow),
    ];
    for (params, expected) in cases {
        let mut env = Env::uninitialized(spl_token::ID);
        let admin = env.admin.key.insecure_clone();
        let init = env.protocol.initialize(
            admin.pubkey(),
            params,
            no_emission(),
            admin.pubkey(),
            admin.pubkey(),
        );
        assert_ignis_err(env.send(&[init], &[&admin]), expected);
    }
    let mut env = Env::uninitialized(spl_token::ID);
    let admin = env.admin.key.insecure_clone();
    let params = Params { max_job_ttl_seconds: 0, ..test_params() };
    let init = env.protocol.initialize(
        admin.pubkey(),
        params,
        no_emission(),
        admin.pubkey(),
        admin.pubkey(),
    );
    assert_ignis_err(env.send(&[init], &[&admin]), IgnisError::InvalidJobTtl);

    // Emission is bounded: minting can never overflow the mint, and the first halving
    // interval cannot release more than the cap.
    let unbounded = EmissionSchedule {
        start: 0,
        initial_rate: 1,
        halving_interval_seconds: 1,
        cap: u64::MAX,
        initial_work_rate: 0,
    };
    let front_loaded = EmissionSchedule {
        start: 0,
        initial_rate: IGN,
        halving_interval_seconds: 1_000,
        cap: IGN,
        initial_work_rate: 0,
    };
    for schedule in [unbounded, front_loaded] {
        let init = env.protocol.initialize(
            admin.pubkey(),
            test_params(),
            schedule,
            admin.pubkey(),
            admin.pubkey(),
        );
        assert_ignis_err(env.send(&[init], &[&admin]), IgnisError::InvalidEmissionSchedule);
    }
}

#[test]
fn update_params_by_admin_only_and_validated() {
    let mut env = Env::new();
    let admin = env.admin.key.insecure_clone();
    let new = Params { protocol_fee_bps: 100, min_worker_stake: 5 * IGN, ..test_params() };
    env.send(&[ix::update_params(admin.pubkey(), new)], &[&admin]).unwrap();
    assert_eq!(env.config().params, new);

    let intruder = env.user(0);
    let hostile = Params { protocol_fee_bps: 9_999, ..test_params() };
    assert_ignis_err(
        env.send(&[ix::update_params(intruder.pubkey(), hostile)], &[&intruder.key]),
        IgnisError::Unauthorized,
    );
    let invalid = Params { miss_slash_bps: 20_000, ..test_params() };
    assert_ignis_err(
        env.send(&[ix::update_params(admin.pubkey(), invalid)], &[&admin]),
        IgnisError::InvalidSlashRate,
    );
    // A retention below zero, or so long that state would pile up, is refused; the
    // bounds themselves are accepted.
    for retention in [-1, ignis::constants::MAX_JOB_RETENTION_SECONDS + 1] {
        let invalid = Params { job_retention_seconds: retention, ..test_params() };
        assert_ignis_err(
            env.send(&[ix::update_params(admin.pubkey(), invalid)], &[&admin]),
            IgnisError::InvalidRetention,
        );
    }
    assert_eq!(env.config().params, new, "failed updates changed nothing");
    for retention in [0, ignis::constants::MAX_JOB_RETENTION_SECONDS] {
        let bound = Params { job_retention_seconds: retention, ..new };
        env.send(&[ix::update_params(admin.pubkey(), bound)], &[&admin]).unwrap();
        assert_eq!(env.config().params.job_retention_seconds, retention);
    }
}

#[test]
fn set_authorities_needs_admin_and_the_new_admins_signature() {
    let mut env = Env::new();
    let admin = env.admin.key.insecure_clone();
    let (new_admin, orchestrator, verifier) = (Keypair::new(), Keypair::new(), Keypair::new());

    let intruder = env.user(0);
    let hijack = ix::set_authorities(
        intruder.pubkey(),
        intruder.pubkey(),
        intruder.pubkey(),
        intruder.pubkey(),
    );
    assert_ignis_err(env.send(&[hijack], &[&intruder.key]), IgnisError::Unauthorized);

    let handover = ix::set_authorities(
        admin.pubkey(),
        new_admin.pubkey(),
        orchestrator.pubkey(),
        verifier.pubkey(),
    );
    env.send(&[handover], &[&admin, &new_admin]).unwrap();
    let config = env.config();
    assert_eq!(
        (config.admin, config.orchestrator, config.verifier),
        (new_admin.pubkey(), orchestrator.pubkey(), verifier.pubkey())
    );

    // The old admin has lost control.
    assert_ignis_err(
        env.send(&[ix::set_paused(admin.pubkey(), true)], &[&admin]),
        IgnisError::Unauthorized,
    );
    env.svm.airdrop(&new_admin.pubkey(), 1_000_000_000).unwrap();
    env.send(&[ix::set_paused(new_admin.pubkey(), true)], &[&new_admin]).unwrap();
    assert!(env.config().paused);
}

#[test]
fn set_paused_by_admin_only() {
    let mut env = Env::new();
    let intruder = env.user(0);
    assert_ignis_err(
        env.send(&[ix::set_paused(intruder.pubkey(), true)], &[&intruder.key]),
        IgnisError::Unauthorized,
    );
    let admin = env.admin.key.insecure_clone();
    env.send(&[ix::set_paused(admin.pubkey(), true)], &[&admin]).unwrap();
    assert!(env.config().paused);
    env.send(&[ix::set_paused(admin.pubkey(), false)], &[&admin]).unwrap();
    assert!(!env.config().paused);
}

#[test]
fn pause_blocks_work_but_never_exits() {
    let mut env = Env::new();
    let admin = env.admin.key.insecure_clone();
    let operator = env.worker_operator();
    let staker = env.user(100 * IGN);
    env.stake(&staker, 60 * IGN).unwrap();
    let poster = env.user(100 * IGN);
    let open_job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    let running_job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.assign(running_job, &operator.pubkey()).unwrap();
    env.send(&[ix::request_unstake(staker.pubkey(), 10 * IGN)], &[&staker.key]).unwrap();
    let newcomer = env.user(MIN_WORKER_STAKE);
    env.stake(&newcomer, MIN_WORKER_STAKE).unwrap();
    env.warp(UNBONDING_SECONDS); // the first tranche unlocks before the pause
    let expiring_job = env.post_pow(&poster, 4, 10 * IGN).unwrap();

    env.send(&[ix::set_paused(admin.pubkey(), true)], &[&admin]).unwrap();

    // Blocked: new stake, workers, jobs, assignment, submission, slashing.
    assert_ignis_err(env.deposit(&staker, IGN), IgnisError::ProtocolPaused);
    assert_ignis_err(
        env.send(&[ix::register_worker(newcomer.pubkey(), worker_settings())], &[&newcomer.key]),
        IgnisError::ProtocolPaused,
    );
    assert_ignis_err(env.post_pow(&poster, 4, IGN).map(|_| ()), IgnisError::ProtocolPaused);
    assert_ignis_err(env.assign(open_job, &operator.pubkey()), IgnisError::ProtocolPaused);
    let seed = env.job(running_job).seed;
    let nonce = find_nonce(&seed, &pda::worker(&operator.pubkey()), 4);
    assert_ignis_err(env.submit_pow(&operator, running_job, nonce), IgnisError::ProtocolPaused);
    assert_ignis_err(
        env.send(&[ix::update_worker(operator.pubkey(), worker_settings())], &[&operator.key]),
        IgnisError::ProtocolPaused,
    );
    env.warp(400);
    let expire = env.protocol.expire_assignment(running_job, operator.pubkey(), None);
    assert_ignis_err(env.crank(expire), IgnisError::ProtocolPaused);

    // Allowed: unbonding, withdrawing, cancelling and refunding.
    env.send(&[env.protocol.withdraw(staker.pubkey(), staker.token)], &[&staker.key]).unwrap();
    assert_eq!(env.balance(&staker.token), 50 * IGN, "the tranche unlocked before the pause");
    env.send(&[ix::request_unstake(staker.pubkey(), 10 * IGN)], &[&staker.key]).unwrap();
    env.send(&[env.protocol.cancel_job(poster.pubkey(), open_job, poster.token)], &[&poster.key])
        .unwrap();
    env.warp(3_600);
    // But the protocol clock stands still: a job cannot expire during a pause.
    let refund = env.protocol.refund_job(expiring_job, poster.token);
    assert_ignis_err(env.crank(refund.clone()), IgnisError::JobNotExpired);
    assert_eq!(env.balance(&poster.token), 80 * IGN, "one escrow back, two still open");
    env.assert_reconciled();
}

#[test]
fn a_pause_stops_every_protocol_clock_and_gives_the_time_back() {
    // The attack: deadlines, windows and unbonding kept running through a pause, so a
    // worker was slashed right after the unpause for time it could not work, and a
    // wrong single-replica result outlived its challenge window.
    let mut env = Env::new();
    let admin = env.admin.key.insecure_clone();
    let operator = env.worker_operator();
    let poster = env.user(100 * IGN);
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let deadline = env.job(job).assignments[0].deadline;
    env.warp(200); // 100 of the 300 execution seconds left
    let staker = env.user(20 * IGN);
    env.stake(&staker, 20 * IGN).unwrap();
    env.send(&[ix::request_unstake(staker.pubkey(), 20 * IGN)], &[&staker.key]).unwrap();
    let unlock_at = env.stake_of(&staker.pubkey()).unlock_at;

    env.send(&[ix::set_paused(admin.pubkey(), true)], &[&admin]).unwrap();
    env.warp(10 * 3_600);
    env.send(&[ix::set_paused(admin.pubkey(), false)], &[&admin]).unwrap();
    assert_eq!(env.config().paused_seconds, 10 * 3_600);
    assert_eq!(
        env.config().clock_at(env.now()),
        deadline - 100,
        "the protocol clock lost the pause"
    );

    // Right after the unpause the worker still has its 100 seconds: nobody can slash it.
    let stake_before = env.stake_of(&operator.pubkey()).amount;
    let expire = env.protocol.expire_assignment(job, operator.pubkey(), None);
    assert_ignis_err(env.crank(expire.clone()), IgnisError::DeadlineNotReached);
    env.warp(90);
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&operator.pubkey()), 4);
    env.submit_pow(&operator, job, nonce).unwrap();
    assert_eq!(
        env.stake_of(&operator.pubkey()).amount,
        stake_before,
        "never slashed for the pause"
    );
    assert_eq!(env.balance(&operator.token), 10 * IGN - 10 * IGN * 500 / 10_000, "paid in full");

    // Unbonding did not run during the pause either.
    let withdraw = env.protocol.withdraw(staker.pubkey(), staker.token);
    env.warp(unlock_at - env.config().clock_at(env.now()) - 1);
    assert_ignis_err(
        env.send(std::slice::from_ref(&withdraw), &[&staker.key]),
        IgnisError::UnbondingNotElapsed,
    );
    env.warp(1);
    env.send(&[withdraw], &[&staker.key]).unwrap();
    assert_eq!(env.balance(&staker.token), 20 * IGN);
    env.assert_reconciled();
}

#[test]
fn malformed_instruction_data_gets_named_errors_not_panics() {
    use anchor_lang::error::ErrorCode as AnchorError;
    let mut env = Env::new();
    let user = env.user(10 * IGN);
    env.stake(&user, IGN).unwrap();
    let mut ix = env.protocol.stake(user.pubkey(), user.token, IGN);

    for data in [vec![], vec![1, 2, 3], vec![0xff; 8]] {
        ix.data = data;
        assert_anchor_err(
            env.send(&[ix.clone()], &[&user.key]),
            AnchorError::InstructionFallbackNotFound,
        );
    }
    // The right discriminator with a truncated amount.
    let good = env.protocol.stake(user.pubkey(), user.token, IGN).data;
    ix.data = good[..12].to_vec();
    assert_anchor_err(
        env.send(&[ix.clone()], &[&user.key]),
        AnchorError::InstructionDidNotDeserialize,
    );
    // Too few accounts.
    ix.data = good;
    ix.accounts.truncate(3);
    assert_anchor_err(env.send(&[ix], &[&user.key]), AnchorError::AccountNotEnoughKeys);

    assert_eq!(env.stake_of(&user.pubkey()).amount, IGN);
    env.assert_reconciled();
}
