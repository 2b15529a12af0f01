//! The economic attacks of a rational party with many keys, each played against the
//! program. Every test asserts the attacker's net IGN change, not only the error.
//! (Attacks on a single rule live beside that rule's tests: the pause clock in
//! admin.rs, withheld reveals, colluding majorities and late replicas in kernel.rs,
//! slash self-capture and the dust staker in rewards.rs, wiping a record by
//! re-registering in workers.rs, initializing in the deployer's place and hostile
//! Token-2022 mints in admin.rs.)

use anchor_lang::prelude::Pubkey;
use ignis::{
    constants::*,
    errors::IgnisError,
    state::{EmissionSchedule, JobKind, JobStatus},
};
use ignis_client::{events::*, instructions as ix, pda};
use ignis_program_tests::*;

const DAY: i64 = 86_400;

/// 1 IGN a second, half of it to the work pool, paid at one base unit per work unit.
fn pool_schedule() -> EmissionSchedule {
    EmissionSchedule {
        start: 0,
        initial_rate: IGN,
        halving_interval_seconds: 365 * DAY,
        cap: 1_000_000_000 * IGN,
        initial_work_rate: 1 << 32,
    }
}

fn holdings(env: &Env, users: &[&User]) -> i128 {
    env.holdings(users)
}

fn salt(byte: u8) -> [u8; 32] {
    [byte; 32]
}

#[test]
fn an_unverifiable_result_posted_to_ones_own_worker_earns_nothing_from_the_work_pool() {
    // The attack: post a huge single-replica matmul (n = 16384: 2^42 multiply-adds) to
    // one's own worker, reveal anything, and let the challenge window pass: the pool
    // paid 2^42 work units for a result nobody checked.
    let mut env = Env::with_emission(pool_schedule());
    let (poster, worker) = (env.user(1_000 * IGN), env.kernel_operator());
    env.warp(EPOCH_SECONDS / 2); // the pool fills (within one work-rate epoch)
    let before = holdings(&env, &[&poster, &worker]);
    let reward = 100 * IGN;
    let job = env.post_matmul(&poster, MAX_MATMUL_N_FOR_TEST, 1, reward).unwrap();
    env.assign(job, &worker.pubkey()).unwrap();
    env.commit(&worker, job, [0xab; 32], salt(1)).unwrap();
    env.reveal(&worker, job, [0xab; 32], salt(1)).unwrap();
    env.warp(CHALLENGE_WINDOW + 1);
    env.finalize(job, &[&worker]).unwrap();

    let event = &env.events::<JobFinalized>()[0];
    assert_eq!(event.work_reward, 0, "unverified: nothing from the pool");
    assert_eq!(env.shard_totals().work_paid, 0);
    let fee = reward * 500 / 10_000;
    assert_eq!(
        holdings(&env, &[&poster, &worker]) - before,
        -(fee as i128),
        "attacker net: minus the fee"
    );
    env.assert_reconciled();
}

/// The biggest matmul the program accepts.
const MAX_MATMUL_N_FOR_TEST: u32 = ignis::kernels::MAX_MATMUL_N;

#[test]
fn a_reward_whose_fee_rounds_to_zero_is_refused() {
    // The attack: dust rewards whose 5% fee rounds to 0 make posting to oneself free.
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let min = env.config().min_reward(1);
    assert_eq!(min, 20, "5% of 20 base units is the first whole base unit of fee");
    for (replicas, reward) in [(1u8, min - 1), (1, 19), (3, env.config().min_reward(3) - 1)] {
        let args = ignis::instructions::PostJobArgs {
            kind: JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: 8 },
            replicas,
            reward,
            ..env.job_args()
        };
        assert_ignis_err(env.post(&poster, args).map(|_| ()), IgnisError::RewardTooSmall);
    }
    assert_eq!(env.balance(&poster.token), 100 * IGN, "nothing moved");
    env.post_pow(&poster, 4, min).unwrap();
    env.assert_reconciled();
}

#[test]
fn self_dealt_pow_earns_the_same_pool_pay_as_honest_work_and_loses_the_fee() {
    // PoW is checked on chain, so posting to one's own worker buys real hashes at the
    // pool's rate, like anyone's, and costs the fee on top.
    let mut env = Env::with_emission(pool_schedule());
    let (attacker_poster, attacker_worker) = (env.user(1_000 * IGN), env.worker_operator());
    let (honest_poster, honest_worker) = (env.user(1_000 * IGN), env.worker_operator());
    env.warp(EPOCH_SECONDS / 2);
    env.sync(); // the crank fills the shards' work pools
    let reward = 10 * IGN;
    let difficulty = 12;

    let before = holdings(&env, &[&attacker_poster, &attacker_worker]);
    let own = env.post_pow(&attacker_poster, difficulty, reward).unwrap();
    env.assign(own, &attacker_worker.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(own).seed, &pda::worker(&attacker_worker.pubkey()), difficulty);
    env.submit_pow(&attacker_worker, own, nonce).unwrap();
    let attacker_pool = env.events::<PowSubmitted>()[0].work_reward;
    let attacker_net = holdings(&env, &[&attacker_poster, &attacker_worker]) - before;

    let honest_before = env.balance(&honest_worker.token);
    let job = env.post_pow(&honest_poster, difficulty, reward).unwrap();
    env.assign(job, &honest_worker.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&honest_worker.pubkey()), difficulty);
    env.submit_pow(&honest_worker, job, nonce).unwrap();
    let honest_pool = env.events::<PowSubmitted>()[0].work_reward;
    let honest_net = i128::from(env.balance(&honest_worker.token) - honest_before);

    assert_eq!(attacker_pool, 1 << difficulty, "2^12 work units at one base unit each");
    assert_eq!(attacker_pool, honest_pool, "the same verified work earns the same pool pay");
    let fee = (reward * 500 / 10_000) as i128;
    assert_eq!(
        attacker_net,
        attacker_pool as i128 - fee,
        "attacker net: its pool pay less the fee"
    );
    assert!(attacker_net < honest_net, "self-dealing nets less than honest work");
    env.assert_reconciled();
}

#[test]
fn replicas_run_by_one_party_share_one_pool_payment() {
    // The attack: post a 3-replica job to three of one's own keys, compute once, reveal
    // it three times, and collect the work pool three times.
    let mut env = Env::with_emission(pool_schedule());
    let poster = env.user(1_000 * IGN);
    let keys = [env.kernel_operator(), env.kernel_operator(), env.kernel_operator()];
    env.warp(EPOCH_SECONDS / 2);
    env.sync(); // the crank fills the shards' work pools
    let n = 64;
    let units = JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: n }.work_units();
    assert_eq!(units, 256, "64^3 multiply-adds at 1,024 per work unit");
    let reward = 30 * IGN;
    let all: Vec<&User> = std::iter::once(&poster).chain(keys.iter()).collect();
    let before = holdings(&env, &all);
    let job = env.post_matmul(&poster, n, 3, reward).unwrap();
    for key in &keys {
        env.assign(job, &key.pubkey()).unwrap();
    }
    let truth = matmul_result_hash(&env.job(job).seed, n);
    for (i, key) in keys.iter().enumerate() {
        env.commit(key, job, truth, salt(i as u8)).unwrap();
    }
    for (i, key) in keys.iter().enumerate() {
        env.reveal(key, job, truth, salt(i as u8)).unwrap();
    }
    env.rule(job, &[&keys[0], &keys[1], &keys[2]], Some(truth)).unwrap();
    let event = &env.events::<JobFinalized>()[0];
    let per_key = units / 3;
    assert_eq!(event.work_reward, per_key * 3, "the job's work units paid once, split three ways");
    let fee = reward - (reward - reward * 500 / 10_000) / 3 * 3;
    assert_eq!(holdings(&env, &all) - before, (per_key * 3) as i128 - fee as i128, "attacker net");
    env.assert_reconciled();
}

#[test]
fn an_impossible_job_is_never_assigned_so_nobody_is_slashed_for_it() {
    // The attack: post PoW no worker can solve in its window (difficulty 63, 10 s),
    // get the assigned honest workers slashed every round, take the escrow back, and
    // collect part of the slashes as a staker.
    let mut env = Env::new();
    let griefer = env.user(100 * IGN);
    env.stake(&griefer, 50 * IGN).unwrap();
    let honest = env.worker_operator();
    let before = holdings(&env, &[&griefer]);
    let args = ignis::instructions::PostJobArgs {
        kind: JobKind::Pow { difficulty: 63 },
        execution_seconds: 10,
        reward: 10 * IGN,
        ..env.job_args()
    };
    let job = env.post(&griefer, args).unwrap();
    assert_ignis_err(env.assign(job, &honest.pubkey()), IgnisError::JobInfeasible);
    // Only a job it can do with the margin to spare: 12 GH/s x 300 s >= 8 x 2^d.
    assert!(ignis::state::feasible(12_000_000_000, 1 << 38, 300));
    assert!(!ignis::state::feasible(12_000_000_000, 1 << 39, 300));
    env.warp(3_600);
    env.crank(env.protocol.refund_job(job, griefer.token)).unwrap();
    assert_eq!(env.stake_of(&honest.pubkey()).amount, MIN_WORKER_STAKE, "honest worker untouched");
    assert_eq!(holdings(&env, &[&griefer]) - before, 0, "griefer net: 0");
    env.assert_reconciled();
}

#[test]
fn a_worker_declines_at_no_cost_within_its_window_and_a_job_cannot_be_requeued_forever() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let worker = env.worker_operator();
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    env.assign(job, &worker.pubkey()).unwrap();
    env.send(&[ix::decline_assignment(worker.pubkey(), job)], &[&worker.key]).unwrap();
    let state = env.job(job);
    assert_eq!((state.status, state.assigned, state.requeues), (JobStatus::Open, 0, 1));
    let record = env.worker(&worker.pubkey()).unwrap();
    assert_eq!((record.active_jobs, record.jobs_declined, record.jobs_missed), (0, 1, 0));
    assert_eq!(env.stake_of(&worker.pubkey()).amount, MIN_WORKER_STAKE, "declining costs nothing");

    // Past the window (60 s, at most half the execution window) it is the worker's job.
    env.assign(job, &worker.pubkey()).unwrap();
    env.warp(DECLINE_WINDOW_SECONDS + 1);
    assert_ignis_err(
        env.send(&[ix::decline_assignment(worker.pubkey(), job)], &[&worker.key]),
        IgnisError::DeclineWindowClosed,
    );
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&worker.pubkey()), 8);
    env.submit_pow(&worker, job, nonce).unwrap();

    // A job re-queued MAX_REQUEUES times is no longer assigned, and its poster may take
    // the escrow back at once: no counter can overflow into a stuck job.
    let stuck = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    for _ in 0..MAX_REQUEUES {
        env.assign(stuck, &worker.pubkey()).unwrap();
        env.send(&[ix::decline_assignment(worker.pubkey(), stuck)], &[&worker.key]).unwrap();
    }
    assert_ignis_err(env.assign(stuck, &worker.pubkey()), IgnisError::RequeueLimitReached);
    let before = env.balance(&poster.token);
    env.crank(env.protocol.refund_job(stuck, poster.token)).unwrap();
    assert_eq!(env.balance(&poster.token), before + 10 * IGN, "refunded before expiry");
    env.assert_reconciled();
}

#[test]
fn stake_that_arrives_in_the_slot_of_a_fee_earns_none_of_it() {
    // The attack: see a big payout coming, stake just in time (same slot), take a share
    // of its fee, and leave.
    let mut env = Env::new();
    let staker = env.user(100 * IGN);
    env.stake(&staker, 100 * IGN).unwrap();
    let operator = env.worker_operator();
    let poster = env.user(1_000 * IGN);
    let job = env.post_pow(&poster, 8, 1_000 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&operator.pubkey()), 8);
    env.next_slot();

    let jit = env.user(10_000 * IGN);
    let before = holdings(&env, &[&jit]);
    env.deposit(&jit, 10_000 * IGN).unwrap();
    env.submit_pow(&operator, job, nonce).unwrap(); // same slot: a 50 IGN fee
    let fee = 1_000 * IGN * 500 / 10_000;
    env.next_slot();
    // The fee waits in its shard; the deposit cannot bond before every shard was
    // synced after it, so the fee reaches the stakes bonded before it first.
    assert_ignis_err(env.crank(ix::activate_stake(jit.pubkey())), IgnisError::ActivationNotDue);
    env.sync();
    env.crank(ix::activate_stake(jit.pubkey())).unwrap();
    let claim = env.protocol.claim_rewards(jit.pubkey(), jit.token);
    assert_ignis_err(env.send(&[claim], &[&jit.key]), IgnisError::NothingToClaim);
    assert_eq!(holdings(&env, &[&jit]) - before, 0, "JIT staker net: 0");
    // The fee went to the stake that was there: the staker and the operator.
    let rps = env.config().rewards.reward_per_share;
    let owed = env.stake_of(&staker.pubkey()).claimable(rps).unwrap()
        + env.stake_of(&operator.pubkey()).claimable(rps).unwrap();
    assert!(fee - owed <= 2, "{owed} of {fee}");
    env.assert_reconciled();
}

#[test]
fn stake_backing_a_live_job_cannot_leave_before_the_job_settles() {
    // The attack: take a job, start unbonding everything, and withdraw before the miss
    // (or fraud) that would be slashed is found.
    let mut env = Env::new();
    let operator = env.worker_operator();
    let poster = env.user(100 * IGN);
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let before = holdings(&env, &[&operator]);
    env.send(&[ix::request_unstake(operator.pubkey(), MIN_WORKER_STAKE)], &[&operator.key])
        .unwrap();
    env.warp(UNBONDING_SECONDS + 1);
    let withdraw = env.protocol.withdraw(operator.pubkey(), operator.token);
    assert_ignis_err(
        env.send(std::slice::from_ref(&withdraw), &[&operator.key]),
        IgnisError::WorkerHasActiveJobs,
    );
    // The deadline passed long ago: the miss is slashed from the unbonding stake.
    env.crank(env.protocol.expire_assignment(job, operator.pubkey(), None)).unwrap();
    env.send(&[withdraw], &[&operator.key]).unwrap();
    let miss = MIN_WORKER_STAKE / 10;
    assert_eq!(
        holdings(&env, &[&operator]) - before,
        -(miss as i128),
        "attacker net: the miss slash"
    );
    env.assert_reconciled();
}

#[test]
fn settled_jobs_and_empty_stakes_can_be_closed_and_their_rent_returned() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    let close = ix::close_job(job, poster.pubkey());
    assert_ignis_err(env.crank(close.clone()), IgnisError::JobNotSettled);
    env.assign(job, &operator.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&operator.pubkey()), 8);
    env.submit_pow(&operator, job, nonce).unwrap();
    env.sync(); // the crank hands the fee to the stake bonded then
    assert_ignis_err(env.crank(close.clone()), IgnisError::RetentionNotElapsed);
    // Rent goes to the poster only.
    let stranger = env.user(0);
    assert!(env.crank(ix::close_job(job, stranger.pubkey())).is_err());
    env.warp(JOB_RETENTION_SECONDS);
    let rent = env.svm.get_balance(&pda::job(job)).unwrap();
    let lamports = env.svm.get_balance(&poster.pubkey()).unwrap();
    env.crank(close).unwrap();
    assert!(env.svm.get_account(&pda::job(job)).is_none_or(|a| a.lamports == 0));
    assert_eq!(env.svm.get_balance(&poster.pubkey()).unwrap(), lamports + rent);

    // A stake closes once empty and its worker deregistered.
    let close_stake = ix::close_stake(operator.pubkey());
    assert_ignis_err(
        env.send(std::slice::from_ref(&close_stake), &[&operator.key]),
        IgnisError::StakeNotEmpty,
    );
    env.send(&[ix::request_unstake(operator.pubkey(), MIN_WORKER_STAKE)], &[&operator.key])
        .unwrap();
    env.warp(UNBONDING_SECONDS);
    env.send(&[env.protocol.withdraw(operator.pubkey(), operator.token)], &[&operator.key])
        .unwrap();
    // The job's fee was shared by the bonded stake: claim it first.
    assert_ignis_err(
        env.send(std::slice::from_ref(&close_stake), &[&operator.key]),
        IgnisError::StakeNotEmpty,
    );
    env.send(&[env.protocol.claim_rewards(operator.pubkey(), operator.token)], &[&operator.key])
        .unwrap();
    assert_ignis_err(
        env.send(std::slice::from_ref(&close_stake), &[&operator.key]),
        IgnisError::WorkerStillRegistered,
    );
    env.send(&[ix::deregister_worker(operator.pubkey())], &[&operator.key]).unwrap();
    let rent = env.svm.get_balance(&pda::stake(&operator.pubkey())).unwrap();
    let lamports = env.svm.get_balance(&operator.pubkey()).unwrap();
    env.send(&[close_stake], &[&operator.key]).unwrap();
    assert_eq!(
        env.svm.get_balance(&operator.pubkey()).unwrap(),
        lamports + rent - 5_000,
        "rent back, less the fee"
    );
    assert_eq!(env.config().totals.staked, 0);
    env.assert_reconciled();
}

#[test]
fn a_batch_closes_each_settled_job_once_with_its_rent_to_its_own_poster() {
    let mut env = Env::new();
    let alice = env.user(100 * IGN);
    let bob = env.user(100 * IGN);
    let operator = env.worker_operator();
    let settle = |env: &mut Env, poster: &User| {
        let job = env.post_pow(poster, 8, 10 * IGN).unwrap();
        env.assign(job, &operator.pubkey()).unwrap();
        let nonce = find_nonce(&env.job(job).seed, &pda::worker(&operator.pubkey()), 8);
        env.submit_pow(&operator, job, nonce).unwrap();
        job
    };
    let (a1, a2, b1) = (settle(&mut env, &alice), settle(&mut env, &alice), settle(&mut env, &bob));
    let open = env.post_pow(&alice, 8, 10 * IGN).unwrap();
    env.warp(JOB_RETENTION_SECONDS);
    let lamports = |env: &Env, key: &Pubkey| env.svm.get_balance(key).unwrap_or(0);
    let rent = lamports(&env, &pda::job(a1));
    let before = (lamports(&env, &alice.pubkey()), lamports(&env, &bob.pubkey()));

    // An attacker naming itself as a poster takes nothing: the batch fails whole.
    let thief = env.user(0);
    let thief_before = lamports(&env, &thief.pubkey());
    assert_ignis_err(
        env.crank(ix::close_jobs(&[(a1, alice.pubkey()), (b1, thief.pubkey())])),
        IgnisError::Unauthorized,
    );
    // A job still open fails the batch with its rule's error; nothing is closed.
    assert_ignis_err(
        env.crank(ix::close_jobs(&[(a1, alice.pubkey()), (open, alice.pubkey())])),
        IgnisError::JobNotSettled,
    );
    assert_eq!(lamports(&env, &pda::job(a1)), rent);
    assert_eq!(lamports(&env, &thief.pubkey()), thief_before, "attacker net: nothing");
    for bad in [vec![], vec![(a1, alice.pubkey()); 33]] {
        assert_ignis_err(env.crank(ix::close_jobs(&bad)), IgnisError::BatchAccountsMismatch);
    }

    // a1 twice: the second is skipped, as a job another crank closed first would be.
    let batch =
        [(a1, alice.pubkey()), (b1, bob.pubkey()), (a1, alice.pubkey()), (a2, alice.pubkey())];
    env.crank(ix::close_jobs(&batch)).unwrap();
    for job in [a1, a2, b1] {
        assert_eq!(lamports(&env, &pda::job(job)), 0, "job {job} closed");
    }
    assert_eq!(lamports(&env, &alice.pubkey()), before.0 + 2 * rent);
    assert_eq!(lamports(&env, &bob.pubkey()), before.1 + rent);
    // Sent again (a second crank racing the first): every job is skipped, nothing moves.
    env.crank(ix::close_jobs(&batch)).unwrap();
    assert_eq!(lamports(&env, &alice.pubkey()), before.0 + 2 * rent);
    assert_eq!(lamports(&env, &bob.pubkey()), before.1 + rent);
    assert_eq!(env.job(open).status, JobStatus::Open);
    env.assert_reconciled();
}

#[test]
fn work_units_are_priced_per_kernel_by_real_cost() {
    // One unit is one SHA-256 compression; a u32 multiply-add is about a thousand times
    // cheaper, so 1,024 of them make a unit (constants.rs has the basis).
    assert_eq!(JobKind::Pow { difficulty: 20 }.work_units(), 1 << 20);
    assert_eq!(MATMUL_MACS_PER_WORK_UNIT, 1_024);
    for n in [1u32, 8, 64, 100, 16_384] {
        let units = JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: n }.work_units();
        assert_eq!(units, u64::from(n).pow(3).div_ceil(1_024), "n = {n}");
    }
    assert_eq!(
        JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: 16_384 }.work_units(),
        1 << 32,
        "not 2^42"
    );
}

#[test]
fn a_wrong_reveal_in_a_two_replica_job_is_slashed_and_the_honest_replica_paid() {
    // The attack: in a 2-replica job, reveal garbage; without a majority the job was
    // released with no slash, blocking the honest replica's pay, again and again.
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let (honest, liar) = (env.kernel_operator(), env.kernel_operator());
    let reward = 20 * IGN;
    let job = env.post_matmul(&poster, 8, 2, reward).unwrap();
    env.assign(job, &honest.pubkey()).unwrap();
    env.assign(job, &liar.pubkey()).unwrap();
    let truth = matmul_result_hash(&env.job(job).seed, 8);
    let before = holdings(&env, &[&liar]);
    env.commit(&honest, job, truth, salt(1)).unwrap();
    env.commit(&liar, job, [9; 32], salt(2)).unwrap();
    env.reveal(&honest, job, truth, salt(1)).unwrap();
    env.reveal(&liar, job, [9; 32], salt(2)).unwrap();
    env.rule(job, &[&honest, &liar], Some(truth)).unwrap();
    assert_eq!(
        env.balance(&honest.token),
        reward - reward * 500 / 10_000,
        "the honest replica takes the reward"
    );
    assert_eq!(
        holdings(&env, &[&liar]) - before,
        -((MIN_WORKER_STAKE / 2) as i128),
        "liar net: the fraud slash"
    );
    assert_eq!(env.job(job).status, JobStatus::Completed);
    env.assert_reconciled();
}

#[test]
fn the_economics_benchmark_holds_over_a_few_epochs() {
    // The full run (100 epochs) is `cargo run -p ignis-program-tests --bin ignis-economics`.
    let report = ignis_program_tests::economics::run(3);
    let table = ignis_program_tests::economics::table(&report);
    assert!(report.all_hold(), "{table}");
    let row = |name: &str| report.rows.iter().find(|r| r.strategy == name).unwrap().clone();
    assert!(row("honest PoW worker").net > 0 && row("honest kernel worker").net > 0, "{table}");
    assert_eq!(row("griefer posting impossible jobs").net, 0, "{table}");
    assert_eq!(
        row("JIT staker in the payout slot").net + row("JIT staker in the payout slot").staking,
        0,
        "{table}"
    );
    assert!(
        row("self-dealt unverifiable matmul").net < 0
            && row("two sybils outvoting an honest replica").net < 0,
        "{table}"
    );
}

/// `submit_pows` pays each proven job once, from its own shard, to the worker assigned
/// to it. An attacker with a worker of its own tries every way to be paid for work it
/// did not do: naming an honest worker's job, a job twice, a proof short of the
/// difficulty, a shard paired with another's vault, a shard twice. Each refusal fails
/// the whole batch, and its tokens do not move.
#[test]
fn a_batch_of_proofs_pays_each_proven_job_once_from_its_own_shard() {
    let mut env = Env::with_emission(pool_schedule());
    env.warp(EPOCH_SECONDS / 2); // the pool fills
    env.sync();
    let poster = env.user(1_000 * IGN);
    let honest = env.worker_operator();
    let attacker = env.worker_operator();
    // Jobs 0 and 1 (shards 0 and 1) for the attacker; 16 (shard 0) for the honest worker.
    for id in [0, 1, 16] {
        env.post(&poster, ignis::instructions::PostJobArgs { job_id: id, ..env.job_args() })
            .unwrap();
    }
    env.assign(0, &attacker.pubkey()).unwrap();
    env.assign(1, &attacker.pubkey()).unwrap();
    env.assign(16, &honest.pubkey()).unwrap();
    let nonce = |env: &Env, id: u64, operator: &User| {
        find_nonce(&env.job(id).seed, &pda::worker(&operator.pubkey()), 8)
    };
    let (n0, n1) = (nonce(&env, 0, &attacker), nonce(&env, 1, &attacker));
    let honest_nonce = nonce(&env, 16, &honest);
    let bad = find_bad_nonce(&env.job(1).seed, &pda::worker(&attacker.pubkey()), 8);
    let batch = |env: &Env, proofs: &[(u64, u64)]| {
        env.protocol.submit_pows(attacker.pubkey(), attacker.token, proofs)
    };
    let before = env.holdings(&[&attacker]);
    let vaults = env.vaults();

    let mut refusals = vec![
        // The honest worker's job, with the honest worker's own proof.
        (batch(&env, &[(0, n0), (16, honest_nonce)]), IgnisError::NotAssigned),
        // One job twice: the second finds it completed.
        (batch(&env, &[(0, n0), (0, n0)]), IgnisError::JobNotRunning),
        // A proof short of the difficulty.
        (batch(&env, &[(0, n0), (1, bad)]), IgnisError::InsufficientWork),
        (batch(&env, &[]), IgnisError::BatchAccountsMismatch),
    ];
    // Shard 1's account paired with shard 0's vault: paid from the wrong vault.
    let mut wrong_vault = batch(&env, &[(1, n1)]);
    let at = wrong_vault.accounts.len() - 1;
    wrong_vault.accounts[at].pubkey = pda::shard_vault(0);
    refusals.push((wrong_vault, IgnisError::WrongShard));
    // No pair for job 1's shard.
    let mut missing = batch(&env, &[(0, n0), (1, n1)]);
    missing.accounts.truncate(missing.accounts.len() - 2);
    refusals.push((missing, IgnisError::WrongShard));
    // Shard 0 named twice, as if to be paid from it twice.
    let mut twice = batch(&env, &[(0, n0)]);
    let pair = twice.accounts[twice.accounts.len() - 2..].to_vec();
    twice.accounts.extend(pair);
    refusals.push((twice, IgnisError::BatchAccountsMismatch));
    for (ix, error) in refusals {
        assert_ignis_err(env.send(&[ix], &[&attacker.key]), error);
        assert_eq!(env.holdings(&[&attacker]), before, "{error:?}: the attacker gained nothing");
        assert_eq!(env.vaults(), vaults, "{error:?}: no vault moved");
        assert!([0, 1, 16].iter().all(|id| env.job(*id).status == JobStatus::Running));
    }

    // Its own two proofs: paid once each, exactly what the event says, from each job's
    // shard; the honest worker's job is untouched.
    let shards_before = (env.shard(0), env.shard(1));
    env.send(&[batch(&env, &[(1, n1), (0, n0)])], &[&attacker.key]).unwrap();
    let proofs = env.events::<PowsSubmitted>();
    assert_eq!(proofs.len(), 1, "one event for the batch");
    assert_eq!(proofs[0].proofs.iter().map(|p| p.job_id).collect::<Vec<_>>(), vec![1, 0]);
    let paid: u64 = proofs[0].proofs.iter().map(|p| p.paid + p.work_reward).sum();
    assert!(proofs[0].proofs.iter().all(|p| p.paid > 0 && p.work_reward > 0));
    assert_eq!(env.holdings(&[&attacker]), before + i128::from(paid));
    for (shard, (index, job)) in
        [shards_before.0, shards_before.1].iter().zip([(0u8, 0u64), (1, 1)])
    {
        let after = env.shard(index);
        let proof = proofs[0].proofs.iter().find(|p| p.job_id == job).unwrap();
        assert_eq!(shard.escrowed - after.escrowed, env.job(job).reward);
        assert_eq!(after.paid_to_workers - shard.paid_to_workers, proof.paid);
        assert_eq!(after.jobs_completed, shard.jobs_completed + 1);
    }
    assert_eq!(env.job(16).status, JobStatus::Running);
    assert_eq!(env.worker(&attacker.pubkey()).unwrap().active_jobs, 0);
    // Sent again: both jobs are completed, nothing more is paid.
    assert_ignis_err(
        env.send(&[batch(&env, &[(1, n1), (0, n0)])], &[&attacker.key]),
        IgnisError::JobNotRunning,
    );
    assert_eq!(env.holdings(&[&attacker]), before + i128::from(paid));
    env.assert_reconciled();
}
