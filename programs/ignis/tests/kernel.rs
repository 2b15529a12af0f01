//! Kernel jobs: commit_result, reveal_result, finalize_job, attest_result,
//! dispute_result.

use anchor_lang::error::ErrorCode as AnchorError;
use ignis::{
    constants::*,
    errors::IgnisError,
    instructions::PostJobArgs,
    state::{JobKind, JobStatus, Ruling},
};
use ignis_client::{
    events::JobFinalized,
    instructions::{self as ix, settlement_slashes},
    pda,
};
use ignis_program_tests::*;

const N: u32 = 8;
const REWARD: u64 = 30 * IGN;

fn salt(byte: u8) -> [u8; 32] {
    [byte; 32]
}

/// A poster, three matmul operators and a posted 3-replica job assigned to all three.
fn three_replica_job(env: &mut Env) -> (User, [User; 3], u64, [u8; 32]) {
    let poster = env.user(100 * IGN);
    let operators = [env.kernel_operator(), env.kernel_operator(), env.kernel_operator()];
    let job = env.post_matmul(&poster, N, 3, REWARD).unwrap();
    for op in &operators {
        env.assign(job, &op.pubkey()).unwrap();
    }
    let truth = matmul_result_hash(&env.job(job).seed, N);
    (poster, operators, job, truth)
}

#[test]
fn matmul_inputs_are_a_pure_function_of_seed_matrix_and_index() {
    let seed = [3u8; 32];
    assert_eq!(
        ignis::kernels::matmul_input(&seed, 0, 5),
        ignis::kernels::matmul_input(&seed, 0, 5)
    );
    assert_ne!(
        ignis::kernels::matmul_input(&seed, 0, 5),
        ignis::kernels::matmul_input(&seed, 1, 5)
    );
    assert_ne!(
        ignis::kernels::matmul_input(&seed, 0, 5),
        ignis::kernels::matmul_input(&seed, 0, 6)
    );
    let other = [4u8; 32];
    assert_ne!(matmul_result_hash(&seed, 4), matmul_result_hash(&other, 4));
    // n = 1: the product of the two first elements.
    let expected = ignis::kernels::matmul_input(&seed, 0, 0)
        .wrapping_mul(ignis::kernels::matmul_input(&seed, 1, 0));
    assert_eq!(
        matmul_result_hash(&seed, 1),
        <[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(expected.to_le_bytes()))
    );
}

#[test]
fn the_verifier_pays_the_honest_two_and_slashes_the_liar() {
    let mut env = Env::new();
    let (poster, [a, b, liar], job, truth) = three_replica_job(&mut env);
    let lie = [0xee; 32];
    env.commit(&a, job, truth, salt(1)).unwrap();
    env.commit(&b, job, truth, salt(2)).unwrap();
    assert_eq!(env.job(job).status, JobStatus::Running, "reveals wait for every commitment");
    assert_ignis_err(env.reveal(&a, job, truth, salt(1)), IgnisError::NotRevealing);
    env.commit(&liar, job, lie, salt(3)).unwrap();
    let state = env.job(job);
    assert_eq!(state.status, JobStatus::Revealing);
    assert_eq!(state.reveal_deadline, env.now() + REVEAL_WINDOW);

    for (op, hash, s) in [(&a, truth, 1), (&b, truth, 2), (&liar, lie, 3)] {
        env.reveal(op, job, hash, salt(s)).unwrap();
    }
    assert_eq!(
        env.job(job).status,
        JobStatus::Challenge,
        "every result revealed: the verifier's window"
    );
    assert_ignis_err(env.finalize(job, &[&a, &b, &liar]), IgnisError::ChallengeWindowOpen);
    // An attested result must be one a replica revealed.
    assert_ignis_err(
        env.rule(job, &[&a, &b, &liar], Some([0x11; 32])),
        IgnisError::NoReplicaRevealedResult,
    );
    env.rule(job, &[&a, &b, &liar], Some(truth)).unwrap();

    let fee = REWARD * 500 / 10_000;
    let share = (REWARD - fee) / 2;
    assert_eq!(env.balance(&a.token), share);
    assert_eq!(env.balance(&b.token), share);
    assert_eq!(env.balance(&liar.token), 0);
    let fraud = MIN_WORKER_STAKE / 2;
    assert_eq!(env.stake_of(&liar.pubkey()).amount, MIN_WORKER_STAKE - fraud);
    assert_eq!(env.stake_of(&a.pubkey()).amount, MIN_WORKER_STAKE);
    assert_eq!(env.vaults().shards, fee, "the fee waits in the shard");
    assert_eq!(env.vaults().reward, fraud, "the slash went to the stakers at once");
    assert_eq!(env.balance(&poster.token), 70 * IGN);

    let state = env.job(job);
    assert_eq!((state.status, state.result_hash), (JobStatus::Completed, truth));
    let event = &env.events::<JobFinalized>()[0];
    assert!(event.completed);
    assert_eq!(
        (event.winners, event.paid_per_winner, event.fee, event.slashed),
        (2, share, fee, fraud)
    );
    env.sync();
    assert_eq!(env.vaults().shards, 0);
    assert_eq!(env.vaults().reward, fee + fraud);
    let (wa, wl) = (env.worker(&a.pubkey()).unwrap(), env.worker(&liar.pubkey()).unwrap());
    assert_eq!((wa.jobs_completed, wa.active_jobs), (1, 0));
    assert_eq!((wl.jobs_disputed, wl.slashed_total, wl.active_jobs), (1, fraud, 0));
    assert_ignis_err(env.finalize(job, &[&a, &b, &liar]), IgnisError::NotFinalizable);
    env.assert_reconciled();
}

#[test]
fn a_replica_that_commits_and_never_reveals_is_slashed_at_the_fraud_rate() {
    // The attack: a replica that sees it would be outvoted withholds its reveal and
    // pays the 10% miss rate instead of the 50% fraud rate.
    let mut env = Env::new();
    let (_, [a, b, silent], job, truth) = three_replica_job(&mut env);
    for (op, s) in [(&a, 1), (&b, 2), (&silent, 3)] {
        env.commit(op, job, truth, salt(s)).unwrap();
    }
    env.reveal(&a, job, truth, salt(1)).unwrap();
    env.reveal(&b, job, truth, salt(2)).unwrap();
    assert_ignis_err(env.finalize(job, &[&a, &b, &silent]), IgnisError::RevealStillOpen);
    env.warp(REVEAL_WINDOW + 1);
    assert_ignis_err(env.reveal(&silent, job, truth, salt(3)), IgnisError::RevealDeadlinePassed);
    assert_ignis_err(env.finalize(job, &[&a, &b, &silent]), IgnisError::ChallengeWindowOpen);
    env.warp(CHALLENGE_WINDOW);
    // Unverified, the unanimous majority is paid its escrow share.
    env.finalize(job, &[&a, &b, &silent]).unwrap();
    let fraud = MIN_WORKER_STAKE / 2;
    assert_eq!(
        env.stake_of(&silent.pubkey()).amount,
        MIN_WORKER_STAKE - fraud,
        "attacker net: -50 IGN"
    );
    assert_eq!(env.balance(&silent.token), 0);
    assert_eq!(env.worker(&silent.pubkey()).unwrap().jobs_disputed, 1);
    assert_eq!(env.balance(&a.token), env.balance(&b.token));
    assert_eq!(env.job(job).status, JobStatus::Completed);
    env.assert_reconciled();
}

#[test]
fn without_the_verifier_a_disagreement_is_nobodys_proven_fault() {
    // Two replicas disagree and the verifier does not rule: neither is slashed (no
    // proof), neither is paid, and the job goes back for other replicas.
    let mut env = Env::new();
    let (_, [a, b, c], job, truth) = three_replica_job(&mut env);
    let lie = [0xee; 32];
    for (op, hash, s) in [(&a, truth, 1), (&b, truth, 2), (&c, lie, 3)] {
        env.commit(op, job, hash, salt(s)).unwrap();
    }
    for (op, hash, s) in [(&a, truth, 1), (&b, truth, 2), (&c, lie, 3)] {
        env.reveal(op, job, hash, salt(s)).unwrap();
    }
    env.warp(CHALLENGE_WINDOW + 1);
    env.finalize(job, &[&a, &b, &c]).unwrap();
    for op in [&a, &b, &c] {
        assert_eq!(env.stake_of(&op.pubkey()).amount, MIN_WORKER_STAKE);
        assert_eq!(env.balance(&op.token), 0);
    }
    assert_eq!((env.job(job).status, env.job(job).requeues), (JobStatus::Open, 1));
    assert_eq!(env.vaults().shards, REWARD, "escrow kept for the next attempt");
    env.assert_reconciled();
}

#[test]
fn two_colluding_replicas_cannot_outvote_and_slash_an_honest_third() {
    // The attack: one party runs two of three replicas, reveals the same wrong result
    // and, holding the majority, gets the honest third slashed and takes its pay.
    let mut env = Env::new();
    let (_, [honest, sybil_1, sybil_2], job, truth) = three_replica_job(&mut env);
    let lie = [0xee; 32];
    for (op, hash, s) in [(&honest, truth, 1), (&sybil_1, lie, 2), (&sybil_2, lie, 3)] {
        env.commit(op, job, hash, salt(s)).unwrap();
    }
    for (op, hash, s) in [(&honest, truth, 1), (&sybil_1, lie, 2), (&sybil_2, lie, 3)] {
        env.reveal(op, job, hash, salt(s)).unwrap();
    }
    // The verifier checks the work, whatever the majority says.
    env.rule(job, &[&honest, &sybil_1, &sybil_2], Some(truth)).unwrap();
    let fee = REWARD * 500 / 10_000;
    assert_eq!(
        env.balance(&honest.token),
        REWARD - fee,
        "the honest replica takes the whole reward"
    );
    assert_eq!(env.stake_of(&honest.pubkey()).amount, MIN_WORKER_STAKE);
    let attacker_net: i128 = [&sybil_1, &sybil_2]
        .iter()
        .map(|op| {
            env.balance(&op.token) as i128 + env.stake_of(&op.pubkey()).amount as i128
                - MIN_WORKER_STAKE as i128
        })
        .sum();
    assert_eq!(
        attacker_net,
        -(MIN_WORKER_STAKE as i128),
        "attacker net: half of each of its two stakes"
    );
    env.assert_reconciled();
}

#[test]
fn without_a_majority_nobody_is_paid_and_the_job_is_requeued() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let (a, b) = (env.kernel_operator(), env.kernel_operator());
    let job = env.post_matmul(&poster, N, 2, REWARD).unwrap();
    env.assign(job, &a.pubkey()).unwrap();
    env.assign(job, &b.pubkey()).unwrap();
    env.commit(&a, job, [1; 32], salt(1)).unwrap();
    env.commit(&b, job, [2; 32], salt(2)).unwrap();
    env.reveal(&a, job, [1; 32], salt(1)).unwrap();
    env.reveal(&b, job, [2; 32], salt(2)).unwrap();
    env.warp(CHALLENGE_WINDOW + 1);
    env.finalize(job, &[&a, &b]).unwrap();

    let state = env.job(job);
    assert_eq!((state.status, state.assigned, state.requeues), (JobStatus::Open, 0, 1));
    assert_eq!(env.balance(&a.token) + env.balance(&b.token), 0);
    assert_eq!(env.vaults().shards, REWARD, "escrow kept for the next attempt");
    assert_eq!(env.stake_of(&a.pubkey()).amount, MIN_WORKER_STAKE, "no one can be blamed");
    assert_eq!(env.worker(&a.pubkey()).unwrap().active_jobs, 0);
    assert!(!env.events::<JobFinalized>()[0].completed);
    // The job can run again.
    env.assign(job, &a.pubkey()).unwrap();
    env.assert_reconciled();
}

#[test]
fn a_copied_commitment_and_a_mismatched_reveal_are_rejected() {
    let mut env = Env::new();
    let (_, [a, copier, c], job, truth) = three_replica_job(&mut env);
    env.commit(&a, job, truth, salt(1)).unwrap();
    let stolen = env.job(job).assignments[0].commitment;
    let copy = ix::commit_result(copier.pubkey(), job, stolen);
    assert_ignis_err(env.send(&[copy], &[&copier.key]), IgnisError::DuplicateCommitment);

    // The copier commits something of its own, then everyone reveals.
    env.commit(&copier, job, [9; 32], salt(2)).unwrap();
    env.commit(&c, job, truth, salt(3)).unwrap();
    // Revealing the truth against a commitment to something else fails...
    assert_ignis_err(env.reveal(&copier, job, truth, salt(2)), IgnisError::CommitmentMismatch);
    // ...so does another replica's salt, and a replay of another replica's reveal.
    assert_ignis_err(env.reveal(&c, job, truth, salt(1)), IgnisError::CommitmentMismatch);
    assert_ignis_err(env.reveal(&copier, job, truth, salt(1)), IgnisError::CommitmentMismatch);
    env.reveal(&a, job, truth, salt(1)).unwrap();
    assert_ignis_err(env.reveal(&a, job, truth, salt(1)), IgnisError::AlreadyRevealed);
    assert_ignis_err(env.commit(&a, job, truth, salt(7)), IgnisError::JobNotRunning);
    env.assert_reconciled();
}

#[test]
fn commit_rules() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let (a, b, stranger) = (env.kernel_operator(), env.kernel_operator(), env.kernel_operator());
    let job = env.post_matmul(&poster, N, 2, REWARD).unwrap();
    assert_ignis_err(env.commit(&a, job, [1; 32], salt(1)), IgnisError::NotAssigned);
    env.assign(job, &a.pubkey()).unwrap();
    // A replica can commit before the others are assigned.
    env.commit(&a, job, [1; 32], salt(1)).unwrap();
    assert_ignis_err(env.commit(&a, job, [1; 32], salt(2)), IgnisError::AlreadyCommitted);
    env.assign(job, &b.pubkey()).unwrap();
    assert_ignis_err(env.commit(&stranger, job, [1; 32], salt(3)), IgnisError::NotAssigned);
    env.warp(301);
    assert_ignis_err(env.commit(&b, job, [1; 32], salt(2)), IgnisError::DeadlinePassed);
    // b missed its commitment: expire it, which a committed replica cannot be.
    assert_ignis_err(
        env.crank(env.protocol.expire_assignment(job, a.pubkey(), None)),
        IgnisError::AlreadyCommitted,
    );
    env.crank(env.protocol.expire_assignment(job, b.pubkey(), None)).unwrap();
    assert_eq!(env.job(job).assigned, 1);
    // PoW jobs take no commitments and kernel jobs no PoW.
    let pow = env.post_pow(&poster, 0, IGN).unwrap();
    env.assign(pow, &stranger.pubkey()).unwrap();
    assert_ignis_err(env.commit(&stranger, pow, [1; 32], salt(1)), IgnisError::NotKernelJob);
    let matmul = env.post_matmul(&poster, N, 1, REWARD).unwrap();
    env.assign(matmul, &stranger.pubkey()).unwrap();
    assert_ignis_err(env.submit_pow(&stranger, matmul, 0), IgnisError::NotPowJob);
    env.assert_reconciled();
}

#[test]
fn one_replica_stands_after_the_challenge_window() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let op = env.kernel_operator();
    let job = env.post_matmul(&poster, N, 1, REWARD).unwrap();
    env.assign(job, &op.pubkey()).unwrap();
    let truth = matmul_result_hash(&env.job(job).seed, N);
    env.commit(&op, job, truth, salt(1)).unwrap();
    env.reveal(&op, job, truth, salt(1)).unwrap();
    let state = env.job(job);
    assert_eq!(state.status, JobStatus::Challenge);
    assert_eq!(state.challenge_deadline, env.now() + CHALLENGE_WINDOW);

    assert_ignis_err(env.finalize(job, &[&op]), IgnisError::ChallengeWindowOpen);
    env.warp(CHALLENGE_WINDOW + 1);
    assert_ignis_err(env.verify(job, &op, false), IgnisError::ChallengeWindowClosed);
    env.finalize(job, &[&op]).unwrap();
    let fee = REWARD * 500 / 10_000;
    assert_eq!(env.balance(&op.token), REWARD - fee);
    assert_eq!(
        env.events::<JobFinalized>()[0].work_reward,
        0,
        "unverified: nothing from the work pool"
    );
    assert_eq!(env.job(job).status, JobStatus::Completed);
    assert_eq!(env.job(job).result_hash, truth);
    env.assert_reconciled();
}

#[test]
fn the_verifier_attests_a_right_result_and_disputes_a_wrong_one() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let (honest, cheat, rescuer) =
        (env.kernel_operator(), env.kernel_operator(), env.kernel_operator());
    let right = env.post_matmul(&poster, N, 1, REWARD).unwrap();
    let wrong = env.post_matmul(&poster, N, 1, REWARD).unwrap();
    env.assign(right, &honest.pubkey()).unwrap();
    env.assign(wrong, &cheat.pubkey()).unwrap();
    let truth_right = matmul_result_hash(&env.job(right).seed, N);
    env.commit(&honest, right, truth_right, salt(1)).unwrap();
    env.reveal(&honest, right, truth_right, salt(1)).unwrap();
    env.commit(&cheat, wrong, [0; 32], salt(2)).unwrap();
    env.reveal(&cheat, wrong, [0; 32], salt(2)).unwrap();

    // Only the verifier rules.
    let mallory = env.user(0);
    let revealed = env.job(right).assignments[0].result_hash;
    let forged = env.protocol.verify_result(
        mallory.pubkey(),
        right,
        &[(honest.pubkey(), honest.token)],
        Some(revealed),
        false,
    );
    assert_ignis_err(env.send(&[forged], &[&mallory.key]), IgnisError::NotVerifier);

    env.verify(right, &honest, true).unwrap();
    assert_eq!(env.balance(&honest.token), REWARD - REWARD * 500 / 10_000, "paid at once");
    assert_eq!(env.job(right).status, JobStatus::Completed);
    assert_ignis_err(env.verify(right, &honest, false), IgnisError::NotInChallenge);

    env.verify(wrong, &cheat, false).unwrap();
    let fraud = MIN_WORKER_STAKE / 2;
    assert_eq!(env.stake_of(&cheat.pubkey()).amount, MIN_WORKER_STAKE - fraud);
    let cheat_worker = env.worker(&cheat.pubkey()).unwrap();
    assert_eq!((cheat_worker.jobs_disputed, cheat_worker.active_jobs), (1, 0));
    let state = env.job(wrong);
    assert_eq!((state.status, state.assigned, state.requeues), (JobStatus::Open, 0, 1));
    assert_eq!(env.balance(&cheat.token), 0);

    // Re-queued, it runs again on an honest worker and pays.
    env.assign(wrong, &rescuer.pubkey()).unwrap();
    let truth = matmul_result_hash(&env.job(wrong).seed, N);
    env.commit(&rescuer, wrong, truth, salt(3)).unwrap();
    env.reveal(&rescuer, wrong, truth, salt(3)).unwrap();
    env.verify(wrong, &rescuer, true).unwrap();
    assert_eq!(env.balance(&rescuer.token), REWARD - REWARD * 500 / 10_000);
    env.assert_reconciled();
}

#[test]
fn finalize_checks_the_replica_accounts() {
    let mut env = Env::new();
    let (_, [a, b, c], job, truth) = three_replica_job(&mut env);
    for (op, s) in [(&a, 1), (&b, 2), (&c, 3)] {
        env.commit(op, job, truth, salt(s)).unwrap();
    }
    for (op, s) in [(&a, 1), (&b, 2), (&c, 3)] {
        env.reveal(op, job, truth, salt(s)).unwrap();
    }
    env.warp(CHALLENGE_WINDOW + 1);
    // Too few, out of order, someone else's payout account, a stranger's stake.
    assert_ignis_err(env.finalize(job, &[&a, &b]), IgnisError::ReplicaAccountsMismatch);
    assert_ignis_err(env.finalize(job, &[&b, &a, &c]), IgnisError::ReplicaAccountsMismatch);
    let thief = env.user(0);
    let slashing = settlement_slashes(&env.job(job), Ruling::Unverified);
    let replicas = [(a.pubkey(), thief.token), (b.pubkey(), b.token), (c.pubkey(), c.token)];
    assert_ignis_err(
        env.crank(env.protocol.finalize_job(job, &replicas, slashing)),
        IgnisError::WrongTokenOwner,
    );
    let mut ix = env.protocol.finalize_job(
        job,
        &[(a.pubkey(), a.token), (b.pubkey(), b.token), (c.pubkey(), c.token)],
        slashing,
    );
    ix.accounts[10 + 1].pubkey = pda::stake(&b.pubkey());
    assert_ignis_err(env.crank(ix), IgnisError::StakeOperatorMismatch);
    let mut ix = env.protocol.finalize_job(
        job,
        &[(a.pubkey(), a.token), (b.pubkey(), b.token), (c.pubkey(), c.token)],
        slashing,
    );
    ix.accounts[10].is_writable = false;
    assert_ignis_err(env.crank(ix), IgnisError::ReplicaAccountsMismatch);
    let mut ix = env.protocol.finalize_job(
        job,
        &[(a.pubkey(), a.token), (b.pubkey(), b.token), (c.pubkey(), c.token)],
        slashing,
    );
    ix.accounts[10].pubkey = a.token;
    assert_anchor_err(env.crank(ix), AnchorError::AccountOwnedByWrongProgram);
    assert_eq!(env.vaults().shards, REWARD);
    env.finalize(job, &[&a, &b, &c]).unwrap();
    env.assert_reconciled();
}

#[test]
fn kernel_jobs_validate_size_kernel_replicas_and_memory() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let base = env.job_args();
    let matmul = |size| JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size };
    for (args, expected) in [
        (PostJobArgs { kind: matmul(0), ..base }, IgnisError::InvalidKernelSize),
        (
            PostJobArgs { kind: matmul(ignis::kernels::MAX_MATMUL_N + 1), ..base },
            IgnisError::InvalidKernelSize,
        ),
        (
            PostJobArgs { kind: JobKind::Kernel { kernel: 9, size: 4 }, ..base },
            IgnisError::UnknownKernel,
        ),
        (PostJobArgs { kind: matmul(4), replicas: 4, ..base }, IgnisError::InvalidReplicaCount),
        (
            PostJobArgs { kind: matmul(4), replicas: 3, reward: 2, ..base },
            IgnisError::RewardTooSmall,
        ),
    ] {
        assert_ignis_err(env.post(&poster, args).map(|_| ()), expected);
    }
    // 16384^2 * 12 bytes = 3 GiB: more than a 1 GiB worker has.
    let op = env.kernel_operator();
    let small = ignis::state::WorkerSettings {
        gpu: ignis::state::GpuInfo { vram_mb: 1024, ..kernel_worker_settings().gpu },
        ..kernel_worker_settings()
    };
    env.send(&[ix::update_worker(op.pubkey(), small)], &[&op.key]).unwrap();
    let big = env.post_matmul(&poster, 16_384, 1, REWARD).unwrap();
    assert_ignis_err(env.assign(big, &op.pubkey()), IgnisError::InsufficientMemory);
    let fits = env.post_matmul(&poster, 4_096, 1, REWARD).unwrap();
    env.assign(fits, &op.pubkey()).unwrap();
    env.assert_reconciled();
}

#[test]
fn an_expired_job_with_some_commitments_can_still_be_revealed_and_settled() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let (a, b) = (env.kernel_operator(), env.kernel_operator());
    let job = env.post_matmul(&poster, N, 2, REWARD).unwrap();
    env.assign(job, &a.pubkey()).unwrap();
    let truth = matmul_result_hash(&env.job(job).seed, N);
    env.commit(&a, job, truth, salt(1)).unwrap();
    env.assign(job, &b.pubkey()).unwrap();
    // b never commits, and the job expires before anyone expires b.
    env.warp(3_600);
    assert_ignis_err(
        env.crank(env.protocol.refund_job(job, poster.token)),
        IgnisError::JobHasCommitments,
    );
    env.reveal(&a, job, truth, salt(1)).unwrap();
    env.warp(CHALLENGE_WINDOW + 1);
    env.finalize(job, &[&a, &b]).unwrap();
    // One of two replicas is no majority: b is slashed for missing, a released, and
    // the job re-queued, which after expiry means refundable.
    assert_eq!(env.stake_of(&b.pubkey()).amount, MIN_WORKER_STAKE - MIN_WORKER_STAKE / 10);
    assert_eq!(env.job(job).status, JobStatus::Open);
    env.crank(env.protocol.refund_job(job, poster.token)).unwrap();
    assert_eq!(env.balance(&poster.token), 100 * IGN);
    env.assert_reconciled();
}

#[test]
fn each_replica_keeps_its_own_deadline_after_the_job_expires() {
    // The attack: after expiry, an early replica's reveal locked out a replica that
    // was assigned late, which was then slashed before its own deadline; and a replica
    // that committed in time after expiry could never reveal.
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let (early, late) = (env.kernel_operator(), env.kernel_operator());
    let job = env.post_matmul(&poster, N, 2, REWARD).unwrap();
    let expires_at = env.job(job).expires_at;
    env.assign(job, &early.pubkey()).unwrap();
    let truth = matmul_result_hash(&env.job(job).seed, N);
    env.commit(&early, job, truth, salt(1)).unwrap();
    env.warp(3_600 - 10);
    env.assign(job, &late.pubkey()).unwrap(); // deadline: expiry + 290 s
    env.warp(20);
    assert!(env.now() > expires_at);
    // The late replica can still commit, so nobody may reveal yet.
    assert_ignis_err(env.reveal(&early, job, truth, salt(1)), IgnisError::NotRevealing);
    assert_ignis_err(
        env.crank(env.protocol.expire_assignment(job, late.pubkey(), None)),
        IgnisError::DeadlineNotReached,
    );
    env.warp(200);
    env.commit(&late, job, truth, salt(2)).unwrap();
    assert_eq!(env.job(job).status, JobStatus::Revealing);
    env.reveal(&early, job, truth, salt(1)).unwrap();
    env.reveal(&late, job, truth, salt(2)).unwrap();
    env.rule(job, &[&early, &late], Some(truth)).unwrap();
    let share = (REWARD - REWARD * 500 / 10_000) / 2;
    for op in [&early, &late] {
        assert_eq!(env.balance(&op.token), share, "both paid");
        assert_eq!(env.stake_of(&op.pubkey()).amount, MIN_WORKER_STAKE, "neither slashed");
    }
    env.assert_reconciled();
}
