//! The economics benchmark: every attacker strategy of the incentives issue plays for
//! a number of work-rate epochs against honest workers, posters and stakers, under the
//! protocol's default parameters and emission, in one LiteSVM chain. The harness acts
//! as the orchestrator (assigning jobs) and the verifier (recomputing small matmuls).
//!
//! Each row is one party (any number of keys). `net` is what its holdings (tokens and
//! stake in every state) changed by, staking rewards apart; `staking` is what its
//! stake earned as a staker (emission share, fees, others' slashes). The properties:
//! a strategy that computes nothing nets at most 0; one that computes nets no more per
//! verified work unit than an honest worker; honest rows are positive.

use ignis::{
    constants::KERNEL_MATMUL_U32,
    instructions::PostJobArgs,
    state::{EmissionSchedule, JobKind, Params},
};
use ignis_client::{instructions as ix, pda};

use crate::*;

/// Difficulty of the PoW jobs: 4,096 hashes, cheap enough to search for real here.
const POW_DIFFICULTY: u8 = 12;
/// The unverifiable job: a 4096 x 4096 matmul (2^36 multiply-adds), never computed.
const HUGE_N: u32 = 4_096;
/// The replicated jobs the verifier recomputes.
const SMALL_N: u32 = 16;

/// One party's result.
#[derive(Clone, Debug)]
pub struct Row {
    pub strategy: &'static str,
    pub computes: bool,
    pub honest: bool,
    /// Work units of the verified work it did (what the pool pays by).
    pub verified_units: u64,
    pub work_pool_pay: u64,
    pub net: i128,
    pub staking: i128,
}

impl Row {
    /// Whether the row meets its property, given the honest PoW worker's net per unit.
    pub fn holds(&self, honest_net_per_unit: f64) -> bool {
        if self.honest {
            self.net + self.staking > 0
        } else if !self.computes {
            self.net <= 0
        } else {
            self.verified_units > 0
                && (self.net as f64) / (self.verified_units as f64) <= honest_net_per_unit
        }
    }
}

pub struct Report {
    pub epochs: u32,
    pub rows: Vec<Row>,
    /// What the honest posters paid for their compute (a customer, not a strategy).
    pub posters_spent: i128,
}

impl Report {
    pub fn honest_net_per_unit(&self) -> f64 {
        let honest =
            self.rows.iter().find(|r| r.strategy == "honest PoW worker").expect("honest row");
        honest.net as f64 / honest.verified_units.max(1) as f64
    }

    pub fn all_hold(&self) -> bool {
        let per_unit = self.honest_net_per_unit();
        self.rows.iter().all(|r| r.holds(per_unit))
    }
}

struct Party {
    keys: Vec<User>,
    start: i128,
    units: u64,
    pool: u64,
}

impl Party {
    fn new(env: &Env, keys: Vec<User>) -> Self {
        let refs: Vec<&User> = keys.iter().collect();
        let start = env.holdings(&refs);
        Party { keys, start, units: 0, pool: 0 }
    }

    fn row(&self, env: &Env, strategy: &'static str, computes: bool, honest: bool) -> Row {
        let refs: Vec<&User> = self.keys.iter().collect();
        Row {
            strategy,
            computes,
            honest,
            verified_units: self.units,
            work_pool_pay: self.pool,
            net: env.holdings(&refs) - self.start,
            staking: env.staking_income(&refs),
        }
    }
}

/// Plays `epochs` work-rate epochs (a day each under the default parameters).
pub fn run(epochs: u32) -> Report {
    let params = Params { min_worker_stake: MIN_WORKER_STAKE, ..Params::default() };
    let mut env =
        Env::with_params(anchor_spl::token::spl_token::ID, params, EmissionSchedule::default());
    let budget = 50_000 * IGN;
    let user = |env: &mut Env| env.user(budget);
    let operator = |env: &mut Env, kernels: bool| {
        let op = env.user(budget);
        env.stake(&op, MIN_WORKER_STAKE).expect("stake");
        let settings = if kernels { kernel_worker_settings() } else { worker_settings() };
        let settings =
            ignis::state::WorkerSettings { max_concurrent_jobs: 16, min_price: 0, ..settings };
        env.send(&[ix::register_worker(op.pubkey(), settings)], &[&op.key]).expect("register");
        op
    };

    let poster = user(&mut env);
    let honest_staker = user(&mut env);
    env.stake(&honest_staker, 1_000 * IGN).unwrap();
    let honest_pow = operator(&mut env, false);
    let honest_kernel = operator(&mut env, true);
    let self_pow = (user(&mut env), operator(&mut env, false));
    let unverifiable = (user(&mut env), operator(&mut env, true));
    let sybils = (operator(&mut env, true), operator(&mut env, true));
    let withholder = operator(&mut env, true);
    let griefer = user(&mut env);
    let jit = user(&mut env);
    let slacker = operator(&mut env, false);
    env.stake(&slacker, 1_000 * IGN).unwrap(); // a big staker that misses its jobs

    let poster_start = env.holdings(&[&poster]);
    let mut honest_pow_p = Party::new(&env, vec![honest_pow]);
    let mut honest_kernel_p = Party::new(&env, vec![honest_kernel]);
    let staker_p = Party::new(&env, vec![honest_staker]);
    let mut self_pow_p = Party::new(&env, vec![self_pow.0, self_pow.1]);
    let unverifiable_p = Party::new(&env, vec![unverifiable.0, unverifiable.1]);
    let sybils_p = Party::new(&env, vec![sybils.0, sybils.1]);
    let withholder_p = Party::new(&env, vec![withholder]);
    let griefer_p = Party::new(&env, vec![griefer]);
    let jit_p = Party::new(&env, vec![jit]);
    let slacker_p = Party::new(&env, vec![slacker]);

    let epoch_seconds = env.config().params.epoch_seconds;
    let min_reward = env.config().min_reward(1);
    for _ in 0..epochs {
        // Keep every operator at the minimum stake, from its own tokens.
        for op in [
            &honest_kernel_p.keys[0],
            &sybils_p.keys[0],
            &sybils_p.keys[1],
            &withholder_p.keys[0],
            &slacker_p.keys[0],
        ] {
            let bonded = env.stake_of(&op.pubkey()).amount;
            if bonded < MIN_WORKER_STAKE {
                env.stake(op, MIN_WORKER_STAKE - bonded).expect("top up");
            }
        }

        // Honest PoW: a customer's two jobs. The second pays well when the JIT staker
        // has funds: it deposits right before that payout lands, in the same slot, and
        // leaves as soon as its stake is bonded.
        let jit_key = &jit_p.keys[0];
        let job = env.post_pow(&poster, POW_DIFFICULTY, 10 * IGN).unwrap();
        pow_job(&mut env, &mut honest_pow_p, 0, job);
        if env.balance(&jit_key.token) >= 10_000 * IGN {
            let job = env.post_pow(&poster, POW_DIFFICULTY, 100 * IGN).unwrap();
            env.assign(job, &honest_pow_p.keys[0].pubkey()).unwrap();
            env.deposit(jit_key, 10_000 * IGN).unwrap();
            solve_and_submit(&mut env, &mut honest_pow_p, 0, job);
            env.next_slot();
            env.sync();
            env.crank(ix::activate_stake(jit_key.pubkey())).unwrap();
            env.send(&[ix::request_unstake(jit_key.pubkey(), 10_000 * IGN)], &[&jit_key.key])
                .unwrap();
        } else {
            let job = env.post_pow(&poster, POW_DIFFICULTY, 10 * IGN).unwrap();
            pow_job(&mut env, &mut honest_pow_p, 0, job);
        }

        // Self-dealt PoW: real hashes, posted to itself at the smallest fee-bearing reward.
        for _ in 0..2 {
            let job = env.post_pow(&self_pow_p.keys[0], POW_DIFFICULTY, min_reward).unwrap();
            pow_job(&mut env, &mut self_pow_p, 1, job);
        }

        // Unverifiable self-dealing: a huge matmul to itself, garbage revealed.
        let (u_poster, u_worker) = (twin(&unverifiable_p.keys[0]), twin(&unverifiable_p.keys[1]));
        let (u_poster, u_worker) = (&u_poster, &u_worker);
        let huge = env.post_matmul(u_poster, HUGE_N, 1, min_reward).unwrap();
        env.assign(huge, &u_worker.pubkey()).unwrap();
        env.commit(u_worker, huge, [0xab; 32], [1; 32]).unwrap();
        env.reveal(u_worker, huge, [0xab; 32], [1; 32]).unwrap();

        // Two sybils outvoting an honest replica; a withholder beside an honest one.
        let (kernel, s1, s2) =
            (twin(&honest_kernel_p.keys[0]), twin(&sybils_p.keys[0]), twin(&sybils_p.keys[1]));
        let (kernel, s1, s2) = (&kernel, &s1, &s2);
        let withholder = twin(&withholder_p.keys[0]);
        let three = env.post_matmul(&poster, SMALL_N, 3, 30 * IGN).unwrap();
        let two = env.post_matmul(&poster, SMALL_N, 2, 20 * IGN).unwrap();
        for op in [kernel, s1, s2] {
            env.assign(three, &op.pubkey()).unwrap();
        }
        for op in [kernel, &withholder] {
            env.assign(two, &op.pubkey()).unwrap();
        }
        let (truth3, truth2) = (
            matmul_result_hash(&env.job(three).seed, SMALL_N),
            matmul_result_hash(&env.job(two).seed, SMALL_N),
        );
        let lie = [0xee; 32];
        for (op, hash, salt) in [(kernel, truth3, 1u8), (s1, lie, 2), (s2, lie, 3)] {
            env.commit(op, three, hash, [salt; 32]).unwrap();
        }
        for (op, hash, salt) in [(kernel, truth3, 1u8), (s1, lie, 2), (s2, lie, 3)] {
            env.reveal(op, three, hash, [salt; 32]).unwrap();
        }
        env.rule(three, &[kernel, s1, s2], Some(truth3)).unwrap();
        credit(&env, &mut honest_kernel_p, three);
        env.commit(kernel, two, truth2, [4; 32]).unwrap();
        env.commit(&withholder, two, truth2, [5; 32]).unwrap();
        env.reveal(kernel, two, truth2, [4; 32]).unwrap();

        // A griefer's impossible job is never assigned; a big staker misses its job.
        let args = PostJobArgs {
            kind: JobKind::Pow { difficulty: 63 },
            execution_seconds: 10,
            reward: 10 * IGN,
            ..env.job_args()
        };
        let impossible = env.post(&griefer_p.keys[0], args).unwrap();
        assert!(
            env.assign(impossible, &honest_pow_p.keys[0].pubkey()).is_err(),
            "infeasible jobs are not assigned"
        );
        let missed = env.post_pow(&poster, POW_DIFFICULTY, 10 * IGN).unwrap();
        env.assign(missed, &slacker_p.keys[0].pubkey()).unwrap();

        // The windows pass: settle what is due, as the crank would.
        let reveal_window = env.config().params.reveal_window_seconds;
        let challenge_window = env.config().params.challenge_window_seconds;
        env.warp(reveal_window + 1);
        env.rule(two, &[kernel, &withholder], Some(truth2)).unwrap();
        credit(&env, &mut honest_kernel_p, two);
        env.warp(challenge_window + 1);
        env.finalize(huge, &[u_worker]).unwrap();
        let max_execution = env.config().params.max_execution_seconds;
        env.warp(max_execution);
        env.crank(env.protocol.expire_assignment(missed, slacker_p.keys[0].pubkey(), None))
            .unwrap();
        let ttl = env.job_args().ttl_seconds;
        env.warp(ttl);
        let griefer_key = &griefer_p.keys[0];
        env.crank(env.protocol.refund_job(impossible, griefer_key.token)).unwrap();
        env.crank(env.protocol.refund_job(missed, poster.token)).unwrap();

        // The rest of the epoch; the JIT staker withdraws once unbonded.
        let elapsed = reveal_window + challenge_window + max_execution + ttl + 2;
        env.warp((epoch_seconds - elapsed).max(1));
        let jit_stake = env.stake_of(&jit_key.pubkey());
        if jit_stake.unbonding_amount > 0 && env.config().clock_at(env.now()) >= jit_stake.unlock_at
        {
            env.send(&[env.protocol.withdraw(jit_key.pubkey(), jit_key.token)], &[&jit_key.key])
                .unwrap();
        }
    }
    // Bring every accumulator up to date (a claim-free accrual).
    env.stake(&staker_p.keys[0], 1).unwrap();

    let rows = vec![
        honest_pow_p.row(&env, "honest PoW worker", true, true),
        honest_kernel_p.row(&env, "honest kernel worker", true, true),
        staker_p.row(&env, "honest staker", false, true),
        self_pow_p.row(&env, "self-dealt PoW (computes)", true, false),
        unverifiable_p.row(&env, "self-dealt unverifiable matmul", false, false),
        sybils_p.row(&env, "two sybils outvoting an honest replica", false, false),
        withholder_p.row(&env, "withholding its reveal", false, false),
        griefer_p.row(&env, "griefer posting impossible jobs", false, false),
        jit_p.row(&env, "JIT staker in the payout slot", false, false),
        slacker_p.row(&env, "big staker missing its own jobs", false, false),
    ];
    env.assert_reconciled();
    let posters_spent = env.holdings(&[&poster]) - poster_start;
    Report { epochs, rows, posters_spent }
}

/// Assigns `job` to the party's key `worker`, solves it for real and submits.
fn pow_job(env: &mut Env, party: &mut Party, worker: usize, job: u64) {
    env.assign(job, &party.keys[worker].pubkey()).unwrap();
    solve_and_submit(env, party, worker, job);
}

fn solve_and_submit(env: &mut Env, party: &mut Party, worker: usize, job: u64) {
    let key = &party.keys[worker];
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&key.pubkey()), POW_DIFFICULTY);
    env.submit_pow(key, job, nonce).unwrap();
    let paid = &env.events::<ignis_client::events::PowSubmitted>()[0];
    party.units += 1 << POW_DIFFICULTY;
    party.pool += paid.work_reward;
}

/// Another handle on the same key, so that parties can be borrowed while it signs.
fn twin(user: &User) -> User {
    User { key: user.key.insecure_clone(), token: user.token }
}

/// Books an attested kernel job's work for the honest replica (the last settlement).
fn credit(env: &Env, party: &mut Party, job: u64) {
    let event = &env.events::<ignis_client::events::JobFinalized>()[0];
    assert!(event.completed, "job {job} attested");
    let units = JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size: SMALL_N }.work_units();
    party.units += units / u64::from(event.winners);
    party.pool += event.work_reward / u64::from(event.winners);
}

/// `amount` base units as IGN, to the base unit.
pub fn ign(amount: i128) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let amount = amount.unsigned_abs();
    format!("{sign}{}.{:09}", amount / u128::from(IGN), amount % u128::from(IGN))
}

/// The report as a markdown table.
pub fn table(report: &Report) -> String {
    let per_unit = report.honest_net_per_unit();
    let mut out = format!(
        "Economics over {} epochs (default parameters and emission; IGN)\n\n\
         | strategy | computes | verified work units | work-pool pay | net (staking apart) | staking | net per unit | holds |\n\
         |---|---|---:|---:|---:|---:|---:|---|\n",
        report.epochs
    );
    for row in &report.rows {
        let per = if row.verified_units > 0 {
            format!("{:.0}", row.net as f64 / row.verified_units as f64)
        } else {
            "-".into()
        };
        out += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.strategy,
            if row.computes { "yes" } else { "no" },
            row.verified_units,
            ign(i128::from(row.work_pool_pay)),
            ign(row.net),
            ign(row.staking),
            per,
            if row.holds(per_unit) { "yes" } else { "NO" },
        );
    }
    out += &format!(
        "\nNet per unit is in base units per work unit; the honest PoW worker's is {per_unit:.0}. \
         The customer that posted the honest jobs spent {} IGN on them.\n",
        ign(-report.posters_spent)
    );
    out
}
