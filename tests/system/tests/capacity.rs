//! Proven hardware on a live network: a mixed fleet answers the capacity challenges the
//! orchestrator cranks, as separate processes over JSON-RPC, for many rounds. An honest
//! worker publishes what it measured; a liar claims ten times this machine's hashrate;
//! a flaky worker is off for a minute in the middle. The test prints the proven
//! figures round by round, then checks they and the matcher's choices converge to the
//! truth.

use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use ignis::{instructions::PostJobArgs, state::JobKind};
use ignis_client::pda;
use ignis_system_tests::{one_network_at_a_time, Network, Options, IGN};
use solana_signer::Signer;

/// A challenge every 30 s on average, of up to 5 s of work with 10 s to answer: twenty
/// times more often than a real cluster's (10 minutes, 30 s). The work is the shortest
/// the program takes (`MIN_CHALLENGE_WORK_SECONDS`): the clock counts whole seconds.
const INTERVAL: i64 = 30;
const WORK: i64 = ignis::constants::MIN_CHALLENGE_WORK_SECONDS;
const RUN: Duration = Duration::from_secs(270);
const FLAKY_OFF: (Duration, Duration) = (Duration::from_secs(60), Duration::from_secs(140));
const NAMES: [&str; 3] = ["honest", "liar", "flaky"];

#[derive(Clone, Copy, Debug)]
struct Figures {
    claimed: u64,
    rated: u64,
    proven: u64,
    uptime_bps: u16,
    answered: u64,
    missed: u64,
}

async fn figures(network: &Network, operator: &Pubkey) -> Figures {
    let worker = network.client.worker(operator).await.expect("rpc").expect("registered");
    let capacity = worker.capacity;
    Figures {
        claimed: worker.settings.hashrate,
        rated: worker.effective_hashrate(),
        proven: capacity.proven_hashrate,
        uptime_bps: capacity.uptime_bps(),
        answered: capacity.challenges_answered,
        missed: capacity.challenges_missed,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mixed_fleets_proven_figures_and_the_matchers_choices_converge_to_the_truth() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    // This machine's SHA-256 rate, measured as a worker measures it.
    let cpu = ignis_kernels::select(ignis_kernels::BackendChoice::Cpu).unwrap();
    let machine = ignis_kernels::bench::measure_hashrate(cpu.as_ref(), Duration::from_millis(300));
    drop(cpu);
    let liar_claim = machine * 10;
    let options = Options {
        challenges: Some((INTERVAL, WORK)),
        worker_hashrates: vec![None, Some(liar_claim), None],
        ..Options::default()
    };
    let mut network = Network::start_with(3, dir.path(), options).await;
    let operators = network.operators.clone();

    println!("this machine: {machine} H/s; the liar claims {liar_claim} H/s");
    println!("t (s) | worker | claimed | proven | rated | uptime % | answered | missed");
    let started = Instant::now();
    let (mut flaky_off, mut flaky_back) = (false, false);
    let mut rows = vec![];
    while started.elapsed() < RUN {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let t = started.elapsed();
        if !flaky_off && t >= FLAKY_OFF.0 {
            network.kill_worker(2);
            flaky_off = true;
            println!("t {} s: the flaky worker goes offline", t.as_secs());
        }
        if !flaky_back && t >= FLAKY_OFF.1 {
            network.restart_worker(2, None);
            flaky_back = true;
            println!("t {} s: the flaky worker is back", t.as_secs());
        }
        for (name, operator) in NAMES.iter().zip(&operators) {
            let f = figures(&network, operator).await;
            println!(
                "{} | {name} | {} | {} | {} | {:.1} | {} | {}",
                t.as_secs(),
                f.claimed,
                f.proven,
                f.rated,
                f64::from(f.uptime_bps) / 100.0,
                f.answered,
                f.missed
            );
            rows.push((t, *name, f));
        }
    }
    let [honest, liar, flaky] =
        [0, 1, 2].map(|i| rows.iter().rev().find(|r| r.1 == NAMES[i]).unwrap().2);

    // The liar is caught: its claim cut to well under a third (its truth is a tenth),
    // after a bounded number of challenges: each miss halves its rating, so 10x needs
    // at most ceil(log2(10 / 2)) = 3 misses before an answer proves the truth.
    assert!(liar.rated * 3 < liar.claimed, "the liar's claim is cut: {liar:?}");
    assert!(liar.answered >= 1 && liar.missed >= 1, "{liar:?}");
    let first_cut = rows
        .iter()
        .filter(|r| r.1 == "liar")
        .find(|r| r.2.rated * 3 < r.2.claimed)
        .map(|r| r.2)
        .expect("the liar was cut");
    assert!(
        first_cut.answered + first_cut.missed <= 4 + 1,
        "cut within the bound (plus one challenge between samples): {first_cut:?}"
    );
    // The honest worker proves its claim and keeps it; the flaky one shows its outage.
    assert!(honest.answered >= 4, "many rounds: {honest:?}");
    assert!(honest.rated * 2 >= honest.claimed, "the honest claim stands: {honest:?}");
    assert!(flaky.missed >= 1, "the outage shows: {flaky:?}");
    assert!(flaky.uptime_bps < honest.uptime_bps, "{flaky:?} vs {honest:?}");

    // The matcher's choices follow the proven figures: jobs only the liar's claim
    // could finish in time (PoW in 10 s) go to nobody now, where the claim alone
    // would have won them all.
    let fastest = [honest, liar, flaky].iter().map(|f| f.rated).max().unwrap();
    let difficulty = (0..63u8)
        .rev()
        .find(|d| ignis::state::feasible(liar_claim, 1 << d, 10))
        .expect("a job the claim could finish");
    assert!(
        !ignis::state::feasible(fastest, 1 << difficulty, 10),
        "a job the liar's claim finishes and no proven worker does: 2^{difficulty}, fastest {fastest}"
    );
    let poster = network.poster(1_000).await;
    let first = network.client.shard_totals().await.unwrap().jobs_posted + 1_000_000;
    let job = |id: u64, difficulty: u8| PostJobArgs {
        job_id: id,
        kind: JobKind::Pow { difficulty },
        client_seed: [7; 32],
        reward: IGN,
        replicas: 1,
        execution_seconds: 10,
        ttl_seconds: 3_600,
    };
    network.post(&poster, first, 5, |id| job(id, difficulty)).await;
    // And jobs everyone can do are done.
    network.post(&poster, first + 5, 10, |id| job(id, 12)).await;
    let done = network.settled(first + 5, 10, Duration::from_secs(120)).await;
    let mut by_worker = [0usize; 3];
    for job in &done {
        let worker = job.assignments[0].worker;
        if let Some(i) = operators.iter().position(|o| pda::worker(o) == worker) {
            by_worker[i] += 1;
        }
    }
    println!("small jobs done by honest/liar/flaky: {by_worker:?}");
    assert_eq!(by_worker.iter().sum::<usize>(), 10);
    for id in first..first + 5 {
        let job = network.client.job(id).await.unwrap().expect("posted");
        assert_eq!(job.assigned, 0, "job {id} (2^{difficulty} in 10 s) went to nobody");
    }
    let _ = poster.pubkey();
}
