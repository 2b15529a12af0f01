//! register_worker, update_worker, deregister_worker.

use anchor_lang::error::ErrorCode as AnchorError;
use ignis::{constants::*, errors::IgnisError, state::WorkerSettings};
use ignis_client::{instructions as ix, pda};
use ignis_program_tests::*;

#[test]
fn register_records_settings_for_a_staked_operator() {
    let mut env = Env::new();
    let operator = env.worker_operator();
    let worker = env.worker(&operator.pubkey()).expect("registered");
    assert_eq!(worker.operator, operator.pubkey());
    assert_eq!(worker.settings, worker_settings());
    assert_eq!((worker.active_jobs, worker.jobs_completed, worker.jobs_missed), (0, 0, 0));
    assert_eq!(worker.registered_at, env.now());
    assert_eq!(env.config().totals.workers_registered, 1);
    env.assert_reconciled();
}

#[test]
fn register_needs_the_minimum_stake() {
    let mut env = Env::new();
    let user = env.user(MIN_WORKER_STAKE);
    let register = ix::register_worker(user.pubkey(), worker_settings());
    // No stake account at all.
    assert_anchor_err(
        env.send(std::slice::from_ref(&register), &[&user.key]),
        AnchorError::AccountNotInitialized,
    );
    env.stake(&user, MIN_WORKER_STAKE - 1).unwrap();
    assert_ignis_err(
        env.send(std::slice::from_ref(&register), &[&user.key]),
        IgnisError::StakeBelowMinimum,
    );
    env.stake(&user, 1).unwrap();
    env.send(std::slice::from_ref(&register), &[&user.key]).unwrap();
    // A second registration of the same operator fails: one worker per operator.
    assert!(env.send(&[register], &[&user.key]).is_err());
    assert_eq!(env.config().totals.workers_registered, 1);
}

#[test]
fn register_cannot_borrow_someone_elses_stake() {
    let mut env = Env::new();
    let whale = env.user(MIN_WORKER_STAKE);
    env.stake(&whale, MIN_WORKER_STAKE).unwrap();
    let freeloader = env.user(0);
    let mut register = ix::register_worker(freeloader.pubkey(), worker_settings());
    register.accounts[2].pubkey = pda::stake(&whale.pubkey());
    assert_anchor_err(env.send(&[register], &[&freeloader.key]), AnchorError::ConstraintSeeds);
    assert!(env.worker(&freeloader.pubkey()).is_none());
}

#[test]
fn register_and_update_validate_settings() {
    let mut env = Env::new();
    let user = env.user(MIN_WORKER_STAKE);
    env.stake(&user, MIN_WORKER_STAKE).unwrap();
    let base = worker_settings();
    let mut long_name = base.clone();
    long_name.gpu.model = "x".repeat(MAX_GPU_MODEL_LEN as usize + 1);
    let cases: [(WorkerSettings, IgnisError); 4] = [
        (long_name, IgnisError::GpuModelTooLong),
        (WorkerSettings { supported_kernels: 0, ..base.clone() }, IgnisError::NoKernelsSupported),
        (WorkerSettings { supported_kernels: 1 << 7, ..base.clone() }, IgnisError::UnknownKernel),
        (WorkerSettings { max_concurrent_jobs: 0, ..base.clone() }, IgnisError::InvalidConcurrency),
    ];
    for (settings, expected) in cases.clone() {
        let register = ix::register_worker(user.pubkey(), settings);
        assert_ignis_err(env.send(&[register], &[&user.key]), expected);
    }
    env.send(&[ix::register_worker(user.pubkey(), base.clone())], &[&user.key]).unwrap();
    for (settings, expected) in cases {
        let update = ix::update_worker(user.pubkey(), settings);
        assert_ignis_err(env.send(&[update], &[&user.key]), expected);
    }
    assert_eq!(
        env.worker(&user.pubkey()).unwrap().settings,
        base,
        "failed updates changed nothing"
    );
}

#[test]
fn update_changes_settings_for_the_operator_only() {
    let mut env = Env::new();
    let operator = env.worker_operator();
    let settings = WorkerSettings {
        min_price: 5 * IGN,
        max_concurrent_jobs: 8,
        accepting_jobs: false,
        supported_kernels: (1 << KERNEL_POW_SHA256) | (1 << KERNEL_MATMUL_U32),
        ..worker_settings()
    };
    env.send(&[ix::update_worker(operator.pubkey(), settings.clone())], &[&operator.key]).unwrap();
    assert_eq!(env.worker(&operator.pubkey()).unwrap().settings, settings);

    let mallory = env.user(0);
    let mut hijack = ix::update_worker(mallory.pubkey(), worker_settings());
    hijack.accounts[2].pubkey = pda::worker(&operator.pubkey());
    assert_anchor_err(env.send(&[hijack], &[&mallory.key]), AnchorError::ConstraintSeeds);
    assert_eq!(env.worker(&operator.pubkey()).unwrap().settings, settings);
}

#[test]
fn deregister_only_without_active_jobs_and_the_record_survives_registering_again() {
    // The attack: deregistering closed the worker account, and registering again
    // started a clean record, wiping every miss and slash.
    let mut env = Env::new();
    let operator = env.worker_operator();
    let treasury = env.admin.token;
    env.transfer(&treasury, &operator.token, MIN_WORKER_STAKE);
    env.stake(&operator, MIN_WORKER_STAKE).unwrap();
    let poster = env.user(100 * IGN);
    let missed = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.assign(missed, &operator.pubkey()).unwrap();
    env.warp(301);
    env.crank(env.protocol.expire_assignment(missed, operator.pubkey(), None)).unwrap();
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();

    let deregister = ix::deregister_worker(operator.pubkey());
    assert_ignis_err(
        env.send(std::slice::from_ref(&deregister), &[&operator.key]),
        IgnisError::WorkerHasActiveJobs,
    );

    let seed = env.job(job).seed;
    let nonce = find_nonce(&seed, &pda::worker(&operator.pubkey()), 4);
    env.submit_pow(&operator, job, nonce).unwrap();
    let record = env.worker(&operator.pubkey()).unwrap();
    assert_eq!((record.jobs_missed, record.jobs_completed), (1, 1));

    env.send(std::slice::from_ref(&deregister), &[&operator.key]).unwrap();
    let gone = env.worker(&operator.pubkey()).expect("the account and its record stay");
    assert!(!gone.registered && !gone.settings.accepting_jobs);
    assert_eq!(env.config().totals.workers_registered, 0);
    assert_ignis_err(env.send(&[deregister], &[&operator.key]), IgnisError::WorkerNotRegistered);
    // Not assignable while deregistered, even if it flips accepting_jobs back on.
    env.send(&[ix::update_worker(operator.pubkey(), worker_settings())], &[&operator.key]).unwrap();
    let other = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    assert_ignis_err(env.assign(other, &operator.pubkey()), IgnisError::WorkerNotRegistered);

    // Closing cannot wipe it either: a record with a miss keeps its account.
    assert_ignis_err(
        env.send(&[ix::close_worker(operator.pubkey())], &[&operator.key]),
        IgnisError::WorkerRecordNotClean,
    );
    // Registering again resumes the same record.
    env.send(&[ix::register_worker(operator.pubkey(), worker_settings())], &[&operator.key])
        .unwrap();
    let back = env.worker(&operator.pubkey()).unwrap();
    assert!(back.registered);
    assert_eq!(
        (back.jobs_missed, back.jobs_completed, back.slashed_total),
        (1, 1, record.slashed_total)
    );
    assert!(back.slashed_total > 0);
    assert_ignis_err(
        env.send(&[ix::register_worker(operator.pubkey(), worker_settings())], &[&operator.key]),
        IgnisError::WorkerAlreadyRegistered,
    );
    env.assert_reconciled();
}

#[test]
fn a_deregistered_worker_with_a_clean_record_closes_and_its_rent_comes_back() {
    let mut env = Env::new();
    let operator = env.worker_operator();
    let poster = env.user(100 * IGN);
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let close = ix::close_worker(operator.pubkey());
    assert_ignis_err(
        env.send(std::slice::from_ref(&close), &[&operator.key]),
        IgnisError::WorkerStillRegistered,
    );
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&operator.pubkey()), 4);
    env.submit_pow(&operator, job, nonce).unwrap();
    env.send(&[ix::deregister_worker(operator.pubkey())], &[&operator.key]).unwrap();
    // Only its operator closes it.
    let stranger = env.user(0);
    assert!(env.send(&[ix::close_worker(stranger.pubkey())], &[&stranger.key]).is_err());

    let address = pda::worker(&operator.pubkey());
    let rent = env.svm.get_balance(&address).unwrap();
    let lamports = env.svm.get_balance(&operator.pubkey()).unwrap();
    env.send(std::slice::from_ref(&close), &[&operator.key]).unwrap();
    assert!(env.worker(&operator.pubkey()).is_none());
    // The rent, less the transaction fee the operator paid.
    assert_eq!(env.svm.get_balance(&operator.pubkey()).unwrap(), lamports + rent - 5_000);
    // Registering again starts a new account, with an empty (it was clean) record.
    env.send(&[ix::register_worker(operator.pubkey(), worker_settings())], &[&operator.key])
        .unwrap();
    let fresh = env.worker(&operator.pubkey()).unwrap();
    assert_eq!((fresh.jobs_completed, fresh.jobs_missed), (0, 0));
    env.assert_reconciled();
}
