//! Workers claiming jobs themselves once the orchestrator is silent (`claim_job`), and
//! the orchestrator's `heartbeat` that keeps them from it. The claim follows the
//! assignment's rules exactly, so nothing about it can be gamed that assigning could
//! not; each attack asserts the attacker's net IGN.

use ignis::{errors::IgnisError, state::JobStatus};
use ignis_client::{instructions as ix, pda};
use ignis_program_tests::*;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

fn claim(env: &mut Env, operator: &User, job: u64) -> Result<(), TransactionError> {
    env.send(&[ix::claim_job(operator.pubkey(), job)], &[&operator.key])
}

fn heartbeat(env: &mut Env) -> Result<(), TransactionError> {
    let orchestrator = env.orchestrator.insecure_clone();
    env.send(&[ix::heartbeat(orchestrator.pubkey())], &[&orchestrator])
}

#[test]
fn workers_claim_only_after_the_orchestrator_is_silent_for_the_timeout() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let worker = env.worker_operator();
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();

    // Heard from at initialisation: a claim is refused, and changes nothing.
    assert_ignis_err(claim(&mut env, &worker, job), IgnisError::OrchestratorActive);
    env.warp(ORCHESTRATOR_TIMEOUT_SECONDS - 10);
    heartbeat(&mut env).unwrap();
    env.warp(ORCHESTRATOR_TIMEOUT_SECONDS);
    assert_ignis_err(claim(&mut env, &worker, job), IgnisError::OrchestratorActive);
    assert_eq!(env.job(job).assigned, 0);
    // Only the orchestrator's key beats.
    let stranger = env.user(0);
    assert_ignis_err(
        env.send(&[ix::heartbeat(stranger.pubkey())], &[&stranger.key]),
        IgnisError::NotOrchestrator,
    );

    // Silent past the timeout: the worker claims, does the work and is paid as if
    // assigned.
    env.warp(1);
    claim(&mut env, &worker, job).unwrap();
    let claimed = env.job(job);
    assert_eq!((claimed.status, claimed.assigned), (JobStatus::Running, 1));
    assert_eq!(claimed.assignments[0].worker, pda::worker(&worker.pubkey()));
    assert_eq!(env.worker(&worker.pubkey()).unwrap().active_jobs, 1);
    let before = env.holdings(&[&worker]);
    let nonce = find_nonce(&claimed.seed, &pda::worker(&worker.pubkey()), 8);
    env.submit_pow(&worker, job, nonce).unwrap();
    assert_eq!(env.job(job).status, JobStatus::Completed);
    assert!(env.holdings(&[&worker]) - before >= i128::from(10 * IGN * 95 / 100));

    // The orchestrator back: claims stop at its first heartbeat.
    let next = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    heartbeat(&mut env).unwrap();
    assert_ignis_err(claim(&mut env, &worker, next), IgnisError::OrchestratorActive);
    env.assign(next, &worker.pubkey()).unwrap();
    env.assert_reconciled();
}

#[test]
fn a_claim_follows_every_rule_of_an_assignment() {
    let mut env = Env::new();
    let poster = env.user(1_000 * IGN);
    let (a, b) = (env.worker_operator(), env.worker_operator());
    env.warp(ORCHESTRATOR_TIMEOUT_SECONDS + 1);

    // One replica, two claimants: the chain gives it to the first.
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    claim(&mut env, &a, job).unwrap();
    assert_ignis_err(claim(&mut env, &b, job), IgnisError::JobNotOpen);
    assert_ignis_err(claim(&mut env, &a, job), IgnisError::JobNotOpen);

    // A job nobody can finish in its window (difficulty 60 at the test hashrate).
    let hard = env.post_pow(&poster, 60, 10 * IGN).unwrap();
    assert_ignis_err(claim(&mut env, &b, hard), IgnisError::JobInfeasible);

    // Someone else's worker: the operator signs for its own worker only.
    let open = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    let stranger = env.user(0);
    assert!(claim(&mut env, &stranger, open).is_err(), "a claim without a worker");
    assert_eq!(env.job(open).assigned, 0);

    // Below the minimum stake: not eligible, as for the orchestrator.
    env.send(&[ix::request_unstake(b.pubkey(), 1)], &[&b.key]).unwrap();
    assert_ignis_err(claim(&mut env, &b, open), IgnisError::StakeBelowMinimum);

    // An expired job cannot be claimed.
    env.warp(3_600);
    assert_ignis_err(claim(&mut env, &a, open), IgnisError::JobExpired);

    // Paused: nothing is claimed.
    let spare = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    let admin = env.admin.key.insecure_clone();
    env.send(&[ix::set_paused(admin.pubkey(), true)], &[&admin]).unwrap();
    assert_ignis_err(claim(&mut env, &a, spare), IgnisError::ProtocolPaused);
    env.assert_reconciled();
}

#[test]
fn claiming_and_abandoning_a_job_costs_the_miss_slash() {
    // The attack: with the orchestrator down, grab every open job and do none, to
    // starve honest workers. Each grab holds a job only until its deadline, and costs
    // the grabber the miss slash when it is expired.
    let mut env = Env::new();
    let poster = env.user(1_000 * IGN);
    let attacker = env.worker_operator();
    env.warp(ORCHESTRATOR_TIMEOUT_SECONDS + 1);
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    let before = env.holdings(&[&attacker]);
    claim(&mut env, &attacker, job).unwrap();
    env.warp(env.job_args().execution_seconds + 1);
    let expire = env.protocol.expire_assignment(job, attacker.pubkey(), None);
    env.crank(expire).unwrap();
    let miss = MIN_WORKER_STAKE / 10; // test_params: 10%
    assert_eq!(env.holdings(&[&attacker]) - before, -(miss as i128), "attacker net");
    // The job went back to the queue for an honest worker.
    let honest = env.worker_operator();
    let requeued = env.job(job);
    assert_eq!((requeued.status, requeued.assigned, requeued.requeues), (JobStatus::Open, 0, 1));
    claim(&mut env, &honest, job).unwrap();
    env.assert_reconciled();
}

#[test]
fn a_new_orchestrator_gets_the_full_timeout() {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let worker = env.worker_operator();
    env.warp(ORCHESTRATOR_TIMEOUT_SECONDS + 1);
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    let admin = env.admin.key.insecure_clone();
    let fresh = solana_keypair::Keypair::new();
    env.send(
        &[ix::set_authorities(admin.pubkey(), admin.pubkey(), fresh.pubkey(), fresh.pubkey())],
        &[&admin],
    )
    .unwrap();
    assert_ignis_err(claim(&mut env, &worker, job), IgnisError::OrchestratorActive);
    env.warp(ORCHESTRATOR_TIMEOUT_SECONDS + 1);
    claim(&mut env, &worker, job).unwrap();
}
