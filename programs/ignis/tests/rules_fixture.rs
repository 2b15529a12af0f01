//! The web app computes a few protocol rules locally (a wallet shows live rewards
//! between blocks): `app/src/lib/{clock,rewards,closing}.ts`. This test keeps the
//! committed fixture `app/tests/fixtures/rules.json` equal to what the program's own
//! functions give; the app's `rules.fixture.test.ts` checks the TypeScript against it.
//! After a rule changes, regenerate with `IGNIS_BLESS=1 cargo test -p
//! ignis-program-tests --test rules_fixture` and commit the file with the change.

use anchor_lang::prelude::Pubkey;
use ignis::state::{EmissionSchedule, JobStatus, Stake};
use ignis_program_tests::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};

const FIXTURE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../app/tests/fixtures/rules.json");

fn schedule_json(s: &EmissionSchedule) -> Value {
    json!({
        "start": s.start.to_string(),
        "initialRate": s.initial_rate.to_string(),
        "halvingIntervalSeconds": s.halving_interval_seconds.to_string(),
        "cap": s.cap.to_string(),
    })
}

fn schedules(rng: &mut StdRng) -> Vec<EmissionSchedule> {
    let s = |start, initial_rate, halving_interval_seconds, cap| EmissionSchedule {
        start,
        initial_rate,
        halving_interval_seconds,
        cap,
        initial_work_rate: 1_000,
    };
    let mut all = vec![
        s(100, 1_000, 50, 123_456),
        s(100, 1_000, 50, 80_000),
        // The 64-halving limit, under and at the cap.
        s(0, 1 << 63, 1, u64::MAX),
        s(0, 1 << 62, 1, u64::MAX),
        s(1_700_000_000, 0, 86_400, 1_000),
    ];
    for _ in 0..20 {
        let bits = rng.gen_range(1..40);
        all.push(s(
            rng.gen_range(0..2_000_000_000),
            rng.gen_range(1..1u64 << bits),
            rng.gen_range(1..400_000),
            rng.gen_range(1..u64::MAX),
        ));
    }
    all
}

fn generate() -> Value {
    let mut rng = StdRng::seed_from_u64(16);
    let env = Env::new();
    let base = env.config();

    let mut clock = vec![];
    for case in 0..24 {
        let mut config = base.clone();
        config.paused = case % 2 == 1;
        config.paused_at = rng.gen_range(0..2_000_000_000);
        config.paused_seconds = rng.gen_range(0..1_000_000);
        let now =
            if case % 4 == 1 { config.paused_at - 1 } else { rng.gen_range(0..2_000_000_000) };
        clock.push(json!({
            "paused": config.paused,
            "pausedAt": config.paused_at.to_string(),
            "pausedSeconds": config.paused_seconds.to_string(),
            "now": now.to_string(),
            "clock": config.clock_at(now).to_string(),
        }));
    }

    let mut emission = vec![];
    let mut claimable = vec![];
    for schedule in schedules(&mut rng) {
        let interval = schedule.halving_interval_seconds;
        let offsets =
            [-1, 0, 1, interval - 1, interval, 3 * interval + 7, 63 * interval, 65 * interval];
        for offset in offsets.into_iter().chain((0..4).map(|_| rng.gen_range(0..70 * interval))) {
            let now = schedule.start + offset;
            emission.push(json!({
                "schedule": schedule_json(&schedule),
                "now": now.to_string(),
                "emittedAfter": schedule.emitted_after(now - schedule.start).to_string(),
                "rate": schedule.rate_at(now).to_string(),
            }));
        }
        for _ in 0..3 {
            let mut config = base.clone();
            config.emission = schedule;
            config.params.staker_emission_bps = rng.gen_range(0..=10_000);
            let at = schedule.start + rng.gen_range(0..3 * interval);
            config.rewards.accrued = schedule.emitted_after(at - schedule.start);
            config.rewards.reward_per_share = rng.gen_range(0..1u128 << 80);
            config.totals.staked = if rng.gen_bool(0.2) {
                rng.gen_range(0..1_000_000)
            } else {
                rng.gen_range(0..1 << 60)
            };
            let amount = rng.gen_range(0..=config.totals.staked);
            let stake = Stake {
                owner: Pubkey::new_unique(),
                amount,
                pending_rewards: rng.gen_range(0..1 << 40),
                reward_debt: match u128::from(amount).checked_mul(config.rewards.reward_per_share) {
                    Some(product) if rng.gen_bool(0.8) => product >> 64,
                    _ => rng.gen_range(0..1u128 << 70),
                },
                unbonding_amount: 0,
                activating_amount: 0,
                activating_slot: 0,
                unlock_at: 0,
                slashed_total: 0,
                claimed_total: 0,
                created_at: 0,
                bump: 0,
            };
            let now = at + rng.gen_range(0..2 * interval);
            // Inputs the program could never reach (an overflow) are not app cases.
            // What `claim_rewards` pays: the accumulator as last written, no accrual.
            let Ok(value) = stake.claimable_now(&config) else { continue };
            claimable.push(json!({
                "config": {
                    "stakerEmissionBps": config.params.staker_emission_bps,
                    "emission": schedule_json(&schedule),
                    "accrued": config.rewards.accrued.to_string(),
                    "rewardPerShare": config.rewards.reward_per_share.to_string(),
                    "staked": config.totals.staked.to_string(),
                },
                "stake": {
                    "amount": stake.amount.to_string(),
                    "rewardDebt": stake.reward_debt.to_string(),
                    "pendingRewards": stake.pending_rewards.to_string(),
                },
                "now": now.to_string(),
                "claimable": value.to_string(),
            }));
        }
    }

    let mut job_closable = vec![];
    let statuses = [
        (JobStatus::Open, "open"),
        (JobStatus::Running, "running"),
        (JobStatus::Completed, "completed"),
        (JobStatus::Cancelled, "cancelled"),
        (JobStatus::Refunded, "refunded"),
        (JobStatus::Revealing, "revealing"),
        (JobStatus::Challenge, "challenge"),
    ];
    let mut job = empty_job();
    let mut params = ignis::state::Params::default();
    for (status, name) in statuses {
        for retention in [0, 3_600, ignis::constants::MAX_JOB_RETENTION_SECONDS] {
            for offset in [-1, 0, 1, 1_000_000] {
                params.job_retention_seconds = retention;
                job.status = status;
                job.completed_at = rng.gen_range(1_000..1_000_000);
                let now = job.completed_at + retention + offset;
                job_closable.push(json!({
                    "status": name,
                    "completedAt": job.completed_at,
                    "retention": retention,
                    "now": now,
                    "closable": job.closable_at(now, &params),
                }));
            }
        }
    }

    // `Config::sla_min_compensation` and `Config::sla_premium`: the app's SLA preview.
    let mut sla = vec![];
    let mut config = base;
    for case in 0..24 {
        config.params.min_worker_stake = match case {
            0 => 0,
            1 => u64::MAX,
            _ => {
                let bits = rng.gen_range(1..63);
                rng.gen_range(1..1u64 << bits)
            }
        };
        config.params.miss_slash_bps = rng.gen_range(0..=10_000);
        config.params.sla_compensation_bps = rng.gen_range(0..=10_000);
        config.network_uptime.uptime_bps = match case {
            2 => 10_000,
            3 => 0,
            _ => rng.gen_range(0..=10_000),
        };
        let replicas = rng.gen_range(1..=3);
        let params = &config.params;
        sla.push(json!({
            "minWorkerStake": params.min_worker_stake.to_string(),
            "missSlashBps": params.miss_slash_bps,
            "slaCompensationBps": params.sla_compensation_bps,
            "uptimeBps": config.network_uptime.uptime_bps,
            "replicas": replicas,
            "minCompensation": config.sla_min_compensation().unwrap().to_string(),
            "premium": config.sla_premium(replicas).unwrap().to_string(),
        }));
    }

    json!({
        "generatedBy": "programs/ignis/tests/rules_fixture.rs (IGNIS_BLESS=1 to regenerate)",
        "sla": sla,
        "clock": clock,
        "emission": emission,
        "claimable": claimable,
        "jobClosable": job_closable,
    })
}

/// A job as posted, to vary status and completion time on.
fn empty_job() -> ignis::state::Job {
    let mut env = Env::new();
    let poster = env.user(100 * IGN);
    let id = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    env.job(id)
}

#[test]
fn the_apps_rule_fixture_matches_the_program() {
    let expected = serde_json::to_string_pretty(&generate()).unwrap() + "\n";
    if std::env::var_os("IGNIS_BLESS").is_some() {
        std::fs::write(FIXTURE, &expected).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(FIXTURE).unwrap_or_default();
    assert!(
        committed == expected,
        "{FIXTURE} is not what the program's rules give: regenerate it with \
         `IGNIS_BLESS=1 cargo test -p ignis-program-tests --test rules_fixture`, then run \
         the app's tests (`npm --prefix app test`)"
    );
}
