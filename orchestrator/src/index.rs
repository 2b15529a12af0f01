//! The in-memory copy of the program's accounts. Nothing here outlives the process:
//! a restart rebuilds it from the chain. A job whose account was closed stays, with its
//! last state, until the history task moves it into the database (`take_closed`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anchor_lang::{prelude::Pubkey, Discriminator};
use ignis::state::{Config, Job, JobStatus, Shard, Stake, Worker};
use ignis_client::accounts::decode;

use crate::views::{JobView, JobsByStatus, StatsView, WorkerView};

pub struct Entry<T> {
    pub value: T,
    /// The account's address.
    pub address: Pubkey,
    /// Slot the value was seen at (a lower bound for snapshot reads).
    pub slot: u64,
    data: Vec<u8>,
}

/// What an applied account change was.
pub enum Change {
    Job {
        id: u64,
        /// Chain seconds from posting to each newly seen assignment.
        new_assignment_latencies: Vec<i64>,
    },
    Worker(Pubkey),
    WorkerRemoved(Pubkey),
    Stake(Pubkey),
    Shard(u8),
    Config,
}

#[derive(Default)]
pub struct Index {
    pub config: Option<Entry<Config>>,
    pub jobs: BTreeMap<u64, Entry<Job>>,
    /// Job ids by (posted_at, id): newest last. Ids are the posters' random picks, so
    /// they say nothing of order.
    pub by_posted: BTreeSet<(i64, u64)>,
    /// By worker account (PDA).
    pub workers: HashMap<Pubkey, Entry<Worker>>,
    /// By owner.
    pub stakes: HashMap<Pubkey, Entry<Stake>>,
    /// By index.
    pub shards: BTreeMap<u8, Entry<Shard>>,
    worker_by_operator: HashMap<Pubkey, Pubkey>,
    job_by_address: HashMap<Pubkey, u64>,
    /// Jobs not yet settled (open, running, revealing, challenge): what the crank and
    /// verifier look at.
    pub active: BTreeSet<u64>,
    /// Settled jobs whose account is still open, by (completed_at, id): what the crank
    /// closes once their retention has passed.
    pub settled_open: BTreeSet<(i64, u64)>,
    /// Jobs whose account was closed, until `take_closed`.
    pub closed: HashSet<u64>,
    pub by_status: JobsByStatus,
    /// Sum of rewards of completed jobs.
    pub volume: u128,
    /// Highest slot seen.
    pub slot: u64,
    /// The chain's clock (unix seconds) at the last read.
    pub clock: i64,
    /// True once the first full read is in.
    pub ready: bool,
    dirty_jobs: HashSet<u64>,
    dirty_workers: HashSet<Pubkey>,
}

fn is_active(status: JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Open | JobStatus::Running | JobStatus::Revealing | JobStatus::Challenge
    )
}

impl Index {
    pub fn program_config(&self) -> Option<&Config> {
        self.config.as_ref().map(|e| &e.value)
    }

    pub fn worker_by_operator(&self, operator: &Pubkey) -> Option<&Entry<Worker>> {
        self.workers.get(self.worker_by_operator.get(operator)?)
    }

    pub fn stake_of(&self, worker: &Worker) -> Option<&Stake> {
        self.stakes.get(&worker.operator).map(|e| &e.value)
    }

    /// Jobs and workers changed since the last call (for the matcher).
    pub fn take_dirty(&mut self) -> (HashSet<u64>, HashSet<Pubkey>) {
        (std::mem::take(&mut self.dirty_jobs), std::mem::take(&mut self.dirty_workers))
    }

    /// Marks everything for the matcher (on its first sync).
    pub fn mark_all_dirty(&mut self) {
        self.dirty_jobs.extend(self.active.iter().copied());
        self.dirty_workers.extend(self.workers.keys().copied());
    }

    /// Applies one account's data (or its closing, with `None`) seen at `slot`.
    /// Returns what changed, or `None` when nothing did or the data is older than what
    /// is known.
    pub fn apply(&mut self, address: Pubkey, data: Option<&[u8]>, slot: u64) -> Option<Change> {
        self.slot = self.slot.max(slot);
        let Some(data) = data.filter(|d| d.len() >= 8) else {
            return self.remove(&address, slot);
        };
        let discriminator = &data[..8];
        if discriminator == Job::DISCRIMINATOR {
            let job: Job = decode(data).ok()?;
            let id = job.id;
            let old = match self.jobs.get(&id) {
                Some(old) if old.slot > slot || old.data == data => return None,
                Some(old) => Some(old.value.clone()),
                None => None,
            };
            let old_workers: Vec<Pubkey> = old
                .iter()
                .flat_map(|old| old.live_assignments().iter().map(|a| a.worker))
                .collect();
            let old_posted = old.as_ref().map_or(job.posted_at, |old| old.posted_at);
            let new_assignment_latencies = job
                .live_assignments()
                .iter()
                .filter(|a| !old_workers.contains(&a.worker))
                .map(|a| a.assigned_at - old_posted)
                .collect();
            if let Some(old) = &old {
                self.by_status.add(old.status, -1);
                // The old job's own reward: an id closed and posted again is another job.
                if old.status == JobStatus::Completed {
                    self.volume -= u128::from(old.reward);
                }
                self.settled_open.remove(&(old.completed_at, id));
                self.by_posted.remove(&(old.posted_at, id));
            }
            self.by_status.add(job.status, 1);
            if job.status == JobStatus::Completed {
                self.volume += u128::from(job.reward);
            }
            self.closed.remove(&id);
            if is_active(job.status) {
                self.active.insert(id);
            } else {
                self.active.remove(&id);
                self.settled_open.insert((job.completed_at, id));
            }
            self.job_by_address.insert(address, id);
            self.by_posted.insert((job.posted_at, id));
            self.jobs.insert(id, Entry { value: job, address, slot, data: data.to_vec() });
            self.dirty_jobs.insert(id);
            Some(Change::Job { id, new_assignment_latencies })
        } else if discriminator == Worker::DISCRIMINATOR {
            let worker: Worker = decode(data).ok()?;
            if let Some(old) = self.workers.get(&address) {
                if old.slot > slot || old.data == data {
                    return None;
                }
            }
            self.worker_by_operator.insert(worker.operator, address);
            self.workers
                .insert(address, Entry { value: worker, address, slot, data: data.to_vec() });
            self.dirty_workers.insert(address);
            Some(Change::Worker(address))
        } else if discriminator == Stake::DISCRIMINATOR {
            let stake: Stake = decode(data).ok()?;
            let owner = stake.owner;
            if let Some(old) = self.stakes.get(&owner) {
                if old.slot > slot || old.data == data {
                    return None;
                }
            }
            self.stakes.insert(owner, Entry { value: stake, address, slot, data: data.to_vec() });
            // Eligibility follows the stake.
            if let Some(worker) = self.worker_by_operator.get(&owner) {
                self.dirty_workers.insert(*worker);
            }
            Some(Change::Stake(owner))
        } else if discriminator == Shard::DISCRIMINATOR {
            let shard: Shard = decode(data).ok()?;
            let index = shard.index;
            if let Some(old) = self.shards.get(&index) {
                if old.slot > slot || old.data == data {
                    return None;
                }
            }
            self.shards.insert(index, Entry { value: shard, address, slot, data: data.to_vec() });
            Some(Change::Shard(index))
        } else if discriminator == Config::DISCRIMINATOR {
            let config: Config = decode(data).ok()?;
            if let Some(old) = &self.config {
                if old.slot > slot || old.data == data {
                    return None;
                }
            }
            // Minimum stake or pause may have changed: every worker is re-judged (not
            // for a heartbeat, which changes neither).
            let rules_changed = self.config.as_ref().is_none_or(|old| {
                old.value.params != config.params || old.value.paused != config.paused
            });
            self.config = Some(Entry { value: config, address, slot, data: data.to_vec() });
            if rules_changed {
                self.dirty_workers.extend(self.workers.keys().copied());
            }
            Some(Change::Config)
        } else {
            None
        }
    }

    fn remove(&mut self, address: &Pubkey, slot: u64) -> Option<Change> {
        if let Some(id) = self.job_by_address.get(address).copied() {
            return self.close_job(id, slot);
        }
        // Workers close when deregistered; stakes and the config are not followed.
        let entry = self.workers.get(address)?;
        if entry.slot > slot {
            return None;
        }
        let worker = self.workers.remove(address)?;
        self.worker_by_operator.remove(&worker.value.operator);
        self.dirty_workers.insert(*address);
        Some(Change::WorkerRemoved(*address))
    }

    /// A job's account was closed at `slot`: keep its last state as history.
    fn close_job(&mut self, id: u64, slot: u64) -> Option<Change> {
        let entry = self.jobs.get(&id)?;
        if entry.slot > slot || self.closed.contains(&id) || is_active(entry.value.status) {
            // Newer than the close, already closed, or (a stale read) still live.
            return None;
        }
        self.settled_open.remove(&(entry.value.completed_at, id));
        self.closed.insert(id);
        self.dirty_jobs.insert(id);
        Some(Change::Job { id, new_assignment_latencies: vec![] })
    }

    /// Settled jobs missing from a full snapshot taken at `slot` were closed (a missed
    /// websocket notification heals here).
    pub fn retain_jobs(&mut self, present: &HashSet<Pubkey>, slot: u64) -> Vec<Change> {
        // By id, through the addresses the index already knows: no PDA derived per job.
        let present: HashSet<u64> = present
            .iter()
            .filter_map(|address| self.job_by_address.get(address))
            .copied()
            .collect();
        let gone: Vec<u64> = self
            .settled_open
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| {
                !present.contains(id) && self.jobs.get(id).is_some_and(|entry| entry.slot < slot)
            })
            .collect();
        gone.into_iter().filter_map(|id| self.close_job(id, slot)).collect()
    }

    /// Takes the jobs whose accounts closed out of the index (for the database): each
    /// leaves every count and list it was in.
    pub fn take_closed(&mut self) -> Vec<crate::store::ClosedJob> {
        let closed = std::mem::take(&mut self.closed);
        let mut taken = Vec::with_capacity(closed.len());
        for id in closed {
            let Some(entry) = self.jobs.remove(&id) else { continue };
            self.job_by_address.remove(&entry.address);
            let job = entry.value;
            self.by_status.add(job.status, -1);
            if job.status == JobStatus::Completed {
                self.volume -= u128::from(job.reward);
            }
            self.by_posted.remove(&(job.posted_at, id));
            taken.push(crate::store::ClosedJob { job, slot: entry.slot });
        }
        taken
    }

    /// Whether job `id`'s account was closed (it is history).
    pub fn is_closed(&self, id: u64) -> bool {
        self.closed.contains(&id)
    }

    /// Workers not in a full snapshot taken at `slot` are gone.
    pub fn retain_workers(&mut self, present: &HashSet<Pubkey>, slot: u64) -> Vec<Change> {
        let gone: Vec<Pubkey> = self
            .workers
            .iter()
            .filter(|(address, entry)| !present.contains(*address) && entry.slot < slot)
            .map(|(address, _)| *address)
            .collect();
        gone.iter().filter_map(|address| self.remove(address, slot)).collect()
    }

    pub fn job_view(&self, id: u64) -> Option<JobView> {
        self.jobs.get(&id).map(|e| JobView::new(&e.value, e.slot, self.is_closed(id)))
    }

    pub fn worker_view(&self, address: &Pubkey) -> Option<WorkerView> {
        let entry = self.workers.get(address)?;
        Some(WorkerView::new(address, &entry.value, self.stake_of(&entry.value)))
    }

    /// Whether a worker's operator has the stake the program asks for assignment.
    /// Whether the program would give this worker work (pause aside for the stats).
    pub fn is_eligible(&self, worker: &Worker) -> bool {
        let stake = self.stake_of(worker).map_or(0, |stake| stake.amount);
        self.program_config().is_some_and(|config| worker.check_eligible(config, stake).is_ok())
    }

    /// The stats, with `closed` (the jobs no longer in the index) in the job counts.
    pub fn stats(
        &self,
        history: Vec<crate::views::Sample>,
        closed: &crate::store::ClosedTotals,
    ) -> StatsView {
        let config = self.program_config();
        let accepting = || {
            self.workers.values().filter(|w| w.value.registered && w.value.settings.accepting_jobs)
        };
        StatsView {
            slot: self.slot,
            workers_online: accepting().filter(|w| self.is_eligible(&w.value)).count() as u64,
            gpus: self
                .workers
                .values()
                .filter(|w| w.value.settings.gpu.compute_capability > 0)
                .count() as u64,
            jobs_by_status: self.by_status.plus(&closed.by_status),
            hashrate: self.hashrate(),
            volume: (self.volume + closed.volume).to_string(),
            total_staked: config.map_or(0, |c| c.totals.staked).to_string(),
            emission_rate: config.map_or(0, |c| c.emission.rate_at(self.clock)).to_string(),
            mint: config.map(|c| c.mint.to_string()).unwrap_or_default(),
            history,
            proven_hashrate: self.proven_hashrate(),
            uptime_bps: config.map_or(10_000, |c| c.network_uptime.uptime_bps),
            challenges_answered: config.map_or(0, |c| c.network_uptime.challenges_answered),
            challenges_missed: config.map_or(0, |c| c.network_uptime.challenges_missed),
            compute_hours: self.workers.values().map(|w| w.value.capacity.compute_hours()).sum(),
            sla_breaches: self.sla_breaches(),
            sla_compensated: config.map_or(0, |c| c.totals.sla_compensated).to_string(),
            sla_premium: config.and_then(|c| c.sla_premium(1).ok()).unwrap_or(0).to_string(),
            sla_min_compensation: config
                .and_then(|c| c.sla_min_compensation().ok())
                .unwrap_or(0)
                .to_string(),
        }
    }

    /// Deadlines of SLA jobs missed, over every worker.
    pub fn sla_breaches(&self) -> u64 {
        self.workers.values().map(|w| w.value.capacity.sla_breaches).sum()
    }

    /// Sum of the rated hashrates (claims cut to what challenges proved) of registered
    /// workers accepting jobs, H/s.
    pub fn proven_hashrate(&self) -> u64 {
        self.workers
            .values()
            .filter(|w| w.value.registered && w.value.settings.accepting_jobs)
            .map(|w| w.value.effective_hashrate())
            .fold(0u64, u64::saturating_add)
    }

    /// Sum of the reported hashrates of registered workers accepting jobs, H/s.
    pub fn hashrate(&self) -> u64 {
        self.workers
            .values()
            .filter(|w| w.value.registered && w.value.settings.accepting_jobs)
            .map(|w| w.value.settings.hashrate)
            .fold(0u64, u64::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use anchor_lang::AccountSerialize;
    use ignis::state::JobKind;
    use ignis_client::{
        events::{JobPosted, PowSubmitted},
        history::{JobEvent, JobRecord},
    };

    use super::*;

    /// The account bytes of a completed PoW job.
    fn completed(id: u64, reward: u64, posted_at: i64) -> Vec<u8> {
        let posted = JobEvent::Posted(JobPosted {
            job_id: id,
            poster: Pubkey::new_unique(),
            kind: JobKind::Pow { difficulty: 1 },
            reward,
            replicas: 1,
            expires_at: posted_at + 100,
            posted_at,
        });
        let submitted = JobEvent::PowSubmitted(PowSubmitted {
            job_id: id,
            worker: Pubkey::new_unique(),
            nonce: 1,
            hash: [0; 32],
            paid: 0,
            work_reward: 0,
            fee: 0,
            completed_at: posted_at + 1,
        });
        let record = JobRecord::apply(JobRecord::apply(None, &posted, 1), &submitted, 2).unwrap();
        let mut data = vec![];
        record.job.try_serialize(&mut data).unwrap();
        data
    }

    #[test]
    fn an_id_closed_and_posted_again_is_another_job() {
        let mut index = Index::default();
        let address = ignis_client::pda::job(7);
        index.apply(address, Some(&completed(7, 5, 100)), 1);
        assert_eq!(index.volume, 5);
        index.apply(address, None, 2);
        assert!(index.is_closed(7));
        assert!(index.settled_open.is_empty());
        // Posted again under the same id, with another reward, and completed.
        index.apply(address, Some(&completed(7, 9, 200)), 3);
        assert_eq!(index.volume, 9, "the old job's reward leaves with it");
        assert!(!index.is_closed(7));
        assert_eq!(index.by_posted.iter().copied().collect::<Vec<_>>(), vec![(200, 7)]);
        assert_eq!(index.settled_open.iter().copied().collect::<Vec<_>>(), vec![(201, 7)]);
    }

    #[test]
    fn closed_jobs_leave_memory_with_their_counts() {
        let mut index = Index::default();
        for (id, reward) in [(1, 5), (2, 7)] {
            index.apply(ignis_client::pda::job(id), Some(&completed(id, reward, 100)), 1);
        }
        index.apply(ignis_client::pda::job(1), None, 2);
        let taken = index.take_closed();
        assert_eq!(taken.iter().map(|c| (c.job.id, c.slot)).collect::<Vec<_>>(), vec![(1, 1)]);
        assert_eq!((index.volume, index.by_status.completed), (7, 1));
        assert_eq!(index.by_posted.iter().copied().collect::<Vec<_>>(), vec![(100, 2)]);
        assert!(index.job_view(1).is_none() && index.job_view(2).is_some());
        assert!(index.take_closed().is_empty(), "taken once");
    }
}
