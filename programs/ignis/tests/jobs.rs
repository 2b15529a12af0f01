//! post_job, cancel_job, assign_job, refund_job.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_spl::token::spl_token;
use ignis::{
    constants::*,
    errors::IgnisError,
    instructions::PostJobArgs,
    state::{JobKind, JobStatus, Params, Shard, WorkerSettings},
};
use ignis_client::{instructions as ix, pda};
use ignis_program_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[test]
fn post_escrows_the_reward_and_records_the_job() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let id = env.post_pow(&poster, 12, 30 * IGN).unwrap();
    assert_eq!(id, 0);
    let posted = env.events::<ignis_client::events::JobPosted>();
    assert_eq!(posted.len(), 1);
    assert_eq!(
        (posted[0].job_id, posted[0].poster, posted[0].reward),
        (0, poster.pubkey(), 30 * IGN)
    );
    let job = env.job(0);
    assert_eq!(job.id, 0);
    assert_eq!(job.poster, poster.pubkey());
    assert_eq!(job.kind, JobKind::Pow { difficulty: 12 });
    assert_eq!(job.reward, 30 * IGN);
    assert_eq!(job.status, JobStatus::Open);
    assert_eq!(job.assigned, 0);
    assert_eq!(job.posted_at, env.now());
    assert_eq!(job.expires_at, env.now() + 3_600);
    assert_eq!(env.balance(&poster.token), 70 * IGN);
    assert_eq!(env.vaults().shards, 30 * IGN);
    let shard = env.shard(Shard::index_of(id));
    assert_eq!((shard.jobs_posted, shard.escrowed), (1, 30 * IGN), "booked in the job's shard");
    assert_eq!(env.balance(&shard.vault), 30 * IGN, "escrowed in the shard's vault");
    assert_eq!(env.shard_totals().jobs_posted, 1);

    // Ids are sequential, and the same client seed gives different job seeds.
    env.post_pow(&poster, 12, 30 * IGN).unwrap();
    assert_ne!(env.job(1).seed, env.job(0).seed);
    env.assert_reconciled();
}

#[test]
fn post_rejects_bad_arguments_and_loses_nothing() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let base = env.job_args();
    let cases: [(PostJobArgs, IgnisError); 8] = [
        (
            PostJobArgs { kind: JobKind::Pow { difficulty: 64 }, ..base },
            IgnisError::InvalidDifficulty,
        ),
        (PostJobArgs { replicas: 0, ..base }, IgnisError::InvalidReplicaCount),
        (PostJobArgs { replicas: 2, ..base }, IgnisError::InvalidReplicaCount),
        (PostJobArgs { reward: 0, ..base }, IgnisError::RewardTooSmall),
        (
            PostJobArgs { execution_seconds: MIN_EXECUTION_SECONDS - 1, ..base },
            IgnisError::InvalidExecutionWindow,
        ),
        (PostJobArgs { execution_seconds: 601, ..base }, IgnisError::InvalidExecutionWindow),
        (PostJobArgs { ttl_seconds: MIN_JOB_TTL_SECONDS - 1, ..base }, IgnisError::InvalidJobTtl),
        (PostJobArgs { ttl_seconds: 86_401, ..base }, IgnisError::InvalidJobTtl),
    ];
    for (args, expected) in cases {
        let post = env.protocol.post_job(poster.pubkey(), poster.token, args);
        assert_ignis_err(env.send(&[post], &[&poster.key]), expected);
    }
    // More than the poster has: the token program refuses and nothing is created.
    let greedy = PostJobArgs { reward: 100 * IGN + 1, ..base };
    assert_token_err(
        env.post(&poster, greedy).map(|_| ()),
        spl_token::error::TokenError::InsufficientFunds,
    );
    let overflowing = PostJobArgs { reward: u64::MAX, ..base };
    assert_token_err(
        env.post(&poster, overflowing).map(|_| ()),
        spl_token::error::TokenError::InsufficientFunds,
    );
    // Someone else's token account as the source.
    let victim = env.user(50 * IGN);
    let theft = env.protocol.post_job(poster.pubkey(), victim.token, base);
    assert_token_err(
        env.send(&[theft], &[&poster.key]),
        spl_token::error::TokenError::OwnerMismatch,
    );

    assert_eq!(env.balance(&poster.token), 100 * IGN);
    assert_eq!(env.balance(&victim.token), 50 * IGN);
    assert_eq!(env.shard_totals().jobs_posted, 0);
    assert!(env.svm.get_account(&pda::job(0)).is_none_or(|a| a.data.is_empty()));
    env.assert_reconciled();
}

#[test]
fn a_huge_ttl_or_window_overflows_with_a_named_error() {
    let mut env = Env::new();
    let admin = env.admin.key.insecure_clone();
    let open =
        Params { max_execution_seconds: i64::MAX, max_job_ttl_seconds: i64::MAX, ..test_params() };
    env.send(&[ix::update_params(admin.pubkey(), open)], &[&admin]).unwrap();
    let poster = env.user(100 * IGN);
    let forever = PostJobArgs { ttl_seconds: i64::MAX, ..env.job_args() };
    assert_ignis_err(env.post(&poster, forever).map(|_| ()), IgnisError::MathOverflow);

    let operator = env.worker_operator();
    let endless = PostJobArgs { execution_seconds: i64::MAX, ..env.job_args() };
    let job = env.post(&poster, endless).unwrap();
    assert_ignis_err(env.assign(job, &operator.pubkey()), IgnisError::MathOverflow);
    assert_eq!(env.job(job).assigned, 0);
    assert_eq!(env.worker(&operator.pubkey()).unwrap().active_jobs, 0);
    env.assert_reconciled();
}

#[test]
fn cancel_returns_the_exact_escrow_to_the_poster_only_while_unassigned() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let (a, b) =
        (env.post_pow(&poster, 4, 25 * IGN).unwrap(), env.post_pow(&poster, 4, 25 * IGN).unwrap());

    let mallory = env.user(0);
    let mut steal = env.protocol.cancel_job(mallory.pubkey(), a, mallory.token);
    assert_ignis_err(env.send(&[steal.clone()], &[&mallory.key]), IgnisError::Unauthorized);
    // Naming the poster without its signature.
    steal.accounts[0] = anchor_lang::prelude::AccountMeta::new_readonly(poster.pubkey(), false);
    assert_anchor_err(env.send(&[steal], &[&mallory.key]), AnchorError::AccountNotSigner);

    env.send(&[env.protocol.cancel_job(poster.pubkey(), a, poster.token)], &[&poster.key]).unwrap();
    assert_eq!(env.balance(&poster.token), 75 * IGN);
    assert_eq!(env.job(a).status, JobStatus::Cancelled);
    assert_ignis_err(
        env.send(&[env.protocol.cancel_job(poster.pubkey(), a, poster.token)], &[&poster.key]),
        IgnisError::JobNotOpen,
    );

    env.assign(b, &operator.pubkey()).unwrap();
    assert_ignis_err(
        env.send(&[env.protocol.cancel_job(poster.pubkey(), b, poster.token)], &[&poster.key]),
        IgnisError::JobNotOpen,
    );
    assert_eq!(env.vaults().shards, 25 * IGN);
    assert_eq!(env.shard_totals().jobs_cancelled, 1);
    env.assert_reconciled();
}

#[test]
fn assign_gives_the_job_to_an_eligible_worker() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let state = env.job(job);
    assert_eq!(state.status, JobStatus::Running);
    assert_eq!(state.assigned, 1);
    assert_eq!(state.assignments[0].worker, pda::worker(&operator.pubkey()));
    assert_eq!(state.assignments[0].assigned_at, env.now());
    assert_eq!(state.assignments[0].deadline, env.now() + 300);
    assert_eq!(env.worker(&operator.pubkey()).unwrap().active_jobs, 1);
    // Assigning a running job again fails.
    assert_ignis_err(env.assign(job, &operator.pubkey()), IgnisError::JobNotOpen);
    env.assert_reconciled();
}

#[test]
fn only_the_orchestrator_assigns() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    // The operator tries to assign itself.
    let selfish = ix::assign_job(operator.pubkey(), job, operator.pubkey());
    assert_ignis_err(env.send(&[selfish], &[&operator.key]), IgnisError::NotOrchestrator);
    let admin = env.admin.key.insecure_clone();
    assert_ignis_err(
        env.send(&[ix::assign_job(admin.pubkey(), job, operator.pubkey())], &[&admin]),
        IgnisError::NotOrchestrator,
    );
    assert_eq!(env.job(job).assigned, 0);
}

#[test]
fn assign_rejects_ineligible_incapable_cheap_and_busy_workers() {
    let mut env = Env::new();
    let poster = env.user(1_000 * IGN);
    let operator = env.worker_operator();
    let update = |env: &mut Env, settings: WorkerSettings| {
        let ix = ix::update_worker(operator.pubkey(), settings);
        env.send(&[ix], &[&operator.key]).unwrap();
    };
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();

    update(&mut env, WorkerSettings { accepting_jobs: false, ..worker_settings() });
    assert_ignis_err(env.assign(job, &operator.pubkey()), IgnisError::WorkerNotAccepting);

    update(
        &mut env,
        WorkerSettings { supported_kernels: 1 << KERNEL_MATMUL_U32, ..worker_settings() },
    );
    assert_ignis_err(env.assign(job, &operator.pubkey()), IgnisError::KernelNotSupported);

    update(&mut env, WorkerSettings { min_price: 10 * IGN + 1, ..worker_settings() });
    assert_ignis_err(env.assign(job, &operator.pubkey()), IgnisError::PriceBelowWorkerMinimum);

    update(
        &mut env,
        WorkerSettings { min_price: 10 * IGN, max_concurrent_jobs: 1, ..worker_settings() },
    );
    env.assign(job, &operator.pubkey()).unwrap();
    let second = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    assert_ignis_err(env.assign(second, &operator.pubkey()), IgnisError::WorkerAtCapacity);

    // A stake account that is not the operator's.
    let other = env.worker_operator();
    let orchestrator = env.orchestrator.insecure_clone();
    let mut forged = ix::assign_job(orchestrator.pubkey(), second, other.pubkey());
    forged.accounts[4].pubkey = pda::stake(&operator.pubkey());
    assert_anchor_err(env.send(&[forged], &[&orchestrator]), AnchorError::ConstraintSeeds);

    // Stake falls below the minimum after a raise of the minimum.
    let admin = env.admin.key.insecure_clone();
    let stricter = Params { min_worker_stake: MIN_WORKER_STAKE + 1, ..test_params() };
    env.send(&[ix::update_params(admin.pubkey(), stricter)], &[&admin]).unwrap();
    assert_ignis_err(env.assign(second, &other.pubkey()), IgnisError::StakeBelowMinimum);

    // An unregistered "worker".
    let stranger = Keypair::new();
    assert_anchor_err(env.assign(second, &stranger.pubkey()), AnchorError::AccountNotInitialized);

    assert_eq!(env.job(second).assigned, 0);
    env.assert_reconciled();
}

#[test]
fn assign_refuses_an_expired_job() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.warp(3_600);
    assert_ignis_err(env.assign(job, &operator.pubkey()), IgnisError::JobExpired);
}

#[test]
fn refund_returns_the_exact_escrow_after_expiry_to_the_poster_only() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let job = env.post_pow(&poster, 4, 33 * IGN).unwrap();
    let refund = env.protocol.refund_job(job, poster.token);
    assert_ignis_err(env.crank(refund.clone()), IgnisError::JobNotExpired);
    env.warp(3_599);
    assert_ignis_err(env.crank(refund.clone()), IgnisError::JobNotExpired);
    env.warp(1);

    let mallory = env.user(0);
    assert_ignis_err(
        env.crank(env.protocol.refund_job(job, mallory.token)),
        IgnisError::WrongTokenOwner,
    );

    env.crank(refund.clone()).unwrap();
    assert_eq!(env.balance(&poster.token), 100 * IGN);
    assert_eq!(env.vaults().shards, 0);
    assert_eq!(env.job(job).status, JobStatus::Refunded);
    assert_eq!(env.shard_totals().jobs_refunded, 1);
    assert_ignis_err(env.crank(refund), IgnisError::JobNotOpen);
    env.assert_reconciled();
}

#[test]
fn refund_waits_for_live_assignments_to_be_expired() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let operator = env.worker_operator();
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.warp(3_500);
    env.assign(job, &operator.pubkey()).unwrap();
    env.warp(100);
    let refund = env.protocol.refund_job(job, poster.token);
    assert_ignis_err(env.crank(refund.clone()), IgnisError::JobNotOpen);
    env.warp(300);
    env.crank(env.protocol.expire_assignment(job, operator.pubkey(), None)).unwrap();
    env.crank(refund).unwrap();
    assert_eq!(env.balance(&poster.token), 100 * IGN);
    env.assert_reconciled();
}

/// Off chain the program runs natively, yet its transactions log as on a real
/// validator: Anchor's clients and log-based indexers depend on these lines.
#[test]
fn transactions_log_the_instruction_and_the_named_error_as_a_validator_does() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let program = ignis::ID;

    let refused = PostJobArgs { reward: 0, ..env.job_args() };
    assert_ignis_err(env.post(&poster, refused).map(|_| ()), IgnisError::RewardTooSmall);
    let logs = env.last_logs.clone();
    let code = u32::from(IgnisError::RewardTooSmall);
    let expected_error = format!(
        "Error Code: RewardTooSmall. Error Number: {code}. Error Message: {}.",
        IgnisError::RewardTooSmall
    );
    assert_eq!(logs.first(), Some(&format!("Program {program} invoke [1]")), "{logs:#?}");
    assert!(logs.contains(&"Program log: Instruction: PostJob".to_owned()), "{logs:#?}");
    assert!(
        logs.iter()
            .any(|l| l.starts_with("Program log: AnchorError") && l.ends_with(&expected_error)),
        "{logs:#?}"
    );
    assert_eq!(
        logs.last(),
        Some(&format!("Program {program} failed: custom program error: {code:#x}")),
        "{logs:#?}"
    );

    env.post(&poster, env.job_args()).unwrap();
    let logs = env.last_logs.clone();
    assert!(logs.contains(&"Program log: Instruction: PostJob".to_owned()), "{logs:#?}");
    // The escrow transfer is a CPI, logged one level deeper.
    let token = spl_token::ID;
    assert!(logs.contains(&format!("Program {token} invoke [2]")), "{logs:#?}");
    assert_eq!(logs.last(), Some(&format!("Program {program} success")), "{logs:#?}");
}

/// Posters pick their jobs' ids: any unused id is taken, in any order, by anyone, and an
/// id in use is refused by the runtime (the job account exists) with nothing lost.
#[test]
fn posters_pick_their_own_ids_and_an_id_in_use_is_refused() {
    let mut env = Env::new();
    let (alice, bob) = (env.user(100 * IGN), env.user(100 * IGN));
    let big = ignis_client::instructions::fresh_job_id();
    for (poster, id) in [(&alice, big), (&bob, 7), (&alice, 3)] {
        env.post(poster, PostJobArgs { job_id: id, ..env.job_args() }).unwrap();
        assert_eq!((env.job(id).id, env.job(id).poster), (id, poster.pubkey()));
    }
    assert_eq!(env.shard_totals().jobs_posted, 3, "the shards count posts");

    let (before, escrowed) = (env.balance(&bob.token), env.job(7).reward);
    let taken = env.post(&bob, PostJobArgs { job_id: 7, ..env.job_args() });
    assert!(
        matches!(
            taken,
            Err(solana_transaction_error::TransactionError::InstructionError(
                0,
                solana_instruction_error::InstructionError::Custom(0)
            ))
        ),
        "the System program's AccountAlreadyInUse: {taken:?}"
    );
    assert_eq!(env.balance(&bob.token), before, "nothing lost");
    assert_eq!((env.job(7).poster, env.job(7).reward), (bob.pubkey(), escrowed));
    env.assert_reconciled();
}

#[test]
fn a_batch_assigns_each_job_once_skips_lost_races_and_fails_whole_on_the_workers_rules() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    // Room for two jobs at once (`worker_settings`).
    let operator = env.worker_operator();
    let jobs: Vec<u64> = (0..3).map(|_| env.post_pow(&poster, 8, 10 * IGN).unwrap()).collect();
    let orchestrator = env.orchestrator.insecure_clone();
    let batch = |ids: &[u64]| ix::assign_jobs(orchestrator.pubkey(), ids, operator.pubkey());
    let active = |env: &Env| env.worker(&operator.pubkey()).unwrap().active_jobs;

    let stranger = env.user(0);
    assert_ignis_err(
        env.send(&[ix::assign_jobs(stranger.pubkey(), &jobs, operator.pubkey())], &[&stranger.key]),
        IgnisError::NotOrchestrator,
    );
    // Three jobs for a worker with room for two: the third fails the batch whole.
    assert_ignis_err(env.send(&[batch(&jobs)], &[&orchestrator]), IgnisError::WorkerAtCapacity);
    assert!(jobs.iter().all(|id| env.job(*id).status == JobStatus::Open));
    assert_eq!(active(&env), 0);
    for bad in [vec![], vec![jobs[1]; 33]] {
        assert_ignis_err(
            env.send(&[batch(&bad)], &[&orchestrator]),
            IgnisError::BatchAccountsMismatch,
        );
    }

    // The poster cancels the first job after it was matched: the batch skips it and
    // assigns the others, each once though the second is named twice.
    env.send(&[env.protocol.cancel_job(poster.pubkey(), jobs[0], poster.token)], &[&poster.key])
        .unwrap();
    env.send(&[batch(&[jobs[0], jobs[1], jobs[1], jobs[2]])], &[&orchestrator]).unwrap();
    assert_eq!(env.job(jobs[0]).status, JobStatus::Cancelled);
    for id in &jobs[1..] {
        let job = env.job(*id);
        assert_eq!((job.status, job.assigned), (JobStatus::Running, 1));
        assert_eq!(job.assignments[0].worker, pda::worker(&operator.pubkey()));
    }
    assert_eq!(active(&env), 2);
    // Sent again, as by a second orchestrator that lost the race: all skipped.
    env.send(&[batch(&jobs[1..])], &[&orchestrator]).unwrap();
    assert_eq!(active(&env), 2);

    // The batch's assignments are ordinary ones: proven work is paid.
    let before = env.balance(&operator.token);
    let nonce = find_nonce(&env.job(jobs[1]).seed, &pda::worker(&operator.pubkey()), 8);
    env.submit_pow(&operator, jobs[1], nonce).unwrap();
    assert!(env.balance(&operator.token) > before);
    assert_eq!(active(&env), 1);
    env.assert_reconciled();
}

/// `post_jobs`: a poster's jobs of one shard in one instruction, each under `post_job`'s
/// rules, all or nothing; one escrow transfer of their rewards and one event.
#[test]
fn a_batch_posts_jobs_of_one_shard_all_or_nothing_under_the_rules_of_one_post() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let template = env.job_args();
    let args = |id: u64, reward: u64| PostJobArgs { job_id: id, reward, ..template };
    let send = |env: &mut Env, jobs: &[PostJobArgs]| {
        let ix = env.protocol.post_jobs(poster.pubkey(), poster.token, jobs);
        env.send(&[ix], &[&poster.key])
    };
    let lamports = |env: &Env| env.svm.get_balance(&poster.pubkey()).unwrap();
    let before = (env.balance(&poster.token), env.vaults(), lamports(&env));

    // Each refusal loses nothing and posts nothing.
    let refusals = [
        // A job of another shard (3 is in shard 3, not 2).
        (vec![args(2, 5 * IGN), args(3, 5 * IGN)], Some(IgnisError::WrongShard)),
        // One job under the minimum reward.
        (vec![args(2, 5 * IGN), args(18, 0)], Some(IgnisError::RewardTooSmall)),
        // An empty batch and one over MAX_BATCH_JOBS.
        (vec![], Some(IgnisError::BatchAccountsMismatch)),
        ((0..33).map(|i| args(2 + 16 * i, IGN)).collect(), Some(IgnisError::BatchAccountsMismatch)),
        // The same id twice: the System program refuses the second account.
        (vec![args(2, 5 * IGN), args(2, 5 * IGN)], None),
    ];
    for (jobs, expected) in refusals {
        let result = send(&mut env, &jobs);
        match expected {
            Some(error) => assert_ignis_err(result, error),
            // The System program's AccountAlreadyInUse, as for an id in use.
            None => assert!(
                matches!(
                    result,
                    Err(solana_transaction_error::TransactionError::InstructionError(
                        0,
                        solana_instruction_error::InstructionError::Custom(0)
                    ))
                ),
                "{result:?}"
            ),
        }
        assert_eq!((env.balance(&poster.token), env.vaults()), (before.0, before.1));
        assert!(env.account::<ignis::state::Job>(&pda::job(2)).is_none());
    }
    // Accounts that are not the jobs' PDAs, in the arguments' order.
    let mut swapped =
        env.protocol.post_jobs(poster.pubkey(), poster.token, &[args(2, IGN), args(18, IGN)]);
    let last = swapped.accounts.len() - 1;
    swapped.accounts.swap(last - 1, last);
    assert_ignis_err(env.send(&[swapped], &[&poster.key]), IgnisError::BatchAccountsMismatch);

    // Someone funds a job's address first to block its id: it is posted all the same.
    let funded = env.svm.minimum_balance_for_rent_exemption(0);
    env.svm.airdrop(&pda::job(34), funded).unwrap();
    let jobs = [args(2, 5 * IGN), args(18, 7 * IGN), args(34, 9 * IGN)];
    send(&mut env, &jobs).unwrap();
    let posted = env.events::<ignis_client::events::JobsPosted>();
    assert_eq!(posted.len(), 1, "one event for the batch");
    assert_eq!(posted[0].jobs.iter().map(|j| j.job_id).collect::<Vec<_>>(), vec![2, 18, 34]);
    for args in &jobs {
        let job = env.job(args.job_id);
        assert_eq!(
            (job.poster, job.reward, job.status),
            (poster.pubkey(), args.reward, JobStatus::Open)
        );
        assert_eq!(
            job.seed,
            ignis::pow::job_seed(args.job_id, &poster.pubkey(), &args.client_seed)
        );
    }
    assert_eq!(env.balance(&poster.token), before.0 - 21 * IGN, "the rewards, escrowed");
    assert_eq!(env.shard(2).escrowed, 21 * IGN);
    assert_eq!(env.shard(2).jobs_posted, 3);
    // The poster paid each job's rent (less what job 34's address already held) and
    // the fees of the transactions it signed.
    let rent = env.svm.get_balance(&pda::job(2)).unwrap();
    assert_eq!(env.svm.get_balance(&pda::job(34)).unwrap(), rent);
    let spent = before.2 - lamports(&env);
    assert!(
        spent >= 3 * rent - funded && spent <= 3 * rent - funded + 100_000,
        "{spent} vs rent {rent}"
    );
    env.assert_reconciled();

    // Ordinary jobs: a worker takes one and is paid for proven work.
    let operator = env.worker_operator();
    env.assign(18, &operator.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(18).seed, &pda::worker(&operator.pubkey()), 8);
    env.submit_pow(&operator, 18, nonce).unwrap();
    assert_eq!(env.job(18).status, JobStatus::Completed);
    env.assert_reconciled();
}
