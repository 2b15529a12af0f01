//! Runs the matcher against the index and sends its matches as `assign_jobs`
//! instructions, one per worker and batch, packed into transactions. Matches are
//! tracked as in flight until the index shows them (or the transaction fails), so
//! nothing is assigned twice while the index catches up.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ignis::state::{Job, Worker};
use ignis_client::{
    instructions::assign_jobs,
    rpc::{self, ClientError, ComputeBudget},
};
use rand::{rngs::StdRng, SeedableRng};
use tokio::{sync::Semaphore, task::JoinSet};
use tokio_util::sync::CancellationToken;

use crate::{
    chain::{error_name, is_stale_read},
    index::Index,
    matcher::{weight, JobSpec, Match, Matcher, WorkerSpec},
    Shared,
};

/// Most matches decided per round; the rest wait for the next round.
const MAX_MATCHES_PER_ROUND: usize = 2_000;
/// Assignment transactions in flight at once.
const MAX_CONCURRENT_SENDS: usize = 8;
/// After this an unresolved in-flight match is dropped and the chain trusted again.
const IN_FLIGHT_TTL: Duration = Duration::from_secs(60);
/// Most jobs one `assign_jobs` carries; `pack` fills each transaction with as many
/// workers' batches as fit it.
const ASSIGN_BATCH: usize = 16;
/// A (job, worker) pair the program refused is not tried again for this long.
const REFUSED_PAIR_BACKOFF: Duration = Duration::from_secs(15);

#[derive(Clone, Copy, Debug)]
struct Pending {
    worker: Pubkey,
    sent: Instant,
    /// Slot the transaction landed in, once confirmed.
    landed: Option<u64>,
}

/// Matches sent but not yet seen in the index.
#[derive(Default)]
pub struct InFlight {
    by_job: HashMap<u64, Vec<Pending>>,
    by_worker: HashMap<Pubkey, u32>,
    refused: HashMap<(u64, Pubkey), Instant>,
    /// Matches dropped since the last reconcile: the matcher must look at them again.
    released: Vec<(u64, Pubkey)>,
}

impl InFlight {
    fn add(&mut self, job: u64, worker: Pubkey) {
        self.by_job.entry(job).or_default().push(Pending {
            worker,
            sent: Instant::now(),
            landed: None,
        });
        *self.by_worker.entry(worker).or_default() += 1;
    }

    fn landed(&mut self, job: u64, worker: &Pubkey, slot: u64) {
        if let Some(p) =
            self.by_job.get_mut(&job).and_then(|v| v.iter_mut().find(|p| p.worker == *worker))
        {
            p.landed = Some(slot);
        }
    }

    fn drop_one(&mut self, job: u64, worker: &Pubkey) {
        if let Some(list) = self.by_job.get_mut(&job) {
            let before = list.len();
            list.retain(|p| p.worker != *worker);
            if list.len() < before {
                self.released.push((job, *worker));
                if let Some(n) = self.by_worker.get_mut(worker) {
                    *n -= 1;
                    if *n == 0 {
                        self.by_worker.remove(worker);
                    }
                }
            }
            if list.is_empty() {
                self.by_job.remove(&job);
            }
        }
    }

    pub fn for_job(&self, job: u64) -> impl Iterator<Item = Pubkey> + '_ {
        self.by_job.get(&job).into_iter().flatten().map(|p| p.worker)
    }

    pub fn for_worker(&self, worker: &Pubkey) -> u32 {
        self.by_worker.get(worker).copied().unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.by_job.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_job.is_empty()
    }

    /// Forgets matches the index now shows (both the job and the worker read at or
    /// after the landing slot), and stale ones. Returns the jobs and workers touched.
    fn reconcile(&mut self, index: &Index) -> (Vec<u64>, Vec<Pubkey>) {
        let mut resolved = vec![];
        for (job_id, list) in &self.by_job {
            for p in list {
                let job = index.jobs.get(job_id);
                let seen = match p.landed {
                    Some(slot) => {
                        job.is_some_and(|j| j.slot >= slot)
                            && index.workers.get(&p.worker).is_none_or(|w| w.slot >= slot)
                    }
                    // Outcome unknown (RPC trouble): it landed if the chain shows it.
                    None => job.is_some_and(|j| j.value.assignment_index(&p.worker).is_some()),
                };
                if seen || p.sent.elapsed() > IN_FLIGHT_TTL {
                    resolved.push((*job_id, p.worker));
                }
            }
        }
        for (job, worker) in &resolved {
            self.drop_one(*job, worker);
        }
        let mut touched = std::mem::take(&mut self.released);
        // A refusal that has run its time no longer keeps the worker off the job.
        self.refused.retain(|pair, since| {
            let keep = since.elapsed() < REFUSED_PAIR_BACKOFF;
            if !keep {
                touched.push(*pair);
            }
            keep
        });
        touched.into_iter().unzip()
    }
}

/// What the matcher should know about a chain job at protocol time `now`; `None` when
/// the program would not assign it (`Job::assignable_at`).
pub fn job_spec(job: &Job, now: i64, in_flight: &InFlight) -> Option<JobSpec> {
    if !job.assignable_at(now) {
        return None;
    }
    let mut exclude: Vec<Pubkey> = job.live_assignments().iter().map(|a| a.worker).collect();
    let pending: Vec<Pubkey> = in_flight.for_job(job.id).filter(|w| !exclude.contains(w)).collect();
    let taken = exclude.len() + pending.len();
    exclude.extend(pending);
    exclude.extend(in_flight.refused.keys().filter(|(id, _)| *id == job.id).map(|(_, w)| *w));
    Some(JobSpec {
        id: job.id,
        kernel: job.kind.kernel(),
        memory_mb: job.kind.memory_mb(),
        price: job.price_per_replica(),
        needed: usize::from(job.replicas).saturating_sub(taken) as u8,
        work_units: job.kind.work_units(),
        execution_seconds: job.execution_seconds,
        exclude,
        posted_at: job.posted_at,
        expires_at: job.expires_at,
        sla: job.sla,
    })
}

/// What the matcher should know about a chain worker now.
pub fn worker_spec(
    address: &Pubkey,
    worker: &Worker,
    index: &Index,
    in_flight: &InFlight,
) -> WorkerSpec {
    let s = &worker.settings;
    let stake = index.stake_of(worker).map_or(0, |st| st.amount);
    // The program's rule for `assign_job`'s worker side (pause included).
    let eligible =
        index.program_config().is_some_and(|config| worker.check_eligible(config, stake).is_ok());
    let used = u32::from(worker.active_jobs) + in_flight.for_worker(address);
    WorkerSpec {
        key: *address,
        operator: worker.operator,
        kernels: s.supported_kernels,
        vram_mb: s.gpu.vram_mb,
        min_price: s.min_price,
        hashrate: worker.effective_hashrate(),
        capacity: worker.capacity,
        free: u32::from(s.max_concurrent_jobs).saturating_sub(used),
        weight: if eligible {
            let uptime = worker.capacity.uptime_bps();
            weight(stake, worker.jobs_completed, worker.jobs_missed, worker.jobs_disputed, uptime)
        } else {
            0
        },
    }
}

/// One worker's matches as one `assign_jobs` instruction.
fn assign_group(orchestrator: &Pubkey, group: &[Match]) -> Instruction {
    let jobs: Vec<u64> = group.iter().map(|m| m.job_id).collect();
    assign_jobs(*orchestrator, &jobs, group[0].operator)
}

/// Groups matches by worker (at most `ASSIGN_BATCH` to a group, in the order the
/// workers first appear) and packs the groups' `assign_jobs` into transactions that
/// each fit the packet size, paid by `payer` (a fee payer other than the orchestrator
/// adds its signature), with the sender's compute-budget instructions in front.
pub fn pack(
    orchestrator: &Pubkey,
    payer: &Pubkey,
    budget: &ComputeBudget,
    matches: &[Match],
) -> Vec<Vec<Vec<Match>>> {
    let mut by_worker: Vec<Vec<Match>> = vec![];
    let mut at: HashMap<Pubkey, usize> = HashMap::new();
    for m in matches {
        let index = *at.entry(m.worker).or_insert_with(|| {
            by_worker.push(vec![]);
            by_worker.len() - 1
        });
        by_worker[index].push(*m);
    }
    let groups = by_worker.into_iter().flat_map(|matches| {
        matches.chunks(ASSIGN_BATCH).map(<[Match]>::to_vec).collect::<Vec<_>>()
    });
    rpc::pack(payer, budget, groups, |group| vec![assign_group(orchestrator, group)])
}

struct Dispatcher {
    shared: Arc<Shared>,
    matcher: Matcher,
    in_flight: Arc<Mutex<InFlight>>,
    rng: StdRng,
    last_sweep: Instant,
}

impl Dispatcher {
    /// Brings the matcher up to date with the index and the in-flight set.
    fn sync(&mut self) -> (i64, bool) {
        let mut index = self.shared.index.write().expect("index lock");
        let (mut jobs, mut workers) = index.take_dirty();
        let mut in_flight = self.in_flight.lock().expect("in-flight lock");
        let (touched_jobs, touched_workers) = in_flight.reconcile(&index);
        jobs.extend(touched_jobs);
        workers.extend(touched_workers);
        let now = index.program_config().map_or(index.clock, |c| c.clock_at(index.clock));
        // Expired jobs leave the queue now and then (each round skips them anyway).
        if self.last_sweep.elapsed() > Duration::from_secs(10) {
            self.last_sweep = Instant::now();
            jobs.extend(index.active.iter().copied());
        }
        for address in workers {
            match index.workers.get(&address) {
                Some(entry) => self.matcher.upsert_worker(worker_spec(
                    &address,
                    &entry.value,
                    &index,
                    &in_flight,
                )),
                None => self.matcher.remove_worker(&address),
            }
        }
        for id in jobs {
            match index.jobs.get(&id).and_then(|e| job_spec(&e.value, now, &in_flight)) {
                Some(spec) => self.matcher.upsert_job(spec),
                None => self.matcher.remove_job(id),
            }
        }
        let paused = index.program_config().is_none_or(|c| c.paused);
        (now, index.ready && !paused)
    }
}

pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut wake = shared.generation.subscribe();
    let in_flight = Arc::new(Mutex::new(InFlight::default()));
    let mut dispatcher = Dispatcher {
        shared: shared.clone(),
        matcher: Matcher::new(),
        in_flight: in_flight.clone(),
        rng: StdRng::from_entropy(),
        last_sweep: Instant::now(),
    };
    shared.index.write().expect("index lock").mark_all_dirty();
    let sends = Arc::new(Semaphore::new(MAX_CONCURRENT_SENDS));
    let mut tasks = JoinSet::new();
    loop {
        let (now, ready) = dispatcher.sync();
        if ready {
            let matches =
                dispatcher.matcher.match_round(now, MAX_MATCHES_PER_ROUND, &mut dispatcher.rng);
            if !matches.is_empty() {
                shared.metrics.matches.inc_by(matches.len() as u64);
                let mut guard = in_flight.lock().expect("in-flight lock");
                for m in &matches {
                    guard.add(m.job_id, m.worker);
                }
                drop(guard);
                let budget = shared.chain.client.compute_budget();
                for batch in pack(&shared.chain.me(), &shared.chain.some_payer(), &budget, &matches)
                {
                    tasks.spawn(send_batch(
                        shared.clone(),
                        in_flight.clone(),
                        sends.clone(),
                        batch,
                    ));
                }
            }
        }
        while tasks.try_join_next().is_some() {}
        if !crate::next_round(&shared, &mut wake, &shutdown, Duration::from_millis(20)).await {
            break;
        }
    }
    crate::drain(tasks).await;
    Ok(())
}

async fn send_batch(
    shared: Arc<Shared>,
    in_flight: Arc<Mutex<InFlight>>,
    sends: Arc<Semaphore>,
    groups: Vec<Vec<Match>>,
) {
    let _permit = sends.acquire().await;
    let me = shared.chain.me();
    let instructions: Vec<_> = groups.iter().map(|group| assign_group(&me, group)).collect();
    let batch: Vec<Match> = groups.concat();
    let result = shared.chain.send(&shared.metrics, "assign", &instructions).await;
    let metrics = &shared.metrics;
    {
        let mut guard = in_flight.lock().expect("in-flight lock");
        match &result {
            Ok(slot) => {
                metrics.assign_transactions.with_label_values(&["ok"]).inc();
                metrics.assignments_sent.inc_by(batch.len() as u64);
                // A job the program skipped (lost to a race) never shows in the index
                // as this worker's: its match goes stale like any other.
                for m in &batch {
                    guard.landed(m.job_id, &m.worker, *slot);
                }
                tracing::info!(jobs = ?batch.iter().map(|m| m.job_id).collect::<Vec<_>>(), slot, "assigned");
            }
            Err(err @ (ClientError::Program { .. } | ClientError::Transaction(_))) => {
                // Nothing landed: the transaction is atomic.
                metrics.assign_transactions.with_label_values(&["failed"]).inc();
                for m in &batch {
                    guard.drop_one(m.job_id, &m.worker);
                }
                // Jobs lost to a race are skipped, not refused: a refusal is about
                // this worker and these jobs, so none of the group's pairs is retried
                // soon.
                if let Some(group) =
                    shared.chain.client.refused_instruction(err).and_then(|i| groups.get(i))
                {
                    for m in group {
                        guard.refused.insert((m.job_id, m.worker), Instant::now());
                    }
                }
                let jobs: Vec<u64> = batch.iter().map(|m| m.job_id).collect();
                if is_stale_read(err) {
                    tracing::debug!(error = %error_name(err), ?jobs, "assignment refused: {err}");
                } else {
                    tracing::warn!(error = %error_name(err), ?jobs, "assignment refused: {err}");
                }
            }
            Err(err) => {
                // It may still have landed: keep the matches until the index shows them
                // or they go stale.
                metrics.assign_transactions.with_label_values(&["unknown"]).inc();
                tracing::warn!("assignment outcome unknown: {err}");
            }
        }
    }
    shared.wake();
}

#[cfg(test)]
mod tests {
    use ignis_client::rpc::{transaction_size, PACKET_DATA_SIZE};

    use super::*;

    #[test]
    fn batches_group_each_workers_matches_fit_the_packet_limit_and_keep_every_match() {
        // A fee payer of its own: two signatures, the larger transaction.
        let (orchestrator, payer) = (Pubkey::new_unique(), Pubkey::new_unique());
        let workers: Vec<(Pubkey, Pubkey)> =
            (0..5).map(|_| (Pubkey::new_unique(), Pubkey::new_unique())).collect();
        // 100 matches over 5 workers, interleaved: 20 each, so 2 groups per worker.
        let matches: Vec<Match> = (0..100)
            .map(|i| {
                let (worker, operator) = workers[i as usize % 5];
                Match { job_id: i, worker, operator }
            })
            .collect();
        let instructions = |batch: &[Vec<Match>]| -> Vec<Instruction> {
            batch.iter().map(|group| assign_group(&orchestrator, group)).collect()
        };
        for budget in [
            ComputeBudget::default(),
            ComputeBudget { unit_price: Some(1_000), unit_limit: Some(20_000) },
        ] {
            let batches = pack(&orchestrator, &payer, &budget, &matches);
            let groups: Vec<&Vec<Match>> = batches.iter().flatten().collect();
            assert_eq!(groups.len(), 10, "16 and 4 per worker");
            for group in &groups {
                assert!(group.len() <= ASSIGN_BATCH);
                assert!(group.iter().all(|m| m.worker == group[0].worker), "one worker a group");
            }
            for batch in &batches {
                let ixs = budget.apply(&instructions(batch));
                assert!(transaction_size(&payer, &ixs) <= PACKET_DATA_SIZE);
            }
            let mut sent: Vec<Match> = batches.concat().concat();
            sent.sort_by_key(|m| m.job_id);
            assert_eq!(sent, matches, "every match once");
            // A transaction is closed only when the next group would not fit it.
            assert!(batches.len() > 1 && batches.len() < 10, "{} transactions", batches.len());
            let mut more = batches[0].clone();
            more.push(batches[1][0].clone());
            let ixs = budget.apply(&instructions(&more));
            assert!(transaction_size(&payer, &ixs) > PACKET_DATA_SIZE);
        }
    }

    #[test]
    fn in_flight_matches_hold_capacity_until_the_index_shows_them() {
        let mut f = InFlight::default();
        let w = Pubkey::new_unique();
        f.add(1, w);
        f.add(2, w);
        assert_eq!(f.for_worker(&w), 2);
        assert_eq!(f.for_job(1).collect::<Vec<_>>(), vec![w]);
        f.landed(1, &w, 10);
        // The index has neither account at slot 10 yet: still in flight.
        let index = Index::default();
        let (jobs, _) = f.reconcile(&index);
        assert!(jobs.is_empty());
        f.drop_one(2, &w);
        assert_eq!((f.for_worker(&w), f.len()), (1, 1));
        // A dropped match is handed back to the matcher at the next reconcile.
        assert_eq!(f.reconcile(&index), (vec![2], vec![w]));
        assert_eq!(f.reconcile(&index), (vec![], vec![]));
    }
}
