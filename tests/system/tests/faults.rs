//! The fault suite: the network as separate processes with faults injected, each test
//! ending in `Network::audit` (every job settled exactly once, each completed replica
//! paid once, vaults and supply reconciled). Each test prints what was injected and
//! what held.

use std::time::{Duration, Instant};

use ignis::{
    instructions::PostJobArgs,
    pow::{meets_difficulty, pow_hash},
    state::{GpuInfo, Job, JobKind, JobStatus, WorkerSettings},
};
use ignis_client::{bootstrap, instructions, pda, token};
use ignis_system_tests::{one_network_at_a_time, proxy::FaultPlan, Network, Options, IGN};
use ignis_test_support::postgres::Postgres;
use rand::Rng;
use solana_signer::Signer;

const SETTLE_WITHIN: Duration = Duration::from_secs(600);

fn pow_job(id: u64, difficulty: u8, execution_seconds: i64) -> PostJobArgs {
    PostJobArgs {
        job_id: id,
        kind: JobKind::Pow { difficulty },
        client_seed: [(id % 251) as u8; 32],
        reward: IGN / 10 + id,
        replicas: 1,
        execution_seconds,
        ttl_seconds: 3_600,
    }
}

fn matmul_job(id: u64, size: u32, replicas: u8, execution_seconds: i64) -> PostJobArgs {
    PostJobArgs {
        kind: JobKind::Kernel { kernel: 1, size },
        replicas,
        ..pow_job(id, 0, execution_seconds)
    }
}

/// Two in five jobs are matmuls (1 or 2 replicas), so every crash point is reached.
fn mixed_job(id: u64) -> PostJobArgs {
    match id % 5 {
        1 | 3 => matmul_job(id, 96 + (id % 3) as u32 * 32, 1 + (id % 2) as u8, 20),
        _ => pow_job(id, 16 + (id % 4) as u8, 20),
    }
}

async fn next_job_id(network: &Network) -> u64 {
    network.client.shard_totals().await.expect("shards").jobs_posted
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_killed_at_random_moments_lose_nothing_and_pay_nothing_twice() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let mut network = Network::start(4, dir.path()).await;
    // Workers 0 to 2 abort at one crash point each, three times over; worker 3 is
    // SIGKILLed at random moments.
    let points = [
        ignis_worker::fault::AFTER_NONCE_FOUND,
        ignis_worker::fault::MID_KERNEL,
        ignis_worker::fault::AFTER_COMMIT,
    ];
    const CRASHES_PER_POINT: usize = 3;
    const KILLS: usize = 5;
    for (index, point) in points.iter().enumerate() {
        network.restart_worker(index, Some(point));
    }

    const JOBS: u64 = 400;
    let poster = network.poster(10_000).await;
    let first = next_job_id(&network).await;
    network.post(&poster, first, JOBS, mixed_job).await;

    let mut crashes = [0usize; 3];
    let mut kills = 0;
    let mut next_kill =
        Instant::now() + Duration::from_millis(rand::thread_rng().gen_range(200..800));
    let started = Instant::now();
    loop {
        for (index, point) in points.iter().enumerate() {
            if network.worker_exited(index) {
                crashes[index] += 1;
                let again = (crashes[index] < CRASHES_PER_POINT).then_some(*point);
                network.restart_worker(index, again);
            }
        }
        if kills < KILLS && Instant::now() >= next_kill {
            network.kill_worker(3);
            network.restart_worker(3, None);
            kills += 1;
            next_kill =
                Instant::now() + Duration::from_millis(rand::thread_rng().gen_range(200..800));
        }
        let settled =
            network.client.shard_totals().await.map(|t| t.jobs_completed + t.jobs_refunded);
        if settled.is_ok_and(|settled| settled == JOBS) {
            break;
        }
        assert!(
            started.elapsed() < SETTLE_WITHIN,
            "jobs did not settle; crashes {crashes:?}, kills {kills}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    network.settled(first, JOBS, SETTLE_WITHIN).await;
    let audit = network.audit().await;
    eprintln!(
        "faults/workers: injected {} aborts after a nonce was found, {} mid-kernel, {} between commit and reveal, \
         and {kills} SIGKILLs at random moments; held: {JOBS} jobs, {audit}",
        crashes[0], crashes[1], crashes[2]
    );
    for (point, count) in points.iter().zip(crashes) {
        assert!(count >= 1, "the {point} crash point was reached");
    }
    assert_eq!(audit.completed + audit.refunded, JOBS);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_orchestrator_killed_and_restarted_loses_no_job_and_assigns_none_twice() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let mut network = Network::start(2, dir.path()).await;
    let poster = network.poster(10_000).await;
    let first = next_job_id(&network).await;
    const WAVE: u64 = 100;
    let job = |id| {
        if id % 4 == 0 {
            matmul_job(id, 32, 1 + (id % 3) as u8 % 2, 30)
        } else {
            pow_job(id, 12, 30)
        }
    };

    network.post(&poster, first, WAVE, job).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    network.kill_orchestrator();
    // Posted while no orchestrator runs: found by the restarted one's first read.
    network.post(&poster, first + WAVE, WAVE, job).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    network.restart_orchestrator();
    network.post(&poster, first + 2 * WAVE, WAVE, job).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    network.kill_orchestrator();
    tokio::time::sleep(Duration::from_millis(500)).await;
    network.restart_orchestrator();

    network.settled(first, 3 * WAVE, SETTLE_WITHIN).await;
    let audit = network.audit().await;
    eprintln!(
        "faults/orchestrator: injected 2 SIGKILLs and restarts (one with {WAVE} jobs posted while it was down); \
         held: {} jobs, {audit}",
        3 * WAVE
    );
    assert_eq!(audit.completed + audit.refunded, 3 * WAVE);
}

#[tokio::test(flavor = "multi_thread")]
async fn rpc_calls_that_fail_drop_and_stall_lose_nothing() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let options = Options { rpc_faults: Some(FaultPlan::hostile()), ..Options::default() };
    let network = Network::start_with(3, dir.path(), options).await;

    const JOBS: u64 = 150;
    let poster = network.poster(10_000).await;
    let first = next_job_id(&network).await;
    network
        .post(&poster, first, JOBS, |id| {
            if id % 3 == 0 {
                matmul_job(id, 32, 1 + (id % 2) as u8, 30)
            } else {
                pow_job(id, 12, 30)
            }
        })
        .await;
    network.settled(first, JOBS, SETTLE_WITHIN).await;
    let audit = network.audit().await;
    let proxy = network.proxy.as_ref().expect("the fault proxy");
    eprintln!("faults/rpc: the orchestrator and 3 workers went through a proxy that injected: {}; held: {JOBS} jobs, {audit}", proxy.counts);
    use std::sync::atomic::Ordering::Relaxed;
    let counts = &proxy.counts;
    for (what, count) in [
        ("dropped before forwarding", &counts.dropped_before),
        ("dropped after forwarding", &counts.dropped_after),
        ("delayed", &counts.delayed),
        ("HTTP errors", &counts.http_errors),
        ("JSON-RPC errors", &counts.rpc_errors),
    ] {
        assert!(count.load(Relaxed) > 0, "no request was {what}");
    }
    assert_eq!(audit.completed + audit.refunded, JOBS);
}

/// What the malicious operator tried, and how each attempt was refused.
#[derive(Default, Debug)]
struct Attempts {
    wrong_nonces: u32,
    replayed_nonces: u32,
    foreign_jobs: u32,
    wrong_results: u32,
    malformed: u32,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malicious_worker_is_refused_with_named_errors_and_gains_nothing() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let network = Network::start(1, dir.path()).await;
    let (client, protocol) = (&network.client, &network.protocol);
    let honest = network.operators[0];

    // The attacker stakes and registers like anyone; the orchestrator cannot tell.
    let attacker = network.poster(1_000).await;
    let me = attacker.pubkey();
    let settings = WorkerSettings {
        gpu: GpuInfo { model: "cpu".into(), vram_mb: 16_384, compute_capability: 0 },
        supported_kernels: 0b11,
        hashrate: 50_000_000,
        min_price: 0,
        max_concurrent_jobs: 64,
        accepting_jobs: true,
    };
    bootstrap::stake_and_register(client, protocol, &attacker, 600 * IGN, settings)
        .await
        .expect("register");
    let my_worker = pda::worker(&me);
    let my_token = token::associated_account(&me, &protocol.mint, &protocol.token_program);
    let tokens_before = network.balance(&my_token).await;
    let stake_before = client.stake(&me).await.unwrap().unwrap().amount;

    const JOBS: u64 = 40;
    let poster = network.poster(10_000).await;
    let first = next_job_id(&network).await;
    network
        .post(&poster, first, JOBS, |id| {
            if id % 5 == 0 {
                matmul_job(id, 32, 1, 10)
            } else {
                pow_job(id, 10, 10)
            }
        })
        .await;

    let refused = |result: Result<_, ignis_client::rpc::ClientError>, expected: &str| {
        let err = result.expect_err("the program refused");
        let name = err.program_error().map(|info| info.name).unwrap_or_default();
        assert_eq!(name, expected, "refused with the named error ({err})");
    };
    let mut attempts = Attempts::default();
    let (mut attacked, mut revealed) =
        (std::collections::HashSet::new(), std::collections::HashSet::new());
    const WRONG_PRODUCT: [u8; 32] = [0xEE; 32];
    const SALT: [u8; 32] = [7; 32];
    let started = Instant::now();
    loop {
        let jobs: Vec<Job> =
            client.all::<Job>(vec![]).await.unwrap().into_iter().map(|(_, job)| job).collect();
        let honest_nonce = jobs
            .iter()
            .find(|job| {
                job.status == JobStatus::Completed && matches!(job.kind, JobKind::Pow { .. })
            })
            .map(|job| (job.seed, job.pow_nonce));
        for job in &jobs {
            let mine = job.assignment_index(&my_worker).is_some();
            match (job.kind, job.status) {
                (JobKind::Pow { difficulty }, JobStatus::Running)
                    if mine && attacked.insert(job.id) =>
                {
                    // A nonce that does not meet the difficulty for this worker.
                    let wrong = (0..)
                        .find(|n| {
                            !meets_difficulty(&pow_hash(&job.seed, &my_worker, *n), difficulty)
                        })
                        .unwrap();
                    refused(
                        client
                            .send(&[protocol.submit_pow(me, job.id, my_token, wrong)], &[&attacker])
                            .await,
                        "InsufficientWork",
                    );
                    attempts.wrong_nonces += 1;
                    // A nonce an honest worker was paid for, replayed here: it proves work
                    // for another (seed, worker), so it is worthless.
                    if let Some((_, nonce)) = honest_nonce {
                        if !meets_difficulty(&pow_hash(&job.seed, &my_worker, nonce), difficulty) {
                            refused(
                                client
                                    .send(
                                        &[protocol.submit_pow(me, job.id, my_token, nonce)],
                                        &[&attacker],
                                    )
                                    .await,
                                "InsufficientWork",
                            );
                            attempts.replayed_nonces += 1;
                        }
                    }
                }
                (JobKind::Pow { difficulty }, JobStatus::Running)
                    if job.assignment_index(&pda::worker(&honest)).is_some()
                        && attempts.foreign_jobs < 3 =>
                {
                    // The honest worker's job, with a nonce that is valid for the attacker.
                    let valid = (0..)
                        .find(|n| {
                            meets_difficulty(&pow_hash(&job.seed, &my_worker, *n), difficulty)
                        })
                        .unwrap();
                    let result = client
                        .send(&[protocol.submit_pow(me, job.id, my_token, valid)], &[&attacker])
                        .await;
                    // The job may have completed meanwhile; either way it is refused.
                    let name = result
                        .expect_err("refused")
                        .program_error()
                        .map(|info| info.name)
                        .unwrap_or_default();
                    assert!(
                        ["NotAssigned", "JobNotRunning", "DeadlinePassed"].contains(&name),
                        "refused by name, got {name}"
                    );
                    attempts.foreign_jobs += 1;
                }
                (JobKind::Kernel { .. }, JobStatus::Running) if mine && attacked.insert(job.id) => {
                    // A wrong product, committed now and revealed once the job reveals;
                    // the verifier recomputes it and disputes.
                    let commitment =
                        ignis::kernels::result_commitment(&WRONG_PRODUCT, &SALT, &my_worker);
                    client
                        .send(&[instructions::commit_result(me, job.id, commitment)], &[&attacker])
                        .await
                        .expect("commit");
                    attempts.wrong_results += 1;
                }
                (JobKind::Kernel { .. }, JobStatus::Revealing)
                    if mine && revealed.insert(job.id) =>
                {
                    client
                        .send(
                            &[instructions::reveal_result(me, job.id, WRONG_PRODUCT, SALT)],
                            &[&attacker],
                        )
                        .await
                        .expect("reveal");
                }
                _ => {}
            }
        }
        let settled = jobs
            .iter()
            .filter(|j| matches!(j.status, JobStatus::Completed | JobStatus::Refunded))
            .count();
        if settled as u64 == JOBS {
            break;
        }
        assert!(started.elapsed() < SETTLE_WITHIN, "jobs did not settle: {attempts:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // Malformed instruction data and account lists: every one gets a named error.
    let valid = protocol.submit_pow(me, first, my_token, 0);
    let mut rng = rand::thread_rng();
    let mut cases: Vec<(anchor_lang::solana_program::instruction::Instruction, &str)> = vec![];
    for _ in 0..10 {
        let mut ix = valid.clone();
        ix.data = (0..rng.gen_range(0..64)).map(|_| rng.r#gen()).collect();
        // Random bytes (almost surely) start with no instruction's discriminator.
        cases.push((ix, "InstructionFallbackNotFound"));
    }
    for cut in [8, 9, 12, 15] {
        let mut ix = valid.clone();
        ix.data.truncate(cut);
        cases.push((ix, "InstructionDidNotDeserialize"));
    }
    let mut ix = valid.clone();
    ix.accounts.truncate(2);
    cases.push((ix, "AccountNotEnoughKeys"));
    let mut ix = valid.clone();
    ix.accounts.swap(1, 2);
    let swapped = ix;
    for (ix, expected) in cases {
        refused(client.send(&[ix], &[&attacker]).await, expected);
        attempts.malformed += 1;
    }
    // Accounts in the wrong places: refused by an account constraint, whichever.
    let err = client.send(&[swapped], &[&attacker]).await.expect_err("refused");
    assert!(err.program_error().is_some(), "a named error for swapped accounts, got {err}");
    attempts.malformed += 1;

    network.settled(first, JOBS, SETTLE_WITHIN).await;
    let audit = network.audit().await;
    let worker = client.worker(&me).await.unwrap().unwrap();
    let stake_after = client.stake(&me).await.unwrap().unwrap().amount;
    eprintln!(
        "faults/malicious: injected {} wrong nonces, {} replayed nonces, {} submissions to others' jobs, \
         {} wrong matmul results and {} malformed instructions; held: every one refused by name or disputed, \
         the attacker earned 0 and lost {} IGN of stake; {JOBS} jobs, {audit}",
        attempts.wrong_nonces,
        attempts.replayed_nonces,
        attempts.foreign_jobs,
        attempts.wrong_results,
        attempts.malformed,
        (stake_before - stake_after) as f64 / IGN as f64
    );
    assert!(
        attempts.wrong_nonces > 0 && attempts.malformed > 0,
        "the attacker was assigned work: {attempts:?}"
    );
    assert_eq!(worker.jobs_completed, 0, "no job was paid to the attacker");
    assert_eq!(worker.earned_total, 0);
    assert_eq!(
        network.balance(&my_token).await,
        tokens_before,
        "the attacker's tokens did not grow"
    );
    assert!(stake_after < stake_before, "the attacker was slashed for what it did not deliver");
    assert_eq!(audit.completed + audit.refunded, JOBS);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_standby_orchestrator_takes_over_and_every_job_completes_once() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    // Both keep their history in one PostgreSQL.
    let postgres = Postgres::start();
    let options = Options {
        standby_orchestrators: 1,
        database_url: Some(postgres.database("ignis")),
        ..Options::default()
    };
    let mut network = Network::start_with(2, dir.path(), options).await;
    let poster = network.poster(10_000).await;
    let first = next_job_id(&network).await;
    const WAVE: u64 = 100;
    let job = |id| {
        if id % 4 == 0 {
            matmul_job(id, 32, 1 + (id % 2) as u8, 30)
        } else {
            pow_job(id, 12, 30)
        }
    };

    // Both orchestrators match the same jobs: the chain gives each replica to one.
    network.post(&poster, first, WAVE, job).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    // The first dies mid-run; the standby carries on alone.
    network.kill_orchestrator();
    network.post(&poster, first + WAVE, WAVE, job).await;

    network.settled(first, 2 * WAVE, SETTLE_WITHIN).await;
    let audit = network.audit().await;
    eprintln!(
        "faults/standby: two orchestrators, one SIGKILLed after {WAVE} of {} jobs: {audit}",
        2 * WAVE
    );
    assert_eq!((audit.completed, audit.refunded), (2 * WAVE, 0), "every job completed once");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_every_orchestrator_gone_the_workers_claim_and_complete_the_jobs() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let timeout = ignis::constants::MIN_ORCHESTRATOR_TIMEOUT_SECONDS;
    let options = Options { orchestrator_timeout_seconds: Some(timeout), ..Options::default() };
    let mut network = Network::start_with(2, dir.path(), options).await;
    network.kill_every_orchestrator();
    let poster = network.poster(10_000).await;
    let first = next_job_id(&network).await;
    const JOBS: u64 = 40;
    let started = Instant::now();
    network.post(&poster, first, JOBS, |id| pow_job(id, 12, 60)).await;

    // Nobody assigns; once the orchestrator has been silent for the timeout, the
    // workers claim the jobs (the chain gives each to one) and do them.
    let jobs = network.settled(first, JOBS, SETTLE_WITHIN).await;
    let assignees: std::collections::HashSet<_> =
        jobs.iter().map(|job| job.assignments[0].worker).collect();
    let audit = network.audit().await;
    eprintln!(
        "faults/no orchestrator: {JOBS} jobs claimed by {} workers and settled {:.1} s after posting (timeout {timeout} s): {audit}",
        assignees.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!((audit.completed, audit.refunded), (JOBS, 0), "every job completed once");
    assert!(jobs.iter().all(|job| job.status == JobStatus::Completed));
}
