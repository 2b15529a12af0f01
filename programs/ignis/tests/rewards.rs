//! Emission, staker rewards (claim_rewards), the work pool and its retargeting.

use anchor_lang::error::ErrorCode as AnchorError;
use ignis::{
    errors::IgnisError,
    state::{EmissionSchedule, Shard},
};
use ignis_client::{events::*, instructions as ix, pda};
use ignis_program_tests::*;
use solana_signer::Signer;

const DAY: i64 = 86_400;

/// The schedule's release after `elapsed` seconds, computed second-range by range
/// from the definition (rate halves at every interval boundary, total capped).
fn reference_emission(schedule: &EmissionSchedule, elapsed: i64) -> u64 {
    let (mut at, mut total, mut halvings) = (0i64, 0u128, 0u32);
    while at < elapsed && halvings < 64 {
        let interval_end = (i64::from(halvings) + 1) * schedule.halving_interval_seconds;
        let seconds = interval_end.min(elapsed) - at;
        total += seconds as u128 * u128::from(schedule.initial_rate >> halvings);
        at += seconds;
        halvings += 1;
    }
    total.min(u128::from(schedule.cap)) as u64
}

fn year_schedule() -> EmissionSchedule {
    EmissionSchedule {
        start: 0,
        initial_rate: 3 * IGN,              // 3 IGN per second
        halving_interval_seconds: 91 * DAY, // a quarter
        cap: 30_000_000 * IGN,              // 23.6M in Q1, so reached in Q2
        initial_work_rate: 1 << 32,         // one base unit per work unit
    }
}

#[test]
fn emission_over_a_simulated_year_follows_the_closed_form_and_stops_at_the_cap() {
    let schedule = year_schedule();
    let mut env = Env::with_emission(schedule);
    let start = env.config().emission.start;
    let staker = env.user(1_000 * IGN);
    env.stake(&staker, 1_000 * IGN).unwrap();
    let mut capped_on = None;
    for day in 1..=365 {
        env.warp(DAY);
        env.sync(); // the orchestrator's crank: mints when due, accrues
        let claim =
            env.send(&[env.protocol.claim_rewards(staker.pubkey(), staker.token)], &[&staker.key]);
        if capped_on.is_some() {
            // Past the cap nothing new is released, so there is nothing to claim.
            assert_ignis_err(claim, IgnisError::NothingToClaim);
        } else {
            claim.unwrap();
        }
        let elapsed = env.now() - start;
        let expected = reference_emission(&schedule, elapsed);
        let accrued = env.config().rewards.accrued;
        assert!(
            accrued.abs_diff(expected) <= 1,
            "day {day}: accrued {accrued}, schedule {expected}"
        );
        // Minted an epoch ahead, once an epoch (the crank ran daily here).
        let minted = env.supply() - GENESIS_SUPPLY;
        let ahead = reference_emission(&schedule, elapsed + EPOCH_SECONDS);
        assert!(accrued <= minted && minted <= ahead + 1, "day {day}: minted {minted}");
        if accrued == schedule.cap && capped_on.is_none() {
            capped_on = Some(day);
        }
    }
    let capped_on = capped_on.expect("the cap is reached within the year");
    assert!((92..=182).contains(&capped_on), "cap reached in the second quarter, day {capped_on}");
    assert_eq!(env.supply() - GENESIS_SUPPLY, schedule.cap, "and never passed");
    // The staker got the stakers' half of everything, less at most a unit per claim.
    let claimed = env.balance(&staker.token);
    assert!(schedule.cap / 2 - claimed <= 365, "claimed {claimed} of {}", schedule.cap / 2);
    assert_eq!(
        env.config().rewards.work_into_pool,
        schedule.cap - schedule.cap / 2,
        "the rest waits for work, in the pool or the shards'"
    );
    env.assert_reconciled();
}

#[test]
fn emission_while_nobody_is_staked_pays_work_not_the_first_dust_staker() {
    let schedule = year_schedule();
    let mut env = Env::with_emission(schedule);
    env.warp(91 * DAY); // exactly one interval, nobody staked
                        // The attacker: the first staker, with a dust stake, hoping to collect what the
                        // schedule released to stakers while nobody was staked.
    let dust = env.user(10 * IGN);
    let before = env.balance(&dust.token);
    env.stake(&dust, 10 * IGN).unwrap();
    let config = env.config();
    let released = 3 * IGN * 91 * DAY as u64;
    assert_eq!(config.rewards.accrued, released, "the schedule is exact at the interval boundary");
    assert_eq!(
        config.rewards.to_work_pool_unstaked,
        released / 2,
        "the stakers' half went to the work pool"
    );
    assert_eq!(config.rewards.work_into_pool, released, "both halves wait for verified work");
    assert_eq!(config.rewards.distributed, 0);
    // Claiming right away finds nothing: the attacker's net is its stake, no more.
    let claim = env.protocol.claim_rewards(dust.pubkey(), dust.token);
    assert_ignis_err(env.send(&[claim], &[&dust.key]), IgnisError::NothingToClaim);
    assert_eq!(
        env.balance(&dust.token) + env.stake_of(&dust.pubkey()).amount,
        before,
        "attacker net 0"
    );
    env.assert_reconciled();
}

#[test]
fn fees_go_to_stakers_pro_rata_and_late_stakers_get_none_of_the_past() {
    let mut env = Env::new();
    let (small, large) = (env.user(100 * IGN), env.user(300 * IGN));
    env.stake(&small, 100 * IGN).unwrap();
    env.stake(&large, 300 * IGN).unwrap();
    let operator = env.worker_operator(); // stakes 100 IGN too: 500 IGN bonded in all
    let poster = env.user(1_000 * IGN);
    let job = env.post_pow(&poster, 0, 1_000 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    env.submit_pow(&operator, job, 0).unwrap();
    let fee = 50 * IGN; // 5%

    let late = env.user(100 * IGN);
    env.stake(&late, 100 * IGN).unwrap();
    let claim = |env: &mut Env, user: &User| {
        let ix = env.protocol.claim_rewards(user.pubkey(), user.token);
        env.send(&[ix], &[&user.key])
    };
    claim(&mut env, &small).unwrap();
    claim(&mut env, &large).unwrap();
    assert!(fee * 3 / 5 - env.events::<RewardsClaimed>()[0].amount <= 1);
    assert!(fee / 5 - env.balance(&small.token) <= 1);
    assert!(fee * 3 / 5 - env.balance(&large.token) <= 1);
    assert_ignis_err(claim(&mut env, &late), IgnisError::NothingToClaim);
    assert_ignis_err(claim(&mut env, &small), IgnisError::NothingToClaim);
    env.assert_reconciled();
}

#[test]
fn slashed_stake_goes_to_the_other_stakers_and_none_back_to_the_slashed_operator() {
    // The attack: a slashed operator that is also a big staker took most of its own
    // slash back as a staker (before: 90 of its 100 IGN stake earned 90/190 of it).
    let mut env = Env::new();
    let staker = env.user(100 * IGN);
    env.stake(&staker, 100 * IGN).unwrap();
    let slacker = env.worker_operator();
    let poster = env.user(100 * IGN);
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    env.assign(job, &slacker.pubkey()).unwrap();
    env.warp(301);
    env.crank(env.protocol.expire_assignment(job, slacker.pubkey(), None)).unwrap();
    // 10 IGN slashed, all of it shared by the 100 IGN bonded by others.
    let slash = 10 * IGN;
    let rps = env.config().rewards.reward_per_share;
    assert_eq!(env.stake_of(&slacker.pubkey()).claimable(rps).unwrap(), 0, "none of its own slash");
    env.send(&[env.protocol.claim_rewards(staker.pubkey(), staker.token)], &[&staker.key]).unwrap();
    assert!(slash - env.balance(&staker.token) <= 1, "got {}", env.balance(&staker.token));
    // The slashed operator's net: exactly the slash lost.
    let slacker_net = env.balance(&slacker.token) as i128
        + env.stake_of(&slacker.pubkey()).amount as i128
        - MIN_WORKER_STAKE as i128;
    assert_eq!(slacker_net, -(slash as i128));
    env.assert_reconciled();
}

#[test]
fn verified_work_is_paid_from_the_pool_at_the_work_rate() {
    let schedule = EmissionSchedule { initial_work_rate: 1 << 32, ..year_schedule() };
    let mut env = Env::with_emission(schedule);
    let operator = env.worker_operator();
    let poster = env.user(100 * IGN);
    env.warp(100); // 300 IGN released, 150 IGN in the pool
    env.sync(); // a sixteenth of the pool into each shard
    assert_eq!(env.shard(0).work_pool, 150 * IGN / 16);
    let job = env.post_pow(&poster, 20, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&operator.pubkey()), 20);
    env.submit_pow(&operator, job, nonce).unwrap();
    let event = &env.events::<PowSubmitted>()[0];
    assert_eq!(event.work_reward, 1 << 20, "2^20 work units at one base unit each");
    assert_eq!(env.balance(&operator.token), 10 * IGN - 10 * IGN / 20 + (1 << 20));
    assert_eq!(env.shard_totals().work_paid, 1 << 20);
    assert_eq!(env.shard(Shard::index_of(job)).work_units_unreported, 1 << 20);
    env.sync();
    assert_eq!(env.config().rewards.epoch_work_units, 1 << 20, "reported by sync_shard");
    env.assert_reconciled();
}

#[test]
fn work_pay_is_capped_by_what_the_pool_holds() {
    let schedule =
        EmissionSchedule { initial_rate: 1, initial_work_rate: u64::MAX, ..year_schedule() };
    let mut env = Env::with_emission(schedule);
    let operator = env.worker_operator();
    let poster = env.user(100 * IGN);
    env.warp(160); // 160 base units released: 80 to stakers, 80 to the pool
    env.sync(); // 5 into each shard's pool
    let job = env.post_pow(&poster, 0, 10 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    env.submit_pow(&operator, job, 0).unwrap();
    assert_eq!(env.events::<PowSubmitted>()[0].work_reward, 5, "all its shard holds");
    assert_eq!(env.shard(Shard::index_of(job)).work_pool, 0);
    env.assert_reconciled();
}

#[test]
fn the_work_rate_retargets_each_epoch_within_double_and_half() {
    // One base unit per second: 1,800 to the work pool per hour-long epoch.
    let schedule =
        EmissionSchedule { initial_rate: 1, initial_work_rate: 1 << 32, ..year_schedule() };
    let mut env = Env::with_emission(schedule);
    let staker = env.user(10 * IGN);
    env.stake(&staker, 10 * IGN).unwrap();
    let end_epoch = |env: &mut Env| {
        env.warp(EPOCH_SECONDS);
        env.sync();
    };

    // No work at all: the rate doubles, no more.
    end_epoch(&mut env);
    assert_eq!((env.config().rewards.epoch, env.config().rewards.work_rate), (1, 2 << 32));

    // 2^16 work units against ~1,800 accrued: the target is far below, the rate halves.
    let poster = env.user(1_000 * IGN);
    let operator = env.kernel_operator();
    let job = env.post_pow(&poster, 16, IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&operator.pubkey()), 16);
    env.submit_pow(&operator, job, nonce).unwrap();
    end_epoch(&mut env);
    assert_eq!(env.config().rewards.work_rate, 1 << 32);

    // 977 work units (a 100 x 100 matmul: 10^6 multiply-adds at 1,024 per unit)
    // against ~1,800 accrued: exactly the target.
    let units =
        ignis::state::JobKind::Kernel { kernel: ignis::constants::KERNEL_MATMUL_U32, size: 100 }
            .work_units();
    assert_eq!(units, 977);
    let job = env.post_matmul(&poster, 100, 1, IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    let truth = matmul_result_hash(&env.job(job).seed, 100);
    env.commit(&operator, job, truth, [1; 32]).unwrap();
    env.reveal(&operator, job, truth, [1; 32]).unwrap();
    env.verify(job, &operator, true).unwrap();
    env.sync(); // reports the job's work units
    let before = env.config();
    assert_eq!(before.rewards.epoch_work_units, units);
    env.warp(EPOCH_SECONDS);
    let released = before.emission.emitted_after(env.now() - before.emission.start);
    let delta = released - before.rewards.accrued;
    let epoch_accrued = before.rewards.epoch_work_accrued + (delta - delta * 5_000 / 10_000);
    let target = (u128::from(epoch_accrued) << 32) / u128::from(units);
    env.sync();
    assert!(target > (1 << 31) && target < (2 << 32), "a target inside the bounds");
    assert_eq!(u128::from(env.config().rewards.work_rate), target);
    assert_eq!(env.config().rewards.epoch_work_units, 0, "a fresh epoch");
    env.assert_reconciled();
}

#[test]
fn claim_checks_the_owner_and_works_while_paused() {
    let mut env = Env::new();
    let (staker, mallory) = (env.user(100 * IGN), env.user(0));
    env.stake(&staker, 100 * IGN).unwrap();
    let operator = env.worker_operator();
    let poster = env.user(100 * IGN);
    let job = env.post_pow(&poster, 0, 100 * IGN).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    env.submit_pow(&operator, job, 0).unwrap();
    env.sync(); // the fee reaches the stakers

    let mut steal = env.protocol.claim_rewards(mallory.pubkey(), mallory.token);
    steal.accounts[2].pubkey = pda::stake(&staker.pubkey());
    assert_anchor_err(env.send(&[steal], &[&mallory.key]), AnchorError::ConstraintSeeds);
    let never = env.protocol.claim_rewards(mallory.pubkey(), mallory.token);
    assert_anchor_err(env.send(&[never], &[&mallory.key]), AnchorError::AccountNotInitialized);

    let admin = env.admin.key.insecure_clone();
    env.send(&[ix::set_paused(admin.pubkey(), true)], &[&admin]).unwrap();
    env.send(&[env.protocol.claim_rewards(staker.pubkey(), staker.token)], &[&staker.key]).unwrap();
    assert!(env.balance(&staker.token) > 0);
    assert_eq!(env.balance(&mallory.token), 0);
    env.assert_reconciled();
}

#[test]
fn on_an_idle_network_the_crank_still_books_emission_for_the_stakers() {
    // No job, no fee: only `sync_shard` writes the config, and the crank sends it while
    // minted emission waits to be booked (`Config::emission_unbooked`).
    let mut env = Env::with_emission(year_schedule());
    let staker = env.user(100 * IGN);
    env.stake(&staker, 100 * IGN).unwrap();
    env.warp(60);
    assert_eq!(env.config().emission_unbooked(env.now()), 180 * IGN, "60 s at 3 IGN/s");
    let claim = env.protocol.claim_rewards(staker.pubkey(), staker.token);
    assert_ignis_err(
        env.send(std::slice::from_ref(&claim), &[&staker.key]),
        IgnisError::NothingToClaim,
    );
    env.crank(env.protocol.sync_shard(0)).unwrap();
    assert_eq!(env.config().emission_unbooked(env.now()), 0);
    env.send(&[claim], &[&staker.key]).unwrap();
    let claimed = env.events::<RewardsClaimed>()[0].amount;
    assert!(
        90 * IGN - claimed <= 1,
        "the stakers' half of 60 s, all to the only staker: {claimed}"
    );
    env.assert_reconciled();
}
