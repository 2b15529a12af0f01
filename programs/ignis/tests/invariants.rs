//! Long random sequences of every instruction (valid and invalid, many actors, clock
//! jumps, pauses). After every step the protocol's invariants must hold:
//! - each vault equals the sum of what it owes;
//! - supply = genesis + minted, minted <= accrued <= what the schedule released;
//! - every rewarded token is distributed, waiting for stakers, in the work pool or paid;
//!   stakers' claimed + claimable equals what was distributed to them, less rounding dust;
//! - no job is paid twice; a failed transaction changes nothing;
//! - the work pool pays only verified work (a PoW submission or an attested result),
//!   at most the job's work units at the current rate, once per job;
//! - an attacker staking just in time (same slot as a payout) earns none of its fee;
//! - no actor's staking income exceeds its fair share: each distribution pro rata to
//!   the stake it had bonded before the transaction, its own slashes excluded;
//! - attackers self-deal (post unverifiable jobs to their own workers) and grief (post
//!   impossible jobs) among the honest actions;
//! - capacity challenges are cranked by anyone and answered (or not, or with doubled,
//!   foreign or missing nonces): each is paid at most once, at most its work units at
//!   the pool's rate, and only to its own worker;
//! - posters buy SLAs; an expired SLA replica pays its poster exactly the SLA's share of
//!   the slash.
//!
//! Replay one case with `IGNIS_INVARIANT_SEED=<seed> cargo test-all --test invariants`;
//! `IGNIS_INVARIANT_STEPS` sets the steps per case.

use std::collections::{HashMap, HashSet};

use ignis::{
    constants::{KERNEL_MATMUL_U32, SHARDS},
    instructions::PostJobArgs,
    state::{
        Assignment, EmissionSchedule, GpuInfo, Job, JobKind, JobStatus, Ruling, Stake, Worker,
        WorkerSettings,
    },
};
use ignis_client::{
    events::*,
    instructions::{self as ix, settlement_slashes},
    pda,
};
use ignis_program_tests::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use solana_signer::Signer;

const CASES_PER_TEST: u64 = 6;
const DEFAULT_STEPS: usize = 4_200;
const ACTORS: usize = 7;

#[derive(Default, Debug)]
struct Stats {
    steps: usize,
    instructions: usize,
    succeeded: usize,
    invariant_checks: usize,
    by_kind: HashMap<&'static str, (usize, usize)>, // (sent, succeeded)
    errors: HashMap<(&'static str, String), usize>,
}

/// Prints how to replay a case if it panics.
struct ReplayHint(u64, usize);

impl Drop for ReplayHint {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "invariant case failed: replay with IGNIS_INVARIANT_SEED={} IGNIS_INVARIANT_STEPS={}",
                self.0, self.1
            );
        }
    }
}

struct Case {
    env: Env,
    rng: StdRng,
    actors: Vec<User>,
    /// (job, operator index) -> (result hash, salt) it committed to.
    commitments: HashMap<(u64, usize), ([u8; 32], [u8; 32])>,
    paid_jobs: HashSet<u64>,
    /// Jobs closed by `close_job`, with their last state: settled for good.
    closed_jobs: HashMap<u64, Job>,
    /// Every id posted (`JobPosted` and `JobsPosted`), in order: batches post ids of
    /// one shard, so the ids are not a dense range.
    posted: Vec<u64>,
    /// Per actor: the most its stake may have earned as a staker (Q20 base units).
    fair_share: Vec<u128>,
    /// Per actor: staking income of stake accounts it has since closed.
    closed_income: Vec<u64>,
    /// Seeds of the capacity challenges paid: each at most once.
    paid_challenges: HashSet<[u8; 32]>,
    stats: Stats,
}

/// What the four first operators publish: small enough that their capacity challenges
/// are searched here in a blink (2^11 x 32 hashes at the default 30 s).
const FUZZ_HASHRATE: u64 = 4_096;

/// What the fair-share bound needs from before a transaction.
struct StakeSnapshot {
    bonded: Vec<u64>,
    slashed: Vec<u64>,
    claimed: Vec<u64>,
    distributed: u64,
    staked: u64,
}

fn emission() -> EmissionSchedule {
    EmissionSchedule {
        start: 0,
        initial_rate: 7 * IGN,
        halving_interval_seconds: 20_000,
        cap: 250_000 * IGN,
        initial_work_rate: 1 << 30,
    }
}

impl Case {
    fn new(seed: u64) -> Self {
        let mut env = Env::with_emission(emission());
        let mut rng = StdRng::seed_from_u64(seed);
        // Keys from the seed too: they feed PoW hashes and job seeds, so a replay must
        // have the same ones.
        let actors: Vec<User> = (0..ACTORS)
            .map(|_| {
                env.user_with_key(solana_keypair::Keypair::new_from_array(rng.gen()), 10_000 * IGN)
            })
            .collect();
        // Four start as registered kernel-capable operators so work can flow at once.
        for operator in &actors[..4] {
            env.stake(operator, MIN_WORKER_STAKE * 3).unwrap();
            let settings = WorkerSettings { hashrate: FUZZ_HASHRATE, ..kernel_worker_settings() };
            let register = ix::register_worker(operator.pubkey(), settings);
            env.send(&[register], &[&operator.key]).unwrap();
        }
        Case {
            env,
            rng,
            actors,
            commitments: HashMap::new(),
            paid_jobs: HashSet::new(),
            closed_jobs: HashMap::new(),
            posted: Default::default(),
            fair_share: vec![0; ACTORS],
            closed_income: vec![0; ACTORS],
            paid_challenges: HashSet::new(),
            stats: Stats::default(),
        }
    }

    fn actor(&mut self) -> usize {
        self.rng.gen_range(0..ACTORS)
    }

    /// An existing job id, or now and then one that does not exist.
    fn job_id(&mut self) -> u64 {
        let next = self.env.shard_totals().jobs_posted;
        if next == 0 || self.rng.gen_ratio(1, 30) {
            return next + self.rng.gen_range(0..3);
        }
        // Favour recent jobs, where the action is.
        let span = next.min(12);
        next - 1 - self.rng.gen_range(0..span)
    }

    /// A recent job that `wanted` accepts, else (or now and then anyway) any id.
    fn pick_job(&mut self, wanted: impl Fn(&Job) -> bool) -> u64 {
        let candidates: Vec<u64> =
            self.recent_jobs().filter(|job| wanted(job)).map(|job| job.id).collect();
        if candidates.is_empty() || self.rng.gen_ratio(1, 8) {
            return self.job_id();
        }
        candidates[self.rng.gen_range(0..candidates.len())]
    }

    /// The live accounts of the 64 jobs posted last.
    fn recent_jobs(&self) -> impl Iterator<Item = Job> + '_ {
        let recent = &self.posted[self.posted.len().saturating_sub(64)..];
        recent.iter().filter_map(|id| self.job(*id))
    }

    /// A live assignment of a recent job that `wanted` accepts: (job, operator's actor
    /// index). Sometimes a random actor instead, who is most likely not assigned.
    fn pick_assignment(&mut self, wanted: impl Fn(&Job) -> bool) -> (u64, usize) {
        self.pick_assignment_where(wanted, |_| true)
    }

    /// [`Case::pick_assignment`] among the assignments `ready` accepts (say, not yet
    /// committed), so that commits and reveals mostly meet a replica that can make them.
    fn pick_assignment_where(
        &mut self,
        wanted: impl Fn(&Job) -> bool,
        ready: impl Fn(&Assignment) -> bool,
    ) -> (u64, usize) {
        let job = self
            .pick_job(|j| wanted(j) && j.assigned > 0 && j.live_assignments().iter().any(&ready));
        let assigned: Vec<usize> = self.job(job).map_or(vec![], |j| {
            j.live_assignments()
                .iter()
                .filter(|a| ready(a))
                .filter_map(|a| {
                    self.actors.iter().position(|u| pda::worker(&u.pubkey()) == a.worker)
                })
                .collect()
        });
        if assigned.is_empty() || self.rng.gen_ratio(1, 10) {
            return (job, self.actor());
        }
        (job, assigned[self.rng.gen_range(0..assigned.len())])
    }

    fn amount(&mut self) -> u64 {
        match self.rng.gen_range(0..10) {
            0 => 0,
            1 => u64::MAX,
            2 => self.rng.gen_range(1..1_000),
            _ => self.rng.gen_range(1..3_000) * IGN,
        }
    }

    fn job(&self, id: u64) -> Option<Job> {
        self.env.account(&pda::job(id))
    }

    /// Sends and checks that a failure changed nothing it could have touched.
    fn send(
        &mut self,
        kind: &'static str,
        ixs: Vec<anchor_lang::solana_program::instruction::Instruction>,
        signer: &solana_keypair::Keypair,
    ) -> bool {
        let watched: Vec<_> = ixs
            .iter()
            .flat_map(|ix| ix.accounts.iter().filter(|m| m.is_writable).map(|m| m.pubkey))
            .collect();
        let before: Vec<_> = watched.iter().map(|key| self.env.svm.get_account(key)).collect();
        let snapshot = self.stake_snapshot();
        let result = self.env.send(&ixs, &[signer]);
        let ok = result.is_ok();
        if ok {
            self.book_fair_shares(&snapshot);
        }
        if let Err(err) = result {
            *self.stats.errors.entry((kind, error_name(&err))).or_default() += 1;
        }
        let entry = self.stats.by_kind.entry(kind).or_default();
        entry.0 += 1;
        self.stats.instructions += ixs.len();
        if ok {
            entry.1 += 1;
            self.stats.succeeded += 1;
            self.record_payments(kind);
        } else {
            for (key, was) in watched.iter().zip(before) {
                let now = self.env.svm.get_account(key);
                // Fee payers pay for failed transactions; nothing else may change.
                if *key != signer.pubkey() {
                    assert_eq!(
                        now.map(|a| a.data),
                        was.map(|a| a.data),
                        "{kind} failed but changed {key}"
                    );
                }
            }
        }
        ok
    }

    fn stake_snapshot(&self) -> StakeSnapshot {
        let stakes: Vec<Option<Stake>> =
            self.actors.iter().map(|a| self.env.account(&pda::stake(&a.pubkey()))).collect();
        let config = self.env.config();
        StakeSnapshot {
            bonded: stakes.iter().map(|s| s.as_ref().map_or(0, |s| s.amount)).collect(),
            slashed: stakes.iter().map(|s| s.as_ref().map_or(0, |s| s.slashed_total)).collect(),
            claimed: stakes.iter().map(|s| s.as_ref().map_or(0, |s| s.claimed_total)).collect(),
            distributed: config.rewards.distributed,
            staked: config.totals.staked,
        }
    }

    /// Books each actor's fair share of what the transaction distributed to stakers:
    /// pro rata to its stake bonded before it (so nothing for a deposit made in it),
    /// over a denominator that leaves out every operator slashed in it (each slash is
    /// shared without its own operator), and none of its own slash.
    fn book_fair_shares(&mut self, before: &StakeSnapshot) {
        let after = self.stake_snapshot();
        let distributed = u128::from(after.distributed - before.distributed);
        let slashed: Vec<u64> =
            after.slashed.iter().zip(&before.slashed).map(|(a, b)| a - b).collect();
        let excluded: u64 = (0..ACTORS).filter(|i| slashed[*i] > 0).map(|i| before.bonded[i]).sum();
        let sharing = u128::from(before.staked.saturating_sub(excluded));
        #[allow(clippy::needless_range_loop)] // `i` indexes five parallel per-actor arrays
        for i in 0..ACTORS {
            if after.claimed[i] == 0
                && before.claimed[i] > 0
                && self.env.account::<Stake>(&pda::stake(&self.actors[i].pubkey())).is_none()
            {
                self.closed_income[i] += before.claimed[i];
            }
            if distributed == 0 || sharing == 0 || before.bonded[i] == 0 {
                continue;
            }
            // Of its own slash, only what reached the stakers was distributed: an SLA
            // job's poster took the rest.
            let worker = pda::worker(&self.actors[i].pubkey());
            let to_poster: u64 = self
                .env
                .events::<AssignmentExpired>()
                .iter()
                .filter(|e| e.worker == worker)
                .map(|e| e.compensation)
                .sum();
            let own_slash = u128::from(slashed[i].saturating_sub(to_poster));
            // Q20: a distribution times a stake stays below 2^100 here.
            let share = ((distributed.saturating_sub(own_slash) * u128::from(before.bonded[i]))
                << 20)
                / sharing;
            self.fair_share[i] += share;
        }
    }

    /// A job is paid at most once, whichever instruction pays it, and the work pool pays
    /// only verified work: at most the job's work units at the current rate.
    fn record_payments(&mut self, kind: &str) {
        let rate = u128::from(self.env.config().rewards.work_rate);
        self.posted.extend(self.env.events::<JobPosted>().iter().map(|e| e.job_id));
        for batch in self.env.events::<JobsPosted>() {
            self.posted.extend(batch.jobs.iter().map(|e| e.job_id));
        }
        let mut pool_pay = vec![];
        let batched = self.env.events::<PowsSubmitted>().into_iter().flat_map(|b| b.proofs);
        for event in self.env.events::<PowSubmitted>().into_iter().chain(batched) {
            pool_pay.push((event.job_id, event.work_reward));
        }
        for event in self.env.events::<JobFinalized>().into_iter().filter(|e| e.completed) {
            if kind == "finalize_job" {
                assert_eq!(
                    event.work_reward, 0,
                    "job {}: the pool paid a result nobody verified",
                    event.job_id
                );
            }
            pool_pay.push((event.job_id, event.work_reward));
        }
        for event in self.env.events::<AssignmentExpired>() {
            let share =
                self.job(event.job_id).and_then(|j| j.sla).map_or(0, |sla| sla.compensation_bps);
            assert_eq!(
                u128::from(event.compensation),
                u128::from(event.slashed) * u128::from(share) / 10_000,
                "job {}: an SLA pays its poster exactly its share of the slash",
                event.job_id
            );
            if event.compensation > 0 {
                let count = self.stats.by_kind.entry("(sla compensation)").or_default();
                *count = (count.0 + 1, count.1 + 1);
            }
        }
        for (job, paid) in pool_pay {
            assert!(self.paid_jobs.insert(job), "job {job} paid twice");
            let units = self.job(job).expect("a paid job exists").kind.work_units();
            assert!(
                u128::from(paid) <= (u128::from(units) * rate) >> 32,
                "job {job}: {paid} from the pool for {units} work units at rate {rate}"
            );
        }
    }

    fn step(&mut self) {
        let who = self.actor();
        let user = self.actors[who].key.insecure_clone();
        let token = self.actors[who].token;
        let key = user.pubkey();
        let protocol = self.env.protocol;
        match self.rng.gen_range(0..124) {
            0..=7 => {
                let amount = self.amount();
                self.send("stake", vec![protocol.stake(key, token, amount)], &user);
            }
            8..=10 => {
                let amount = self.amount() / 16;
                self.send("request_unstake", vec![ix::request_unstake(key, amount)], &user);
            }
            11..=12 => {
                self.send("withdraw", vec![protocol.withdraw(key, token)], &user);
            }
            13..=16 => {
                self.send("claim_rewards", vec![protocol.claim_rewards(key, token)], &user);
            }
            17..=20 => {
                // Mostly whoever is not registered (deregistered operators come back).
                let unregistered: Vec<usize> = (0..ACTORS)
                    .filter(|i| {
                        self.env.worker(&self.actors[*i].pubkey()).is_none_or(|w| !w.registered)
                    })
                    .collect();
                let who = match unregistered.len() {
                    0 => who,
                    n if self.rng.gen_ratio(4, 5) => unregistered[self.rng.gen_range(0..n)],
                    _ => who,
                };
                let (user, key) =
                    (self.actors[who].key.insecure_clone(), self.actors[who].pubkey());
                let settings = self.settings();
                self.send("register_worker", vec![ix::register_worker(key, settings)], &user);
            }
            21..=22 => {
                let settings = self.settings();
                self.send("update_worker", vec![ix::update_worker(key, settings)], &user);
            }
            23 => {
                self.send("deregister_worker", vec![ix::deregister_worker(key)], &user);
            }
            24..=33 => {
                let kind = match self.rng.gen_range(0..10) {
                    0..=3 => JobKind::Pow { difficulty: self.rng.gen_range(0..7) },
                    4..=8 => JobKind::Kernel {
                        kernel: KERNEL_MATMUL_U32,
                        size: self.rng.gen_range(1..5),
                    },
                    // The program sees a tensor job's shape, not its data: the same
                    // commit-reveal and settlement as matmul, priced by its multiply-adds.
                    _ => JobKind::Tensor {
                        spec: ignis::state::TensorSpec {
                            kernel: ignis::constants::KERNEL_GEMM_I8 + self.rng.gen_range(0..2u8),
                            inputs: [ignis::state::BlobRef { sha256: self.rng.gen(), size: 64 }; 2],
                            // Small enough for the simulated workers' hashrate.
                            rows: self.rng.gen_range(1..8),
                            row_bytes: 4 * self.rng.gen_range(1..16),
                            macs_per_row: self.rng.gen_range(1..128),
                        },
                    },
                };
                let replicas = match kind {
                    JobKind::Pow { .. } => 1,
                    _ if self.rng.gen_bool(0.5) => 1,
                    _ => self.rng.gen_range(2..4),
                };
                let mut args = PostJobArgs {
                    kind,
                    replicas,
                    reward: self.rng.gen_range(1..200) * IGN,
                    execution_seconds: self.rng.gen_range(10..600),
                    ttl_seconds: self.rng.gen_range(600..20_000),
                    client_seed: self.rng.gen(),
                    ..self.env.job_args()
                };
                if self.rng.gen_ratio(1, 10) {
                    args.reward = self.amount(); // zero, huge or ordinary
                }
                if self.rng.gen_ratio(1, 20) {
                    // An id in use: the runtime refuses it (the job account exists).
                    if let Some(id) = (0..args.job_id).rev().find(|id| self.job(*id).is_some()) {
                        args.job_id = id;
                    }
                }
                if self.rng.gen_bool(0.3) {
                    // As clients batch: jobs of one shard in one `post_jobs`, all or
                    // nothing (an id in use or a bad reward fails them all). Their ids
                    // lie apart from the single posts' (`job_args`).
                    let base = (1 << 40) + 64 * self.stats.instructions as u64;
                    let first = if self.rng.gen_ratio(1, 20) {
                        args.job_id // mostly in use: refused whole
                    } else {
                        base + u64::from(ignis::state::Shard::index_of(args.job_id))
                    };
                    let jobs: Vec<PostJobArgs> = (0..self.rng.gen_range(1..4))
                        .map(|i| PostJobArgs { job_id: first + 16 * i, ..args })
                        .collect();
                    self.send("post_jobs", vec![protocol.post_jobs(key, token, &jobs)], &user);
                } else {
                    self.send("post_job", vec![protocol.post_job(key, token, args)], &user);
                }
            }
            34..=35 => {
                let job = self.pick_job(|j| j.status == JobStatus::Open && j.assigned == 0);
                self.send("cancel_job", vec![protocol.cancel_job(key, job, token)], &user);
            }
            36..=49 => {
                let job = self.pick_job(|j| j.status == JobStatus::Open);
                // Several assignments batched in one transaction, as the orchestrator does.
                let batch = self.rng.gen_range(1..4);
                let orchestrator = self.env.orchestrator.insecure_clone();
                let signer =
                    if self.rng.gen_ratio(1, 15) { user.insecure_clone() } else { orchestrator };
                let ixs = (0..batch)
                    .map(|_| {
                        // Mostly the registered operators, sometimes anyone.
                        let pool = if self.rng.gen_ratio(9, 10) { 4 } else { ACTORS };
                        let operator = self.actors[self.rng.gen_range(0..pool)].pubkey();
                        ix::assign_job(signer.pubkey(), job, operator)
                    })
                    .collect();
                if self.rng.gen_bool(0.5) {
                    self.send("assign_job", ixs, &signer);
                } else {
                    // As the orchestrator batches: one worker, a few jobs (open or
                    // not: those lost to a race are skipped).
                    let pool = if self.rng.gen_ratio(9, 10) { 4 } else { ACTORS };
                    let operator = self.actors[self.rng.gen_range(0..pool)].pubkey();
                    let jobs: Vec<u64> = (0..self.rng.gen_range(1..5))
                        .map(|_| self.pick_job(|j| j.status == JobStatus::Open))
                        .collect();
                    let batch = ix::assign_jobs(signer.pubkey(), &jobs, operator);
                    self.send("assign_jobs", vec![batch], &signer);
                }
            }
            50..=59 => {
                let (job, who) = self.pick_assignment(|j| {
                    j.status == JobStatus::Running && matches!(j.kind, JobKind::Pow { .. })
                });
                let (user, token) = (self.actors[who].key.insecure_clone(), self.actors[who].token);
                let key = user.pubkey();
                let nonce = match self.job(job) {
                    Some(state) if self.rng.gen_ratio(4, 5) => match state.kind {
                        // Griefers' jobs are far too hard to search here (and never assigned).
                        JobKind::Pow { difficulty } if difficulty <= 8 => {
                            find_nonce(&state.seed, &pda::worker(&key), difficulty)
                        }
                        JobKind::Pow { .. } => self.rng.gen(),
                        JobKind::Kernel { .. } | JobKind::Tensor { .. } => 0,
                    },
                    _ => self.rng.gen(),
                };
                if self.rng.gen_bool(0.3) {
                    // As the worker batches: the proofs of its running PoW jobs in one
                    // `submit_pows`, sometimes with the picked one's (perhaps not its
                    // own, or wrong) or one job twice; all or nothing.
                    let worker = pda::worker(&key);
                    let mut proofs = vec![];
                    let others: Vec<Job> = self.recent_jobs().collect();
                    for other in others {
                        if let (JobStatus::Running, JobKind::Pow { difficulty }) =
                            (other.status, other.kind)
                        {
                            if other.id != job
                                && difficulty <= 8
                                && proofs.len() < 3
                                && other.assignment_index(&worker).is_some()
                            {
                                let nonce = find_nonce(&other.seed, &worker, difficulty);
                                proofs.push((other.id, nonce));
                            }
                        }
                    }
                    if proofs.is_empty() || self.rng.gen_ratio(1, 4) {
                        proofs.push((job, nonce));
                    }
                    if self.rng.gen_ratio(1, 6) {
                        proofs.push(proofs[0]);
                    }
                    self.send(
                        "submit_pows",
                        vec![protocol.submit_pows(key, token, &proofs)],
                        &user,
                    );
                } else {
                    self.send(
                        "submit_pow",
                        vec![protocol.submit_pow(key, job, token, nonce)],
                        &user,
                    );
                }
            }
            60..=67 => {
                let (job, who) = self.pick_assignment_where(
                    |j| {
                        matches!(j.status, JobStatus::Open | JobStatus::Running)
                            && j.kind.is_replicated()
                    },
                    |a| !a.committed,
                );
                let user = self.actors[who].key.insecure_clone();
                let key = user.pubkey();
                let truth = match self.job(job) {
                    Some(Job { kind: JobKind::Kernel { size, .. }, seed, .. }) => {
                        matmul_result_hash(&seed, size)
                    }
                    _ => [0; 32],
                };
                let result = if self.rng.gen_ratio(1, 6) { self.rng.gen() } else { truth };
                let salt: [u8; 32] = self.rng.gen();
                let commitment =
                    ignis::kernels::result_commitment(&result, &salt, &pda::worker(&key));
                if self.send("commit_result", vec![ix::commit_result(key, job, commitment)], &user)
                {
                    self.commitments.insert((job, who), (result, salt));
                }
            }
            68..=75 => {
                let (job, who) = self.pick_assignment_where(
                    |j| j.status == JobStatus::Revealing,
                    |a| a.committed && !a.revealed,
                );
                let user = self.actors[who].key.insecure_clone();
                let key = user.pubkey();
                let (result, salt) = match self.commitments.get(&(job, who)) {
                    Some(&committed) if self.rng.gen_ratio(9, 10) => committed,
                    _ => (self.rng.gen(), self.rng.gen()),
                };
                self.send("reveal_result", vec![ix::reveal_result(key, job, result, salt)], &user);
            }
            76..=81 => {
                let job = self.pick_job(|j| {
                    matches!(j.status, JobStatus::Revealing | JobStatus::Challenge)
                        || j.committed_count() > 0
                });
                let replicas = self.replica_accounts(job);
                let payer = self.env.admin.key.insecure_clone();
                // Slash accounts writable as the rule says, or (now and then) read-only
                // whatever it says: a settlement that slashes must then fail, losing nothing.
                let slashing = self.job(job).is_some_and(|j| {
                    settlement_slashes(&j, Ruling::Unverified) && self.rng.gen_ratio(19, 20)
                });
                let ix = protocol.finalize_job(job, &replicas, slashing);
                self.send("finalize_job", vec![ix], &payer);
            }
            82..=84 => {
                // Rulings land in the verifier's window: aim there (and now and then,
                // through `pick_job`'s own randomness, anywhere).
                let job = self.pick_job(|j| j.status == JobStatus::Challenge);
                let replicas = self.replica_accounts(job);
                let verifier = if self.rng.gen_ratio(1, 10) {
                    user.insecure_clone()
                } else {
                    self.env.verifier.insecure_clone()
                };
                // Attest one of the revealed results (or a made-up one), or dispute them all.
                let revealed: Vec<[u8; 32]> = self
                    .job(job)
                    .map(|j| {
                        j.live_assignments()
                            .iter()
                            .filter(|a| a.revealed)
                            .map(|a| a.result_hash)
                            .collect()
                    })
                    .unwrap_or_default();
                let attested = match self.rng.gen_range(0..10) {
                    0..=5 if !revealed.is_empty() => {
                        Some(revealed[self.rng.gen_range(0..revealed.len())])
                    }
                    6 => Some([self.rng.gen(); 32]),
                    _ => None,
                };
                let ruling = attested.map_or(Ruling::Disputed, Ruling::Attested);
                let slashing = self
                    .job(job)
                    .is_some_and(|j| settlement_slashes(&j, ruling) && self.rng.gen_ratio(19, 20));
                let ix =
                    protocol.verify_result(verifier.pubkey(), job, &replicas, attested, slashing);
                self.send(
                    if attested.is_some() { "attest_result" } else { "dispute_result" },
                    vec![ix],
                    &verifier,
                );
            }
            85..=88 => {
                let job = self.pick_job(|j| {
                    matches!(j.status, JobStatus::Open | JobStatus::Running) && j.assigned > 0
                });
                let operator = match self.job(job) {
                    Some(state) if state.assigned > 0 && self.rng.gen_ratio(4, 5) => {
                        let index = self.rng.gen_range(0..usize::from(state.assigned));
                        self.operator_of(&state.assignments[index].worker)
                    }
                    _ => key,
                };
                // An SLA job pays its poster: the crank passes the poster's token account,
                // now and then a wrong one or none (refused).
                let poster_token = match self.job(job) {
                    Some(state) if state.sla.is_some() && self.rng.gen_ratio(9, 10) => {
                        self.actors.iter().find(|a| a.pubkey() == state.poster).map(|a| a.token)
                    }
                    _ if self.rng.gen_ratio(1, 20) => Some(token),
                    _ => None,
                };
                let payer = self.env.admin.key.insecure_clone();
                self.send(
                    "expire_assignment",
                    vec![protocol.expire_assignment(job, operator, poster_token)],
                    &payer,
                );
            }
            89..=91 => {
                let job = self.pick_job(|j| j.status == JobStatus::Open);
                let poster_token = match self.job(job) {
                    Some(state) => self
                        .actors
                        .iter()
                        .find(|a| a.pubkey() == state.poster)
                        .map_or(token, |a| a.token),
                    None => token,
                };
                let payer = self.env.admin.key.insecure_clone();
                self.send("refund_job", vec![protocol.refund_job(job, poster_token)], &payer);
            }
            92..=98 => {
                let seconds = match self.rng.gen_range(0..20) {
                    0 => self.rng.gen_range(3_000..20_000),
                    _ => self.rng.gen_range(1..250),
                };
                self.env.warp(seconds);
            }
            100..=101 => {
                let (job, who) = self
                    .pick_assignment(|j| matches!(j.status, JobStatus::Open | JobStatus::Running));
                let user = self.actors[who].key.insecure_clone();
                self.send(
                    "decline_assignment",
                    vec![ix::decline_assignment(user.pubkey(), job)],
                    &user,
                );
            }
            102..=103 => {
                // As the orchestrator's crank: usually right after syncing every shard.
                if self.rng.gen_ratio(2, 3) {
                    self.sync_all();
                }
                let payer = self.env.admin.key.insecure_clone();
                self.send("activate_stake", vec![ix::activate_stake(key)], &payer);
            }
            104 => {
                let job = self.pick_job(|j| {
                    matches!(
                        j.status,
                        JobStatus::Completed | JobStatus::Cancelled | JobStatus::Refunded
                    )
                });
                let last = self.job(job);
                let poster = last.as_ref().map_or(key, |j| j.poster);
                let payer = self.env.admin.key.insecure_clone();
                if self.rng.gen_bool(0.5) {
                    if self.send("close_job", vec![ix::close_job(job, poster)], &payer) {
                        let last = last.expect("a closed job existed");
                        assert!(self.job(job).is_none(), "job {job} still exists after close_job");
                        self.closed_jobs.insert(job, last);
                    }
                } else {
                    // As the crank: a batch, with a second settled job (maybe the same,
                    // or one already closed: both skipped).
                    let other = self.pick_job(|j| {
                        matches!(
                            j.status,
                            JobStatus::Completed | JobStatus::Cancelled | JobStatus::Refunded
                        )
                    });
                    let other_last = self.job(other);
                    let other_poster = other_last.as_ref().map_or(key, |j| j.poster);
                    let batch = ix::close_jobs(&[(job, poster), (other, other_poster)]);
                    if self.send("close_jobs", vec![batch], &payer) {
                        for (id, last) in [(job, last), (other, other_last)] {
                            assert!(
                                self.job(id).is_none(),
                                "job {id} still exists after close_jobs"
                            );
                            if let Some(last) = last {
                                self.closed_jobs.insert(id, last);
                            }
                        }
                    }
                }
            }
            105 => {
                self.send("close_stake", vec![ix::close_stake(key)], &user);
            }
            106..=109 => self.just_in_time_stake(),
            110..=111 => self.self_deal(),
            112..=113 => self.grief(),
            114..=116 => {
                // The crank: any shard by anyone, or all of them as the orchestrator does.
                if self.rng.gen_ratio(1, 2) {
                    self.sync_all();
                } else {
                    let shard = self.rng.gen_range(0..SHARDS);
                    self.send("sync_shard", vec![protocol.sync_shard(shard)], &user);
                }
            }
            117 => {
                self.send("mint_emission", vec![protocol.mint_emission()], &user);
            }
            118..=120 => self.challenge(),
            121 => self.buy_sla(),
            122 => self.sla_miss(),
            123 => {
                // Anyone cranks anyone's challenge, due or not.
                let whom = self.actor();
                let operator = self.actors[whom].pubkey();
                self.send("challenge_worker", vec![protocol.challenge_worker(&operator)], &user);
            }
            _ => {
                // Short, rare pauses: unpause at the next chance, pause one time in five.
                let admin = self.env.admin.key.insecure_clone();
                let paused = !self.env.config().paused && self.rng.gen_ratio(1, 5);
                self.send("set_paused", vec![ix::set_paused(admin.pubkey(), paused)], &admin);
            }
        }
        self.stats.steps += 1;
    }

    /// The attacker (one of the last two actors) sees a PoW payout coming, deposits
    /// right before it lands in the same slot, and bonds the deposit in the next slot:
    /// none of the payout's fee may reach it.
    fn just_in_time_stake(&mut self) {
        let (job, who) = self.pick_assignment(|j| {
            j.status == JobStatus::Running && matches!(j.kind, JobKind::Pow { .. })
        });
        let Some(Job { kind: JobKind::Pow { difficulty }, seed, .. }) =
            self.job(job).filter(|j| j.kind.work_units() <= 1 << 8)
        else {
            return;
        };
        let attacker = &self.actors[ACTORS - 1 - self.rng.gen_range(0..2)];
        let (jit, jit_token) = (attacker.key.insecure_clone(), attacker.token);
        let claimable = |env: &Env| {
            let rps = env.config().rewards.reward_per_share;
            env.account::<Stake>(&pda::stake(&jit.pubkey()))
                .map_or(0, |s| s.claimable(rps).unwrap())
        };
        // Every fee before this one reaches the stakers first, so this one stands alone.
        self.sync_all();
        let amount = self.amount();
        if !self.send("stake", vec![self.env.protocol.stake(jit.pubkey(), jit_token, amount)], &jit)
        {
            return;
        }
        // Emission is accrued up to now; the payout lands at the same time and slot.
        let before = claimable(&self.env);
        let bonded = self.env.account::<Stake>(&pda::stake(&jit.pubkey())).map_or(0, |s| s.amount);
        let staked = self.env.config().totals.staked;
        let (worker, token) = (self.actors[who].key.insecure_clone(), self.actors[who].token);
        let nonce = find_nonce(&seed, &pda::worker(&worker.pubkey()), difficulty);
        let protocol = self.env.protocol;
        self.send(
            "submit_pow",
            vec![protocol.submit_pow(worker.pubkey(), job, token, nonce)],
            &worker,
        );
        let fee = self.env.events::<PowSubmitted>().first().map_or(0, |e| e.fee);
        // Its stake bonded earlier may take its pro-rata share of the fee once the crank
        // hands it over; the deposit made in this slot takes none, though it bonds as
        // early as it can: in the next slot, right after every shard was synced.
        let fair = if staked == 0 {
            0
        } else {
            (u128::from(fee) * u128::from(bonded) / u128::from(staked)) as u64
        };
        self.env.next_slot();
        self.sync_all();
        let payer = self.env.admin.key.insecure_clone();
        self.send("activate_stake", vec![ix::activate_stake(jit.pubkey())], &payer);
        let after = claimable(&self.env);
        assert!(
            after - before <= fair + 1,
            "JIT deposit earned {} of a {fee} fee; its bonded stake's fair share is {fair}",
            after - before
        );
    }

    /// The crank: every shard synced, as many to a transaction as the orchestrator sends.
    fn sync_all(&mut self) {
        let payer = self.env.admin.key.insecure_clone();
        for batch in self.env.protocol.sync_shards(0..SHARDS) {
            self.send("sync_shard", batch, &payer);
        }
    }

    /// An attacker posts a kernel job, has it assigned to its own worker, and reveals a
    /// result it never computed. Later steps settle it; `record_payments` checks that no
    /// unverified settlement pays from the work pool.
    fn self_deal(&mut self) {
        let attacker = &self.actors[ACTORS - 1 - self.rng.gen_range(0..2)];
        let (key, token) = (attacker.key.insecure_clone(), attacker.token);
        let args = PostJobArgs {
            kind: JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: self.rng.gen_range(1..5) },
            reward: self.env.config().min_reward(1),
            client_seed: self.rng.gen(),
            ..self.env.job_args()
        };
        if !self.send("post_job", vec![self.env.protocol.post_job(key.pubkey(), token, args)], &key)
        {
            return;
        }
        let orchestrator = self.env.orchestrator.insecure_clone();
        if !self.send(
            "assign_job",
            vec![ix::assign_job(orchestrator.pubkey(), args.job_id, key.pubkey())],
            &orchestrator,
        ) {
            return;
        }
        let (garbage, salt): ([u8; 32], [u8; 32]) = (self.rng.gen(), self.rng.gen());
        let commitment =
            ignis::kernels::result_commitment(&garbage, &salt, &pda::worker(&key.pubkey()));
        if self.send(
            "commit_result",
            vec![ix::commit_result(key.pubkey(), args.job_id, commitment)],
            &key,
        ) {
            let who = ACTORS
                - 1
                - self.actors.iter().rev().position(|a| a.pubkey() == key.pubkey()).unwrap();
            self.commitments.insert((args.job_id, who), (garbage, salt));
            self.send(
                "reveal_result",
                vec![ix::reveal_result(key.pubkey(), args.job_id, garbage, salt)],
                &key,
            );
        }
    }

    /// The crank challenges an operator's worker; usually the worker answers at once,
    /// now and then it stays silent (a miss later), and an attacker tries answers that
    /// prove nothing: a nonce twice, another worker's nonces, too few, or answering for
    /// a worker that is not its own.
    fn challenge(&mut self) {
        let who = if self.rng.gen_ratio(3, 4) { self.rng.gen_range(0..4) } else { self.actor() };
        let operator = self.actors[who].key.insecure_clone();
        let (token, protocol) = (self.actors[who].token, self.env.protocol);
        let payer = self.env.admin.key.insecure_clone();
        self.send("challenge_worker", vec![protocol.challenge_worker(&operator.pubkey())], &payer);
        let worker = pda::worker(&operator.pubkey());
        let Some(challenge) = self.env.account::<Worker>(&worker).and_then(|w| w.capacity.open)
        else {
            return;
        };
        if challenge.difficulty > 14 || self.rng.gen_ratio(1, 6) {
            return; // too big to search here, or a worker that is away
        }
        let nonces =
            ignis::pow::search_nonces(&challenge.seed, &worker, challenge.difficulty, 0, 32);
        let answer = |nonces: Vec<u64>| protocol.answer_challenge(operator.pubkey(), token, nonces);
        match self.rng.gen_range(0..8) {
            0 => {
                let mut doubled = nonces.clone();
                doubled[1] = doubled[0];
                assert!(!self.send("answer_challenge", vec![answer(doubled)], &operator));
            }
            1 => {
                let short = nonces[..31].to_vec();
                assert!(!self.send("answer_challenge", vec![answer(short)], &operator));
            }
            2 => {
                // Someone else signs for this worker, with its valid nonces.
                let thief = self.actors[(who + 1) % ACTORS].key.insecure_clone();
                let mut steal = protocol.answer_challenge(thief.pubkey(), token, nonces.clone());
                steal.accounts[2].pubkey = worker;
                assert!(!self.send("answer_challenge", vec![steal], &thief));
            }
            3 => {
                // Another worker's nonces for this one's challenge: only if they prove
                // nothing here (almost always) must they be refused.
                let other = pda::worker(&self.actors[(who + 1) % ACTORS].pubkey());
                let foreign =
                    ignis::pow::search_nonces(&challenge.seed, &other, challenge.difficulty, 0, 32);
                if challenge.check_answer(&worker, &foreign, i64::MIN).is_err() {
                    assert!(!self.send("answer_challenge", vec![answer(foreign)], &operator));
                }
            }
            _ => {}
        }
        let rate = u128::from(self.env.config().rewards.work_rate);
        let before = self.env.balance(&token);
        if self.send("answer_challenge", vec![answer(nonces)], &operator) {
            let event = &self.env.events::<ChallengeAnswered>()[0];
            assert_eq!(event.worker, worker);
            assert_eq!(event.work_units, challenge.work_units());
            assert!(
                u128::from(event.paid) <= (u128::from(challenge.work_units()) * rate) >> 32,
                "a challenge paid {} for {} work units at rate {rate}",
                event.paid,
                challenge.work_units()
            );
            assert_eq!(self.env.balance(&token), before + event.paid, "paid to its own operator");
            assert!(self.paid_challenges.insert(challenge.seed), "a challenge paid twice");
        }
    }

    /// A poster buys an SLA for an open job, at the price or below it (refused), before
    /// or after its first assignment (refused), or for someone else's job (refused).
    fn buy_sla(&mut self) {
        let job = self.pick_job(|j| j.status == JobStatus::Open);
        let Some(state) = self.job(job) else { return };
        let poster = match self.actors.iter().position(|a| a.pubkey() == state.poster) {
            Some(i) if self.rng.gen_ratio(9, 10) => i,
            _ => self.actor(),
        };
        let (key, token) = (self.actors[poster].key.insecure_clone(), self.actors[poster].token);
        let premium = self.env.config().sla_premium(state.replicas).unwrap();
        let max = if self.rng.gen_ratio(1, 10) { premium - 1 } else { premium };
        let protocol = self.env.protocol;
        self.send("buy_sla", vec![protocol.buy_sla(key.pubkey(), job, token, max)], &key);
    }

    /// A poster posts a PoW job with an SLA, an operator takes it and lets the deadline
    /// pass: the crank's expiry pays the poster exactly the SLA's share of the slash.
    fn sla_miss(&mut self) {
        let poster = self.actor();
        let (key, token) = (self.actors[poster].key.insecure_clone(), self.actors[poster].token);
        let args = PostJobArgs {
            kind: JobKind::Pow { difficulty: 8 },
            reward: self.rng.gen_range(1..20) * IGN,
            execution_seconds: 60,
            client_seed: self.rng.gen(),
            ..self.env.job_args()
        };
        let protocol = self.env.protocol;
        let premium = self.env.config().sla_premium(1).unwrap();
        let post = vec![
            protocol.post_job(key.pubkey(), token, args),
            protocol.buy_sla(key.pubkey(), args.job_id, token, premium),
        ];
        if !self.send("post_job+buy_sla", post, &key) {
            return;
        }
        let orchestrator = self.env.orchestrator.insecure_clone();
        let operator = self.actors[self.rng.gen_range(0..4)].pubkey();
        let assign = ix::assign_job(orchestrator.pubkey(), args.job_id, operator);
        if !self.send("assign_job", vec![assign], &orchestrator) {
            return;
        }
        self.env.warp(61);
        let payer = self.env.admin.key.insecure_clone();
        let before = self.env.balance(&token);
        let expire = protocol.expire_assignment(args.job_id, operator, Some(token));
        if self.send("expire_assignment", vec![expire], &payer) {
            let event = &self.env.events::<AssignmentExpired>()[0];
            assert_eq!(
                self.env.balance(&token),
                before + event.compensation,
                "compensation arrived"
            );
        }
    }

    /// An attacker posts PoW nobody can solve in its window: no worker may be assigned
    /// it (so nobody can be slashed for it), and its escrow comes back on expiry.
    fn grief(&mut self) {
        let attacker = &self.actors[ACTORS - 1 - self.rng.gen_range(0..2)];
        let (key, token) = (attacker.key.insecure_clone(), attacker.token);
        let args = PostJobArgs {
            kind: JobKind::Pow { difficulty: self.rng.gen_range(40..=63) },
            reward: self.rng.gen_range(1..50) * IGN,
            execution_seconds: self.rng.gen_range(10..600),
            client_seed: self.rng.gen(),
            ..self.env.job_args()
        };
        if !self.send("post_job", vec![self.env.protocol.post_job(key.pubkey(), token, args)], &key)
        {
            return;
        }
        let orchestrator = self.env.orchestrator.insecure_clone();
        for victim in 0..4 {
            let operator = self.actors[victim].pubkey();
            let assigned = self.send(
                "assign_job",
                vec![ix::assign_job(orchestrator.pubkey(), args.job_id, operator)],
                &orchestrator,
            );
            assert!(!assigned, "an impossible job was assigned to actor {victim}");
        }
    }

    fn settings(&mut self) -> WorkerSettings {
        if self.rng.gen_ratio(3, 4) {
            return WorkerSettings {
                max_concurrent_jobs: self.rng.gen_range(1..5),
                ..kernel_worker_settings()
            };
        }
        WorkerSettings {
            gpu: GpuInfo {
                model: "sim".into(),
                vram_mb: self.rng.gen_range(0..2) * 1024,
                compute_capability: 90,
            },
            // Any subset of the catalog, the empty one (refused) included.
            supported_kernels: self.rng.gen_range(0..16),
            hashrate: 1,
            min_price: self.rng.gen_range(0..100) * IGN,
            max_concurrent_jobs: self.rng.gen_range(0..4),
            accepting_jobs: self.rng.gen_ratio(9, 10),
        }
    }

    fn operator_of(&self, worker: &anchor_lang::prelude::Pubkey) -> anchor_lang::prelude::Pubkey {
        self.actors
            .iter()
            .map(User::pubkey)
            .find(|op| pda::worker(op) == *worker)
            .expect("workers are actors")
    }

    /// The replica accounts finalize needs, sometimes deliberately wrong.
    fn replica_accounts(
        &mut self,
        job: u64,
    ) -> Vec<(anchor_lang::prelude::Pubkey, anchor_lang::prelude::Pubkey)> {
        let Some(state) = self.job(job) else { return vec![] };
        let mut replicas: Vec<_> = state
            .live_assignments()
            .iter()
            .map(|a| {
                let operator = self.operator_of(&a.worker);
                let token = self.actors.iter().find(|u| u.pubkey() == operator).unwrap().token;
                (operator, token)
            })
            .collect();
        if self.rng.gen_ratio(1, 10) && !replicas.is_empty() {
            let i = self.rng.gen_range(0..replicas.len());
            replicas[i].1 = self.actors[self.rng.gen_range(0..ACTORS)].token;
        }
        replicas
    }

    /// Every invariant, after every step.
    fn check(&mut self, full: bool) {
        self.stats.invariant_checks += 1;
        self.env.assert_reconciled();
        let config = self.env.config();
        let (rewards, totals) = (config.rewards, config.totals);
        let shards = self.env.shard_totals();
        assert_eq!(
            u128::from(rewards.distributed)
                + u128::from(rewards.work_pool)
                + u128::from(shards.work_pool)
                + u128::from(shards.work_paid),
            u128::from(rewards.accrued) + u128::from(totals.fees) + u128::from(totals.slashed),
            "every rewarded token is distributed, in a pool or paid"
        );
        assert_eq!(shards.fees_swept, totals.fees, "the config's fees are the shards' swept");
        let stakes: Vec<Stake> =
            self.actors.iter().filter_map(|a| self.env.account(&pda::stake(&a.pubkey()))).collect();
        assert_eq!(stakes.iter().map(|s| s.amount).sum::<u64>(), totals.staked);
        assert_eq!(stakes.iter().map(|s| s.unbonding_amount).sum::<u64>(), totals.unbonding);
        assert_eq!(stakes.iter().map(|s| s.activating_amount).sum::<u64>(), totals.activating);
        let owed: u128 = stakes
            .iter()
            .map(|s| {
                u128::from(s.claimed_total)
                    + u128::from(s.claimable(rewards.reward_per_share).unwrap())
            })
            .sum();
        let distributed = u128::from(rewards.distributed);
        assert!(
            owed <= distributed,
            "stakers owed {owed}, more than the {distributed} distributed"
        );
        let dust_bound = (self.stats.instructions + ACTORS) as u128;
        assert!(
            distributed - owed <= dust_bound,
            "rounding dust {} over {dust_bound}",
            distributed - owed
        );
        assert_eq!(rewards.claimed_closed, self.closed_income.iter().sum::<u64>());
        // No actor earned more as a staker than its fair share (plus rounding dust).
        let rps = rewards.reward_per_share;
        for (i, actor) in self.actors.iter().enumerate() {
            let income =
                self.env.account::<Stake>(&pda::stake(&actor.pubkey())).map_or(0, |s| {
                    u128::from(s.claimed_total) + u128::from(s.claimable(rps).unwrap())
                }) + u128::from(self.closed_income[i]);
            let fair = self.fair_share[i] >> 20;
            assert!(
                income <= fair + dust_bound,
                "actor {i} earned {income} as a staker; its fair share is {fair}"
            );
        }

        if full {
            self.check_jobs(shards.escrowed, shards.jobs_completed);
        }
    }

    /// Escrows, payments and worker loads against every job account.
    fn check_jobs(&self, escrowed: u64, jobs_completed: u64) {
        // Every id ever posted exists, or was closed once settled.
        let ids: std::collections::BTreeSet<u64> = self.posted.iter().copied().collect();
        let jobs: Vec<Job> = ids
            .into_iter()
            .map(|id| {
                self.job(id).unwrap_or_else(|| {
                    let last = self.closed_jobs.get(&id).expect("a missing job was closed");
                    assert!(
                        matches!(
                            last.status,
                            JobStatus::Completed | JobStatus::Cancelled | JobStatus::Refunded
                        ),
                        "job {id} was closed before it settled"
                    );
                    last.clone()
                })
            })
            .collect();
        let unpaid = |j: &&Job| {
            !matches!(j.status, JobStatus::Completed | JobStatus::Cancelled | JobStatus::Refunded)
        };
        assert_eq!(
            jobs.iter().filter(unpaid).map(|j| j.reward).sum::<u64>(),
            escrowed,
            "job vault owes unpaid escrows"
        );
        let completed: HashSet<u64> =
            jobs.iter().filter(|j| j.status == JobStatus::Completed).map(|j| j.id).collect();
        assert_eq!(completed, self.paid_jobs, "completed jobs are exactly the paid ones");
        assert_eq!(completed.len() as u64, jobs_completed);
        for actor in &self.actors {
            let worker = pda::worker(&actor.pubkey());
            // Settled jobs keep their assignments as history.
            let live = jobs
                .iter()
                .filter(unpaid)
                .flat_map(|j| j.live_assignments())
                .filter(|a| a.worker == worker)
                .count();
            let active = self.env.worker(&actor.pubkey()).map_or(0, |w| usize::from(w.active_jobs));
            assert_eq!(active, live, "a worker's active jobs are its live assignments");
        }
    }
}

/// The program error's name where there is one, else the runtime's.
fn error_name(err: &solana_transaction_error::TransactionError) -> String {
    use solana_instruction_error::InstructionError::Custom;
    use solana_transaction_error::TransactionError::InstructionError;
    match err {
        InstructionError(_, Custom(code)) => ignis_client::errors::describe(*code)
            .map_or(format!("custom {code}"), |e| e.name.to_string()),
        other => format!("{other:?}"),
    }
}

fn run(seed: u64, steps: usize) -> Stats {
    let _hint = ReplayHint(seed, steps);
    let mut case = Case::new(seed);
    for step in 0..steps {
        case.step();
        case.check(step % 100 == 99);
    }
    case.check(true);
    case.stats
}

fn steps() -> usize {
    std::env::var("IGNIS_INVARIANT_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_STEPS)
}

/// Runs cases `first..first + CASES_PER_TEST` (or just the replay seed) and checks that
/// the sequences did real work: every kind of instruction sent succeeded sometimes.
fn run_cases(first: u64) {
    let replay = std::env::var("IGNIS_INVARIANT_SEED").ok().and_then(|s| s.parse().ok());
    let seeds: Vec<u64> = match replay {
        Some(seed) if (first..first + CASES_PER_TEST).contains(&seed) => vec![seed],
        Some(_) => return, // another test's seed
        None => (first..first + CASES_PER_TEST).collect(),
    };
    let mut total = Stats::default();
    for seed in seeds {
        let stats = run(seed, steps());
        total.steps += stats.steps;
        total.instructions += stats.instructions;
        total.succeeded += stats.succeeded;
        total.invariant_checks += stats.invariant_checks;
        for (key, count) in stats.errors {
            *total.errors.entry(key).or_default() += count;
        }
        for (kind, (sent, ok)) in stats.by_kind {
            let entry = total.by_kind.entry(kind).or_default();
            entry.0 += sent;
            entry.1 += ok;
        }
    }
    eprintln!(
        "invariants seeds {first}..: {} steps, {} instructions ({} transactions succeeded), {} invariant checks",
        total.steps, total.instructions, total.succeeded, total.invariant_checks
    );
    let mut kinds: Vec<_> = total.by_kind.iter().collect();
    kinds.sort();
    for (kind, (sent, ok)) in kinds {
        eprintln!("  {kind:<18} sent {sent:>6}  succeeded {ok:>6}");
    }
    let mut errors: Vec<_> = total.errors.iter().collect();
    errors.sort_by(|a, b| b.1.cmp(a.1));
    for ((kind, error), count) in errors.iter().take(25) {
        eprintln!("  rejected {kind:<18} {error:<40} {count:>6}");
    }
    // The full default run must exercise every instruction; a replay or a shortened
    // run need not.
    if replay.is_none() && steps() == DEFAULT_STEPS {
        for kind in [
            "stake",
            "request_unstake",
            "withdraw",
            "claim_rewards",
            "register_worker",
            "post_job",
            "post_jobs",
            "cancel_job",
            "assign_job",
            "submit_pow",
            "submit_pows",
            "commit_result",
            "reveal_result",
            "finalize_job",
            "attest_result",
            "dispute_result",
            "expire_assignment",
            "refund_job",
            "challenge_worker",
            "answer_challenge",
            "buy_sla",
            "(sla compensation)",
        ] {
            let (sent, ok) = total.by_kind.get(kind).copied().unwrap_or_default();
            assert!(
                ok > 0,
                "{kind} never succeeded in {sent} tries: the sequences are not exercising it"
            );
        }
    }
}

#[test]
fn random_sequences_hold_every_invariant_seeds_0_to_5() {
    run_cases(0);
}

#[test]
fn random_sequences_hold_every_invariant_seeds_6_to_11() {
    run_cases(6);
}

#[test]
fn random_sequences_hold_every_invariant_seeds_12_to_17() {
    run_cases(12);
}

#[test]
fn random_sequences_hold_every_invariant_seeds_18_to_23() {
    run_cases(18);
}
