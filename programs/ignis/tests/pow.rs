//! submit_pow and expire_assignment: the PoW job from post to payout, and every way a
//! submission can be wrong.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_spl::token::spl_token;
use ignis::{
    errors::IgnisError,
    pow,
    state::{JobStatus, Shard},
};
use ignis_client::{events::*, pda};
use ignis_program_tests::*;
use sha2::{Digest, Sha256};
use solana_signer::Signer;

const DIFFICULTY: u8 = 12;

#[test]
fn pow_hash_is_sha256_of_seed_worker_nonce() {
    let seed = [9u8; 32];
    let worker = pda::worker(&solana_keypair::Keypair::new().pubkey());
    for nonce in [0u64, 1, 255, 256, u64::MAX] {
        let mut reference = Sha256::new();
        reference.update(seed);
        reference.update(worker.as_ref());
        reference.update(nonce.to_le_bytes());
        assert_eq!(pow::pow_hash(&seed, &worker, nonce), <[u8; 32]>::from(reference.finalize()));
    }
    let mut hash = [0u8; 32];
    assert_eq!(pow::leading_zero_bits(&hash), 256);
    hash[1] = 0b0001_0000;
    assert_eq!(pow::leading_zero_bits(&hash), 11);
    assert!(pow::meets_difficulty(&hash, 11));
    assert!(!pow::meets_difficulty(&hash, 12));
    hash[0] = 0x80;
    assert_eq!(pow::leading_zero_bits(&hash), 0);
    assert!(pow::meets_difficulty(&hash, 0));

    // The reference search finds the first valid nonce in its range, and none when the
    // budget is too small for the difficulty.
    let found = pow::search_nonce(&seed, &worker, 8, 0, u64::MAX).unwrap();
    assert!(pow::meets_difficulty(&pow::pow_hash(&seed, &worker, found), 8));
    assert!((0..found).all(|n| !pow::meets_difficulty(&pow::pow_hash(&seed, &worker, n), 8)));
    assert_eq!(pow::search_nonce(&seed, &worker, 8, found, 1), Some(found));
    assert_eq!(pow::search_nonce(&seed, &worker, 0, 5, 1), Some(5), "difficulty 0: any nonce");
    assert_eq!(pow::search_nonce(&seed, &worker, 60, 0, 1_000), None);
    assert_eq!(pow::search_nonce(&seed, &worker, 0, 0, 0), None, "an empty budget finds nothing");
}

#[test]
fn pow_job_end_to_end_pays_the_worker_and_the_fee() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let reward = 40 * IGN;
    let job = env.post_pow(&poster, DIFFICULTY, reward).unwrap();
    assert_eq!(env.vaults().shards, reward);
    assert_eq!(env.shard(Shard::index_of(job)).escrowed, reward, "escrowed in the job's shard");
    env.assign(job, &operator.pubkey()).unwrap();
    let assigned = env.events::<JobAssigned>();
    assert_eq!(assigned.len(), 1);
    assert_eq!((assigned[0].job_id, assigned[0].deadline), (job, env.now() + 300));

    let seed = env.job(job).seed;
    let worker = pda::worker(&operator.pubkey());
    let nonce = find_nonce(&seed, &worker, DIFFICULTY);
    env.submit_pow(&operator, job, nonce).unwrap();
    let fee = reward * 500 / 10_000;
    let event = &env.events::<PowSubmitted>()[..];
    assert_eq!(event.len(), 1, "one PowSubmitted event in the transaction");
    assert_eq!((event[0].job_id, event[0].worker, event[0].nonce), (job, worker, nonce));
    assert_eq!((event[0].paid, event[0].fee), (reward - fee, fee));
    assert_eq!(event[0].hash, pow::pow_hash(&seed, &worker, nonce));

    assert_eq!(env.balance(&operator.token), reward - fee, "worker paid minus the protocol fee");
    assert_eq!(env.balance(&poster.token), 60 * IGN);
    assert_eq!(env.vaults().shards, fee, "escrow emptied but for the fee");
    assert_eq!(env.vaults().reward, 0, "the fee waits in the shard for sync_shard");
    assert_eq!(env.vaults().stake, MIN_WORKER_STAKE, "stake untouched");
    env.sync();
    assert_eq!(env.vaults().shards, 0, "sync_shard swept the fee");
    assert_eq!(env.vaults().reward, fee, "fee kept for stakers");

    let state = env.job(job);
    assert_eq!(state.status, JobStatus::Completed);
    assert_eq!(state.pow_nonce, nonce);
    assert_eq!(state.result_hash, pow::pow_hash(&seed, &worker, nonce));
    assert!(pow::leading_zero_bits(&state.result_hash) >= u32::from(DIFFICULTY));
    assert_eq!(state.completed_at, env.now());

    let worker_state = env.worker(&operator.pubkey()).unwrap();
    assert_eq!((worker_state.active_jobs, worker_state.jobs_completed), (0, 1));
    assert_eq!(worker_state.earned_total, reward - fee);
    let totals = env.shard_totals();
    assert_eq!(
        (totals.fees_swept, totals.paid_to_workers, totals.jobs_completed, totals.escrowed),
        (fee, reward - fee, 1, 0)
    );
    assert_eq!(env.config().totals.fees, fee);

    // Paid exactly once.
    assert_ignis_err(env.submit_pow(&operator, job, nonce), IgnisError::JobNotRunning);
    assert_eq!(env.balance(&operator.token), reward - fee);
    env.assert_reconciled();
}

#[test]
fn a_wrong_nonce_is_rejected() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, DIFFICULTY, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let seed = env.job(job).seed;
    let bad = find_bad_nonce(&seed, &pda::worker(&operator.pubkey()), DIFFICULTY);
    assert_ignis_err(env.submit_pow(&operator, job, bad), IgnisError::InsufficientWork);
    assert_eq!(env.job(job).status, JobStatus::Running);
    assert_eq!(env.balance(&operator.token), 0);
    assert_eq!(env.vaults().shards, 10 * IGN);
    env.assert_reconciled();
}

#[test]
fn a_nonce_found_for_another_worker_is_worthless() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let (honest, thief) = (env.worker_operator(), env.worker_operator());
    let job = env.post_pow(&poster, DIFFICULTY, 10 * IGN).unwrap();
    env.assign(job, &thief.pubkey()).unwrap();
    let seed = env.job(job).seed;
    // The honest worker's valid nonce, which (checked) is not valid for the thief.
    let stolen = (0u64..)
        .filter(|n| {
            pow::meets_difficulty(
                &pow::pow_hash(&seed, &pda::worker(&honest.pubkey()), *n),
                DIFFICULTY,
            )
        })
        .find(|n| {
            !pow::meets_difficulty(
                &pow::pow_hash(&seed, &pda::worker(&thief.pubkey()), *n),
                DIFFICULTY,
            )
        })
        .unwrap();
    assert_ignis_err(env.submit_pow(&thief, job, stolen), IgnisError::InsufficientWork);
    // And the honest worker is not assigned, so it cannot submit it either.
    assert_ignis_err(env.submit_pow(&honest, job, stolen), IgnisError::NotAssigned);
    assert_eq!(env.vaults().shards, 10 * IGN);
    assert_eq!(env.balance(&thief.token) + env.balance(&honest.token), 0);
    env.assert_reconciled();
}

#[test]
fn a_late_submission_is_rejected() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, DIFFICULTY, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&operator.pubkey()), DIFFICULTY);
    env.warp(301);
    assert_ignis_err(env.submit_pow(&operator, job, nonce), IgnisError::DeadlinePassed);
    assert_eq!(env.balance(&operator.token), 0);
    env.assert_reconciled();
}

#[test]
fn submission_on_the_deadline_itself_counts() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, 0, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    env.warp(300);
    // Difficulty 0: any nonce is valid.
    env.submit_pow(&operator, job, 0).unwrap();
    assert_eq!(env.job(job).status, JobStatus::Completed);
    env.assert_reconciled();
}

#[test]
fn submissions_for_unassigned_or_open_jobs_or_to_forged_accounts_fail() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, 0, 10 * IGN).unwrap();
    assert_ignis_err(env.submit_pow(&operator, job, 0), IgnisError::JobNotRunning);
    env.assign(job, &operator.pubkey()).unwrap();

    // Payout to a token account of another mint.
    let payer = operator.key.insecure_clone();
    let fake_mint = create_mint(&mut env.svm, &payer, spl_token::ID, &payer.pubkey(), None);
    let fake_token =
        create_token_account(&mut env.svm, &payer, spl_token::ID, &fake_mint, &payer.pubkey());
    let ix = env.protocol.submit_pow(operator.pubkey(), job, fake_token, 0);
    assert_ignis_err(env.send(&[ix], &[&operator.key]), IgnisError::WrongMint);

    // Another shard's accounts: its totals, or its vault, or a stranger's token account
    // passed off as the shard vault.
    let (other, other_vault) = pda::job_shard(job + 1);
    let mut ix = env.protocol.submit_pow(operator.pubkey(), job, operator.token, 0);
    ix.accounts[5].pubkey = other;
    assert_ignis_err(env.send(&[ix], &[&operator.key]), IgnisError::WrongShard);
    let bystander = env.user(0);
    for vault in [other_vault, bystander.token] {
        let mut ix = env.protocol.submit_pow(operator.pubkey(), job, operator.token, 0);
        ix.accounts[6].pubkey = vault;
        assert_anchor_err(env.send(&[ix], &[&operator.key]), AnchorError::ConstraintAddress);
    }

    // Another signer claiming the assigned worker.
    let mallory = env.user(0);
    let mut ix = env.protocol.submit_pow(mallory.pubkey(), job, mallory.token, 0);
    ix.accounts[3].pubkey = pda::worker(&operator.pubkey());
    assert_anchor_err(env.send(&[ix], &[&mallory.key]), AnchorError::ConstraintSeeds);

    assert_eq!(env.vaults().shards, 10 * IGN);
    env.submit_pow(&operator, job, 0).unwrap();
    env.assert_reconciled();
}

#[test]
fn expire_slashes_the_missing_worker_and_requeues_the_job() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let (slacker, rescuer) = (env.worker_operator(), env.worker_operator());
    let job = env.post_pow(&poster, DIFFICULTY, 20 * IGN).unwrap();
    env.assign(job, &slacker.pubkey()).unwrap();

    let expire = env.protocol.expire_assignment(job, slacker.pubkey(), None);
    assert_ignis_err(env.crank(expire.clone()), IgnisError::DeadlineNotReached);
    env.warp(300);
    assert_ignis_err(env.crank(expire.clone()), IgnisError::DeadlineNotReached);
    env.warp(1);
    // Expiring a worker that is not assigned fails.
    let wrong = env.protocol.expire_assignment(job, rescuer.pubkey(), None);
    assert_ignis_err(env.crank(wrong), IgnisError::NotAssigned);
    env.crank(expire.clone()).unwrap();

    let slash = MIN_WORKER_STAKE / 10;
    let expired = env.events::<AssignmentExpired>();
    assert_eq!(expired.len(), 1);
    assert_eq!(
        (expired[0].job_id, expired[0].worker, expired[0].slashed),
        (job, pda::worker(&slacker.pubkey()), slash)
    );
    assert_eq!(env.stake_of(&slacker.pubkey()).amount, MIN_WORKER_STAKE - slash);
    assert_eq!(env.stake_of(&slacker.pubkey()).slashed_total, slash);
    assert_eq!(env.vaults().stake, 2 * MIN_WORKER_STAKE - slash);
    assert_eq!(env.vaults().reward, slash, "slashed stake goes to the reward vault");
    assert_eq!(env.vaults().shards, 20 * IGN, "escrow stays for the next worker");
    let worker = env.worker(&slacker.pubkey()).unwrap();
    assert_eq!((worker.active_jobs, worker.jobs_missed, worker.slashed_total), (0, 1, slash));
    let state = env.job(job);
    assert_eq!((state.status, state.assigned, state.requeues), (JobStatus::Open, 0, 1));
    assert_ignis_err(env.crank(expire), IgnisError::NotAssigned);

    // The slashed worker is now below the minimum and cannot take the job back.
    assert_ignis_err(env.assign(job, &slacker.pubkey()), IgnisError::StakeBelowMinimum);
    env.assign(job, &rescuer.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&rescuer.pubkey()), DIFFICULTY);
    env.submit_pow(&rescuer, job, nonce).unwrap();
    assert_eq!(env.balance(&rescuer.token), 19 * IGN);
    assert_eq!(env.balance(&slacker.token), 0);
    env.assert_reconciled();
}

#[test]
fn expire_slashes_unbonding_stake_too() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, DIFFICULTY, 20 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    // The operator tries to run with its stake.
    env.send(
        &[ignis_client::instructions::request_unstake(operator.pubkey(), MIN_WORKER_STAKE)],
        &[&operator.key],
    )
    .unwrap();
    env.warp(301);
    env.crank(env.protocol.expire_assignment(job, operator.pubkey(), None)).unwrap();
    let stake = env.stake_of(&operator.pubkey());
    assert_eq!(
        (stake.amount, stake.unbonding_amount),
        (0, MIN_WORKER_STAKE - MIN_WORKER_STAKE / 10)
    );
    env.assert_reconciled();
}

#[test]
fn nothing_but_the_program_can_move_vault_funds() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    // Put funds in all three vaults: stake, an escrow, and a fee.
    let paid = env.post_pow(&poster, 0, 50 * IGN).unwrap();
    env.post_pow(&poster, DIFFICULTY, 50 * IGN).unwrap();
    env.assign(paid, &operator.pubkey()).unwrap();
    env.submit_pow(&operator, paid, 0).unwrap();
    env.sync();
    let before = env.vaults();
    assert!(before.stake > 0 && before.shards > 0 && before.reward > 0);
    let mallory = env.user(0);
    let shard_vault = pda::shard_vault(Shard::index_of(paid + 1));
    for vault in [pda::stake_vault(), shard_vault, pda::reward_vault()] {
        let drain = transfer_checked_ix(
            spl_token::ID,
            &vault,
            &env.mint(),
            &mallory.token,
            &mallory.pubkey(),
            1,
        );
        assert_token_err(
            env.send(&[drain], &[&mallory.key]),
            spl_token::error::TokenError::OwnerMismatch,
        );
    }
    // Naming the config PDA as authority without its signature (only the program can
    // sign for it) is refused by the token program.
    let mut unsigned = transfer_checked_ix(
        spl_token::ID,
        &shard_vault,
        &env.mint(),
        &mallory.token,
        &pda::config(),
        1,
    );
    unsigned.accounts[3].is_signer = false;
    assert_eq!(
        env.send(&[unsigned], &[&mallory.key]),
        Err(solana_transaction_error::TransactionError::InstructionError(
            0,
            solana_instruction_error::InstructionError::MissingRequiredSignature
        ))
    );
    assert_eq!(env.vaults(), before);
    env.assert_reconciled();
}
