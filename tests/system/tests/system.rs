//! The network as separate processes (`ignis-localnet`, `ignis-orchestrator`, four
//! `ignis-worker`s), 1,000 jobs of both kinds pushed through it over JSON-RPC, then
//! checked on chain: every job paid exactly once or refunded, every vault reconciled.
//!
//! The binaries come from the same target directory as this test; `scripts/test`
//! builds them first (`cargo b`).

use std::time::{Duration, Instant};

use ignis::{
    instructions::PostJobArgs,
    state::{Job, JobKind, JobStatus},
};
use ignis_client::{pda, token};
use ignis_system_tests::{wait_for, Network, IGN};
use solana_signer::Signer;

const JOBS: u64 = 1_000;
const WORKERS: usize = 4;
/// post_job instructions per transaction (consecutive ids).
const POSTS_PER_TX: u64 = 4;

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_jobs_through_four_workers_are_each_paid_once_or_refunded() {
    let dir = tempfile::tempdir().unwrap();
    let network = Network::start(WORKERS, dir.path()).await;
    let (client, protocol, operators) = (&network.client, &network.protocol, &network.operators);

    // The poster: 1,000 jobs, one in five a matmul with 1 to 3 replicas.
    let poster = network.poster(100_000).await;
    let poster_token = token::associated_account(&poster.pubkey(), &protocol.mint, &protocol.token_program);
    let kind_of = |id: u64| {
        if id % 5 == 4 {
            (JobKind::Kernel { kernel: 1, size: 16 + (id % 17) as u32 }, 1 + (id / 5 % 3) as u8)
        } else {
            (JobKind::Pow { difficulty: 8 + (id % 5) as u8 }, 1)
        }
    };
    let started = Instant::now();
    let first_id = client.config().await.unwrap().next_job_id;
    let mut next = first_id;
    while next < first_id + JOBS {
        let batch: Vec<_> = (next..(next + POSTS_PER_TX).min(first_id + JOBS))
            .map(|id| {
                let (kind, replicas) = kind_of(id);
                let args = PostJobArgs {
                    job_id: id,
                    kind,
                    client_seed: [(id % 251) as u8; 32],
                    reward: IGN + id,
                    replicas,
                    execution_seconds: 120,
                    ttl_seconds: 3_600,
                };
                protocol.post_job(poster.pubkey(), poster_token, args)
            })
            .collect();
        next += batch.len() as u64;
        client.send(&batch, &[&poster]).await.unwrap();
    }
    let posted_in = started.elapsed();

    let ids: Vec<u64> = (first_id..first_id + JOBS).collect();
    let jobs: Vec<Job> = wait_for("every job to settle", Duration::from_secs(900), async || {
        let jobs: Vec<Job> = client.all::<Job>(vec![]).await.ok()?.into_iter().map(|(_, job)| job).collect();
        let settled = jobs.iter().filter(|j| matches!(j.status, JobStatus::Completed | JobStatus::Refunded)).count();
        (settled == JOBS as usize).then_some(jobs)
    })
    .await;
    let settled_in = started.elapsed();
    eprintln!(
        "system: {JOBS} jobs posted in {:.1} s, all settled after {:.1} s ({:.1} jobs/s)",
        posted_in.as_secs_f64(),
        settled_in.as_secs_f64(),
        JOBS as f64 / settled_in.as_secs_f64()
    );

    // Every job is settled once: completed with a valid proof, or refunded.
    let mut completed_replicas = 0u64;
    for job in &jobs {
        assert!(ids.contains(&job.id));
        match (job.status, job.kind) {
            (JobStatus::Completed, JobKind::Pow { difficulty }) => {
                let worker = job.assignments[0].worker;
                assert!(ignis::pow::meets_difficulty(&ignis::pow::pow_hash(&job.seed, &worker, job.pow_nonce), difficulty));
                completed_replicas += 1;
            }
            (JobStatus::Completed, JobKind::Kernel { size, .. }) => {
                let expected = ignis_kernels::matmul::result_hash(&ignis_kernels::matmul::compute(&job.seed, size));
                assert_eq!(job.result_hash, expected, "job {} agreed on the right product", job.id);
                completed_replicas += u64::from(job.replicas);
            }
            (JobStatus::Refunded, _) => {}
            other => panic!("job {} ended as {other:?}", job.id),
        }
    }
    let config = client.config().await.unwrap();
    let totals = &config.totals;
    assert_eq!(totals.jobs_posted, JOBS);
    assert_eq!(totals.jobs_completed + totals.jobs_refunded, JOBS, "each job settled exactly once");
    assert_eq!(totals.escrowed, 0);
    assert_eq!(network.balance(&pda::job_vault()).await, 0, "no escrow is left behind");
    let mut worker_jobs = 0;
    let mut earned = 0;
    for operator in operators {
        let worker = client.worker(operator).await.unwrap().unwrap();
        assert_eq!(worker.active_jobs, 0);
        worker_jobs += worker.jobs_completed;
        earned += worker.earned_total;
    }
    assert_eq!(worker_jobs, completed_replicas, "one payment per completed replica");
    assert_eq!(earned, totals.paid_to_workers);
    assert_eq!(network.balance(&pda::stake_vault()).await, totals.staked + totals.unbonding);
    let rewards = &config.rewards;
    assert_eq!(
        network.balance(&pda::reward_vault()).await,
        rewards.minted + totals.fees + totals.slashed - rewards.claimed - rewards.work_paid,
        "the reward vault reconciles"
    );
    let mint = client.account_data(&protocol.mint).await.unwrap().unwrap();
    let supply = u64::from_le_bytes(mint[36..44].try_into().unwrap());
    assert_eq!(supply, config.genesis_supply + rewards.minted, "supply is genesis plus emission");
}
