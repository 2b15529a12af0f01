//! Matching open jobs to workers, in memory and with no I/O (the `dispatch` module
//! feeds it from the index and sends what it decides).
//!
//! Jobs wait in an ordered set: best-paying first (by power-of-two price class, so a
//! slightly higher bid does not jump far older jobs), then oldest. For each job a
//! worker is drawn by weighted lottery among those that can take it: kernel supported,
//! enough VRAM, price at or above the worker's minimum, free capacity, accepting and
//! staked (the last three fold into a weight of 0). Every eligible worker has a
//! positive weight, so none starves; weight grows with stake (linear, so splitting
//! stake across identities gains nothing) and with a clean record. Replicas of a job
//! go to distinct workers. One match costs O(log² n) in the number of workers.

mod fenwick;
mod tree;

use std::collections::{BTreeSet, HashMap};

use anchor_lang::prelude::Pubkey;
use rand::Rng;

use tree::{CapabilityTree, Member};

/// Kernel ids are bits of a u32 mask.
const KERNELS: usize = 32;

/// What the matcher needs to know about a worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerSpec {
    /// The worker account (PDA), as job assignments name it.
    pub key: Pubkey,
    pub operator: Pubkey,
    pub kernels: u32,
    pub vram_mb: u32,
    pub min_price: u64,
    /// Effective hashrate (the claim, cut to what challenges proved): the program
    /// assigns it only jobs it can finish in time at this rate.
    pub hashrate: u64,
    /// What challenges proved of it: SLA jobs go only to workers their terms admit.
    pub capacity: ignis::state::Capacity,
    /// Jobs it can still take (max concurrent - active - in flight).
    pub free: u32,
    /// Lottery weight; 0 when not eligible (not accepting, under-staked).
    pub weight: u128,
}

/// What the matcher needs to know about an open job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    pub id: u64,
    pub kernel: u8,
    pub memory_mb: u64,
    /// Reward per replica.
    pub price: u64,
    /// Replicas still to assign.
    pub needed: u8,
    /// For the program's feasibility rule (`ignis::state::feasible`).
    pub work_units: u64,
    pub execution_seconds: i64,
    /// Workers already on this job (on chain or in flight).
    pub exclude: Vec<Pubkey>,
    pub posted_at: i64,
    pub expires_at: i64,
    /// The SLA bought for it, if any.
    pub sla: Option<ignis::state::SlaTerms>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub job_id: u64,
    pub worker: Pubkey,
    pub operator: Pubkey,
}

/// Lottery weight of a worker: stake times a reputation factor in (0, 1] that falls
/// with misses (x4) and disputes (x8) relative to completions, times its proven uptime
/// (challenges answered over its window, `Capacity::uptime_bps`). Never 0 for a staked
/// worker, so a bad record slows a worker down without shutting it out for ever.
pub fn weight(stake: u64, completed: u64, missed: u64, disputed: u64, uptime_bps: u16) -> u128 {
    const SCALE: u32 = 20;
    let good = u128::from(completed) + 1;
    let bad = u128::from(missed) * 4 + u128::from(disputed) * 8;
    let reputation = (good << SCALE) / (good + bad);
    (u128::from(stake) * reputation * u128::from(uptime_bps) / 10_000).max(1)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct JobKey {
    /// Negated price class: higher pay sorts first.
    class: i32,
    posted_at: i64,
    /// Within a second, the jobs of one shard together: a worker's jobs of a round then
    /// share a few shards, and its proofs of them the payout transfers of a few shards
    /// (`submit_pows` makes one per shard).
    shard: u8,
    id: u64,
}

impl JobKey {
    fn of(spec: &JobSpec) -> Self {
        let class = 64 - spec.price.leading_zeros() as i32;
        let shard = ignis::state::Shard::index_of(spec.id);
        JobKey { class: -class, posted_at: spec.posted_at, shard, id: spec.id }
    }
}

#[derive(Default)]
pub struct Matcher {
    workers: Vec<Option<WorkerSpec>>,
    slot_of: HashMap<Pubkey, usize>,
    vacant: Vec<usize>,
    /// One tree per kernel id; rebuilt when a worker joins, leaves or changes its
    /// kernels, VRAM or price, updated in place when only its weight or capacity moves.
    trees: Vec<Option<CapabilityTree>>,
    layout_dirty: bool,
    queue: BTreeSet<JobKey>,
    jobs: HashMap<u64, (JobKey, JobSpec)>,
    /// Sum of free capacity of eligible workers: a round stops as soon as it is 0.
    free_capacity: u64,
}

impl Matcher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn worker_count(&self) -> usize {
        self.slot_of.len()
    }

    pub fn job_count(&self) -> usize {
        self.jobs.len()
    }

    pub fn free_capacity(&self) -> u64 {
        self.free_capacity
    }

    pub fn job(&self, id: u64) -> Option<&JobSpec> {
        self.jobs.get(&id).map(|(_, spec)| spec)
    }

    fn effective(spec: &WorkerSpec) -> u128 {
        if spec.free > 0 {
            spec.weight
        } else {
            0
        }
    }

    fn counted_capacity(spec: &WorkerSpec) -> u64 {
        if spec.weight > 0 {
            u64::from(spec.free)
        } else {
            0
        }
    }

    pub fn upsert_worker(&mut self, spec: WorkerSpec) {
        if let Some(&slot) = self.slot_of.get(&spec.key) {
            let old = self.workers[slot].replace(spec.clone()).expect("occupied slot");
            self.free_capacity =
                self.free_capacity - Self::counted_capacity(&old) + Self::counted_capacity(&spec);
            let layout_changed = (old.kernels, old.vram_mb, old.min_price)
                != (spec.kernels, spec.vram_mb, spec.min_price);
            if layout_changed {
                self.layout_dirty = true;
            } else if !self.layout_dirty {
                let weight = Self::effective(&spec);
                for tree in self.trees.iter_mut().flatten() {
                    tree.set_weight(slot, weight);
                }
            }
            return;
        }
        self.free_capacity += Self::counted_capacity(&spec);
        let slot = match self.vacant.pop() {
            Some(slot) => {
                self.workers[slot] = Some(spec.clone());
                slot
            }
            None => {
                self.workers.push(Some(spec.clone()));
                self.workers.len() - 1
            }
        };
        self.slot_of.insert(spec.key, slot);
        self.layout_dirty = true;
    }

    pub fn remove_worker(&mut self, key: &Pubkey) {
        if let Some(slot) = self.slot_of.remove(key) {
            let old = self.workers[slot].take().expect("occupied slot");
            self.free_capacity -= Self::counted_capacity(&old);
            self.vacant.push(slot);
            self.layout_dirty = true;
        }
    }

    /// Adds or replaces a job; a job with nothing left to assign leaves the queue.
    pub fn upsert_job(&mut self, spec: JobSpec) {
        self.remove_job(spec.id);
        if spec.needed == 0 {
            return;
        }
        let key = JobKey::of(&spec);
        self.queue.insert(key);
        self.jobs.insert(spec.id, (key, spec));
    }

    pub fn remove_job(&mut self, id: u64) {
        if let Some((key, _)) = self.jobs.remove(&id) {
            self.queue.remove(&key);
        }
    }

    fn rebuild(&mut self) {
        let slots = self.workers.len();
        self.trees = (0..KERNELS)
            .map(|kernel| {
                let members: Vec<Member> = self
                    .workers
                    .iter()
                    .enumerate()
                    .filter_map(|(slot, w)| w.as_ref().map(|w| (slot, w)))
                    .filter(|(_, w)| w.kernels & (1 << kernel) != 0)
                    .map(|(slot, w)| Member {
                        slot,
                        vram_mb: w.vram_mb,
                        min_price: w.min_price,
                        weight: Self::effective(w),
                    })
                    .collect();
                (!members.is_empty()).then(|| CapabilityTree::build(members, slots))
            })
            .collect();
        self.layout_dirty = false;
    }

    fn set_weight_everywhere(&mut self, slot: usize, weight: u128) {
        for tree in self.trees.iter_mut().flatten() {
            tree.set_weight(slot, weight);
        }
    }

    /// Matches as many queued replicas as workers can take, best jobs first, at chain
    /// time `now`, at most `limit` matches. Matched replicas leave the queue and the
    /// workers' capacity is used up here; the caller tracks them as in flight.
    pub fn match_round(&mut self, now: i64, limit: usize, rng: &mut impl Rng) -> Vec<Match> {
        if self.layout_dirty {
            self.rebuild();
        }
        let mut matches = Vec::new();
        let mut done = Vec::new();
        let queue = std::mem::take(&mut self.queue);
        for key in &queue {
            if self.free_capacity == 0 || matches.len() >= limit {
                break;
            }
            let (_, job) = self.jobs.get_mut(&key.id).expect("queued job is known");
            if now >= job.expires_at {
                continue;
            }
            let Some(tree) = self.trees.get_mut(usize::from(job.kernel)).and_then(Option::as_mut)
            else {
                continue;
            };
            // Distinct workers: those already on the job are out of this draw.
            let mut held: Vec<(usize, u128)> = Vec::new();
            for key in &job.exclude {
                if let Some(&slot) = self.slot_of.get(key) {
                    let weight = tree.weight(slot);
                    if weight > 0 {
                        held.push((slot, weight));
                        tree.set_weight(slot, 0);
                    }
                }
            }
            let mut picked = Vec::new();
            let room = usize::from(job.needed).min(limit - matches.len());
            while picked.len() < room {
                let Some(slot) = tree.sample(job.memory_mb, job.price, rng) else { break };
                held.push((slot, tree.weight(slot)));
                tree.set_weight(slot, 0);
                let worker = self.workers[slot].as_ref();
                let hashrate = worker.map_or(0, |w| w.hashrate);
                let sla_admits =
                    job.sla.is_none_or(|sla| worker.is_some_and(|w| sla.admits(&w.capacity)));
                // Out of this draw either way; picked only if the program would accept it.
                if sla_admits
                    && ignis::state::feasible(hashrate, job.work_units, job.execution_seconds)
                {
                    picked.push(slot);
                }
            }
            for (slot, weight) in held {
                tree.set_weight(slot, weight);
            }
            // A fresh multi-replica job waits until every replica can start together,
            // so that no worker sits on a lone replica.
            if picked.len() < usize::from(job.needed) && job.exclude.is_empty() {
                continue;
            }
            let mut exhausted_slots = Vec::new();
            for slot in picked {
                let worker = self.workers[slot].as_mut().expect("sampled a live worker");
                worker.free -= 1;
                self.free_capacity -= 1;
                let (key, operator, exhausted) = (worker.key, worker.operator, worker.free == 0);
                job.needed -= 1;
                job.exclude.push(key);
                matches.push(Match { job_id: job.id, worker: key, operator });
                if exhausted {
                    exhausted_slots.push(slot);
                }
            }
            if job.needed == 0 {
                done.push(key.id);
            }
            for slot in exhausted_slots {
                self.set_weight_everywhere(slot, 0);
            }
        }
        self.queue = queue;
        for id in done {
            self.remove_job(id);
        }
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn key(n: u8) -> Pubkey {
        Pubkey::new_from_array([n; 32])
    }

    fn worker(
        n: u8,
        kernels: u32,
        vram_mb: u32,
        min_price: u64,
        free: u32,
        weight: u128,
    ) -> WorkerSpec {
        WorkerSpec {
            key: key(n),
            operator: key(100 + n),
            kernels,
            vram_mb,
            min_price,
            hashrate: u64::MAX,
            capacity: Default::default(),
            free,
            weight,
        }
    }

    fn job(id: u64, kernel: u8, memory_mb: u64, price: u64, needed: u8) -> JobSpec {
        JobSpec {
            id,
            kernel,
            memory_mb,
            price,
            needed,
            work_units: 1,
            execution_seconds: 60,
            exclude: vec![],
            posted_at: id as i64,
            expires_at: i64::MAX,
            sla: None,
        }
    }

    #[test]
    fn sla_jobs_go_only_to_proven_workers_with_the_uptime_and_cut_claims_get_less_work() {
        use ignis::state::{Capacity, SlaTerms};
        let mut rng = StdRng::seed_from_u64(7);
        let proven = |answered: u32, missed: u32| {
            let mut capacity = Capacity { rated_hashrate: u64::MAX, ..Capacity::default() };
            capacity.challenges_answered = u64::from(answered);
            capacity.uptime_window = (answered + missed) as u8;
            capacity.uptime_bits = (1u64 << answered) - 1;
            capacity
        };
        let mut m = Matcher::new();
        // Worker 1: never challenged; 2: answered 10 of 10; 3: answered 8 of 10.
        m.upsert_worker(worker(1, 0b01, 0, 0, 50, 1_000));
        m.upsert_worker(WorkerSpec { capacity: proven(10, 0), ..worker(2, 0b01, 0, 0, 50, 1) });
        m.upsert_worker(WorkerSpec { capacity: proven(8, 2), ..worker(3, 0b01, 0, 0, 50, 1_000) });
        let sla = SlaTerms { compensation_bps: 5_000, min_uptime_bps: 9_000, premium: 1 };
        for id in 0..20 {
            m.upsert_job(JobSpec { sla: Some(sla), ..job(id, 0, 0, 100, 1) });
        }
        let got = m.match_round(0, 100, &mut rng);
        assert_eq!(got.len(), 20);
        assert!(got.iter().all(|m| m.worker == key(2)), "only the proven, 100% worker");

        // A worker whose claim was cut to 1 H/s wins none of the jobs it cannot finish.
        let mut m = Matcher::new();
        m.upsert_worker(WorkerSpec { hashrate: 1, ..worker(1, 0b01, 0, 0, 50, 1_000) });
        m.upsert_worker(worker(2, 0b01, 0, 0, 50, 1));
        for id in 0..20 {
            m.upsert_job(JobSpec { work_units: 1 << 20, ..job(id, 0, 0, 100, 1) });
        }
        let got = m.match_round(0, 100, &mut rng);
        assert_eq!(got.len(), 20);
        assert!(got.iter().all(|m| m.worker == key(2)));
    }

    #[test]
    fn matches_only_capable_affordable_accepting_workers_with_room() {
        let mut m = Matcher::new();
        m.upsert_worker(worker(1, 0b01, 0, 0, 5, 10)); // pow only
        m.upsert_worker(worker(2, 0b10, 4_000, 0, 5, 10)); // matmul, small card
        m.upsert_worker(worker(3, 0b10, 80_000, 1_000, 5, 10)); // matmul, pricey
        m.upsert_worker(worker(4, 0b11, 80_000, 0, 5, 0)); // not eligible (weight 0)
        m.upsert_worker(worker(5, 0b11, 80_000, 0, 0, 10)); // full
        let mut rng = StdRng::seed_from_u64(1);
        m.upsert_job(job(1, 0, 0, 10, 1));
        m.upsert_job(job(2, 1, 10_000, 10, 1)); // needs a big card and pays little: nobody
        m.upsert_job(job(3, 1, 10_000, 5_000, 1)); // big card and pays: worker 3
        m.upsert_job(job(4, 1, 100, 10, 1)); // small: worker 2
        let mut got: Vec<(u64, Pubkey)> =
            m.match_round(0, usize::MAX, &mut rng).iter().map(|x| (x.job_id, x.worker)).collect();
        got.sort();
        assert_eq!(got, vec![(1, key(1)), (3, key(3)), (4, key(2))]);
        assert_eq!(m.job_count(), 1, "job 2 still waits");
        assert!(m.match_round(0, usize::MAX, &mut rng).is_empty());
    }

    #[test]
    fn replicas_go_to_distinct_workers_and_fresh_jobs_wait_for_all_of_them() {
        let mut m = Matcher::new();
        let mut rng = StdRng::seed_from_u64(2);
        m.upsert_worker(worker(1, 0b10, 1_000, 0, 10, 1));
        m.upsert_worker(worker(2, 0b10, 1_000, 0, 10, 1));
        m.upsert_job(job(1, 1, 1, 9, 3));
        assert!(m.match_round(0, usize::MAX, &mut rng).is_empty(), "3 replicas, 2 workers");
        m.upsert_worker(worker(3, 0b10, 1_000, 0, 10, 1));
        let matched = m.match_round(0, usize::MAX, &mut rng);
        let mut workers: Vec<Pubkey> = matched.iter().map(|x| x.worker).collect();
        workers.sort();
        assert_eq!(workers, vec![key(1), key(2), key(3)]);
        // A re-queued replica goes to someone not already on the job.
        let mut requeued = job(2, 1, 1, 9, 1);
        requeued.exclude = vec![key(1), key(2)];
        m.upsert_job(requeued);
        let matched = m.match_round(0, usize::MAX, &mut rng);
        assert_eq!(matched.iter().map(|x| x.worker).collect::<Vec<_>>(), vec![key(3)]);
    }

    #[test]
    fn capacity_is_used_up_within_a_round_and_expired_jobs_are_skipped() {
        let mut m = Matcher::new();
        let mut rng = StdRng::seed_from_u64(3);
        m.upsert_worker(worker(1, 0b01, 0, 0, 2, 1));
        for id in 0..5 {
            m.upsert_job(job(id, 0, 0, 1, 1));
        }
        let mut expired = job(9, 0, 0, 1_000_000, 1);
        expired.expires_at = 10;
        m.upsert_job(expired);
        let matched = m.match_round(10, usize::MAX, &mut rng);
        assert_eq!(
            matched.iter().map(|x| x.job_id).collect::<Vec<_>>(),
            vec![0, 1],
            "oldest first, expired skipped"
        );
        assert_eq!(m.free_capacity(), 0);
        // The chain frees a slot: the next oldest goes.
        m.upsert_worker(worker(1, 0b01, 0, 0, 1, 1));
        assert_eq!(m.match_round(10, usize::MAX, &mut rng)[0].job_id, 2);
    }

    #[test]
    fn better_paying_jobs_go_first_and_limit_caps_a_round() {
        let mut m = Matcher::new();
        let mut rng = StdRng::seed_from_u64(4);
        m.upsert_worker(worker(1, 0b01, 0, 0, 100, 1));
        m.upsert_job(job(1, 0, 0, 100, 1));
        m.upsert_job(job(2, 0, 0, 10_000, 1));
        m.upsert_job(job(3, 0, 0, 120, 1)); // same price class as job 1, younger
        let order: Vec<u64> = m.match_round(0, 2, &mut rng).iter().map(|x| x.job_id).collect();
        assert_eq!(order, vec![2, 1]);
        assert_eq!(m.match_round(0, 2, &mut rng)[0].job_id, 3);
    }

    #[test]
    fn the_lottery_follows_weight_and_starves_nobody() {
        let mut m = Matcher::new();
        let mut rng = StdRng::seed_from_u64(5);
        let weights = [1u128, 3, 96];
        for (i, w) in weights.iter().enumerate() {
            m.upsert_worker(worker(i as u8, 0b01, 0, 0, 1_000_000, *w));
        }
        for id in 0..20_000 {
            m.upsert_job(job(id, 0, 0, 1, 1));
        }
        let matched = m.match_round(0, usize::MAX, &mut rng);
        assert_eq!(matched.len(), 20_000);
        let count = |n: u8| matched.iter().filter(|x| x.worker == key(n)).count() as f64 / 20_000.0;
        assert!((0.005..0.015).contains(&count(0)), "{}", count(0));
        assert!((0.02..0.04).contains(&count(1)), "{}", count(1));
        assert!((0.94..0.98).contains(&count(2)), "{}", count(2));
    }

    #[test]
    fn workers_can_change_leave_and_come_back() {
        let mut m = Matcher::new();
        let mut rng = StdRng::seed_from_u64(6);
        m.upsert_worker(worker(1, 0b01, 0, 50, 1, 1));
        m.upsert_job(job(1, 0, 0, 10, 1));
        assert!(m.match_round(0, usize::MAX, &mut rng).is_empty(), "too cheap for worker 1");
        m.upsert_worker(worker(1, 0b01, 0, 5, 1, 1));
        assert_eq!(m.match_round(0, usize::MAX, &mut rng).len(), 1, "price lowered");
        m.remove_worker(&key(1));
        m.upsert_job(job(2, 0, 0, 10, 1));
        assert!(m.match_round(0, usize::MAX, &mut rng).is_empty());
        assert_eq!((m.worker_count(), m.free_capacity()), (0, 0));
        m.upsert_worker(worker(2, 0b01, 0, 0, 1, 1));
        assert_eq!(m.match_round(0, usize::MAX, &mut rng)[0].worker, key(2));
    }

    #[test]
    fn reputation_lowers_weight_but_never_to_zero() {
        assert_eq!(weight(100, 0, 0, 0, 10_000), 100 << 20);
        assert!(weight(100, 10, 1, 0, 10_000) < weight(100, 10, 0, 0, 10_000));
        assert!(weight(100, 10, 0, 1, 10_000) < weight(100, 10, 1, 0, 10_000));
        assert!(weight(1, 0, 1_000_000, 1_000_000, 0) >= 1);
        // Proven uptime scales it: half the uptime, half the draws.
        assert_eq!(weight(100, 0, 0, 0, 5_000), weight(100, 0, 0, 0, 10_000) / 2);
    }
}
