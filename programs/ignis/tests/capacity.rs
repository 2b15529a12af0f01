//! Proven hardware: capacity challenges, the proven and rated hashrate, uptime, and SLA
//! jobs whose misses compensate their posters. Workers are simulated at a true
//! hashrate: each answers its challenge after the time its work takes at that rate
//! (the nonces are really searched), or misses it when that is past the deadline.

use anchor_lang::error::ErrorCode as AnchorError;
use ignis::{
    errors::IgnisError,
    events::{AssignmentExpired, ChallengeAnswered, ChallengeIssued, ChallengeMissed, SlaBought},
    state::{Challenge, EmissionSchedule, JobKind, WorkerSettings},
};
use ignis_client::{instructions as ix, pda};
use ignis_program_tests::*;

const DAY: i64 = 86_400;

/// 1 IGN a second, half of it to the work pool, paid at one base unit per work unit.
fn pool_schedule() -> EmissionSchedule {
    EmissionSchedule {
        start: 0,
        initial_rate: IGN,
        halving_interval_seconds: 365 * DAY,
        cap: 1_000_000_000 * IGN,
        initial_work_rate: 1 << 32,
    }
}

/// Hashes per second the simulated workers claim: small, so the tests search their
/// challenges' nonces for real in a blink.
const CLAIM: u64 = 1_000;

fn settings(hashrate: u64) -> WorkerSettings {
    WorkerSettings { hashrate, ..worker_settings() }
}

/// What each operator stakes: enough to stay above the minimum after a miss slash.
const OPERATOR_STAKE: u64 = MIN_WORKER_STAKE + 50 * IGN;

/// A staked operator whose worker claims `claim` hashes per second.
fn operator(env: &mut Env, claim: u64) -> User {
    let user = env.user(OPERATOR_STAKE);
    env.stake(&user, OPERATOR_STAKE).expect("stake");
    env.send(&[ix::register_worker(user.pubkey(), settings(claim))], &[&user.key])
        .expect("register worker");
    user
}

fn open_challenge(env: &Env, operator: &User) -> Option<Challenge> {
    env.worker(&operator.pubkey()).unwrap().capacity.open
}

/// Cranks `challenge_worker` every 30 s (a new slot hash each time), as the
/// orchestrator does, until it issues a challenge (booking a missed one first if one is
/// still open); returns it and the seconds waited.
fn issue(env: &mut Env, operator: &User) -> (Challenge, i64) {
    let mut waited = 0;
    loop {
        match env.crank(env.protocol.challenge_worker(&operator.pubkey())) {
            Ok(()) if env.events::<ChallengeIssued>().len() == 1 => break,
            Ok(()) => assert_eq!(env.events::<ChallengeMissed>().len(), 1),
            Err(error) => {
                assert_eq!(
                    error,
                    custom_err(IgnisError::ChallengeNotDue),
                    "only a challenge that is not due yet is refused"
                );
                env.warp(30);
                waited += 30;
            }
        }
        assert!(waited <= 2 * CHALLENGE_INTERVAL, "a challenge comes within 1.5 intervals");
    }
    let issued = &env.events::<ChallengeIssued>()[0];
    let challenge = open_challenge(env, operator).expect("issued");
    assert_eq!((issued.seed, issued.deadline), (challenge.seed, challenge.deadline));
    (challenge, waited)
}

fn answer_ix(
    env: &Env,
    operator: &User,
    nonces: Vec<u64>,
) -> anchor_lang::solana_program::instruction::Instruction {
    env.protocol.answer_challenge(operator.pubkey(), operator.token, nonces)
}

fn nonces_for(challenge: &Challenge, operator: &User) -> Vec<u64> {
    let worker = pda::worker(&operator.pubkey());
    ignis::pow::search_nonces(&challenge.seed, &worker, challenge.difficulty, 0, 32)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Answered { rate: u64, paid: u64 },
    Missed,
}

/// The worker works on its open challenge at `true_rate`: it answers once its work is
/// done, or the crank books the miss after the deadline.
fn play(env: &mut Env, operator: &User, true_rate: u64) -> Outcome {
    let challenge = open_challenge(env, operator).expect("a challenge is open");
    let seconds = challenge.work_units().div_ceil(true_rate) as i64;
    if challenge.issued_at + seconds <= challenge.deadline {
        env.warp(seconds);
        let nonces = nonces_for(&challenge, operator);
        env.send(&[answer_ix(env, operator, nonces)], &[&operator.key]).expect("answer");
        let event = &env.events::<ChallengeAnswered>()[0];
        assert_eq!(event.elapsed, seconds);
        Outcome::Answered { rate: event.rate, paid: event.paid }
    } else {
        env.warp(challenge.deadline - env.now() + 1);
        env.crank(env.protocol.challenge_worker(&operator.pubkey())).expect("book the miss");
        assert_eq!(env.events::<ChallengeMissed>().len(), 1);
        Outcome::Missed
    }
}

fn custom_err(error: IgnisError) -> solana_transaction_error::TransactionError {
    solana_transaction_error::TransactionError::InstructionError(
        0,
        solana_instruction_error::InstructionError::Custom(u32::from(error)),
    )
}

/// A funded env whose shards' work pools hold emission to pay challenges from.
fn funded_env() -> Env {
    let mut env = Env::with_emission(pool_schedule());
    env.warp(EPOCH_SECONDS / 2);
    env.sync();
    env
}

#[test]
fn a_worker_claiming_ten_times_its_hashrate_is_cut_within_four_challenges_and_wins_fewer_jobs() {
    let mut env = funded_env();
    let honest = operator(&mut env, CLAIM);
    let liar = operator(&mut env, CLAIM); // really does CLAIM / 10
    let liar_rate = CLAIM / 10;
    let poster = env.user(1_000 * IGN);

    // Before any challenge a claim is trusted: the liar can take a job only the claim
    // would finish in time (2^14 hashes in 300 s with the 8x margin needs 437 H/s).
    let big = JobKind::Pow { difficulty: 14 };
    let liar_worker = env.worker(&liar.pubkey()).unwrap();
    assert!(liar_worker.can_finish(&big, 300));
    assert_eq!(liar_worker.effective_hashrate(), CLAIM);
    let liar_start = env.holdings(&[&liar]);

    // The bound: each miss halves the rated hashrate, and a challenge sized to at most
    // 30 s at a rate no more than twice the true one is answered within its 60 s. A
    // 10x claim needs at most ceil(log2(10 / 2)) = 3 misses: caught by challenge 4.
    const BOUND: usize = 4;
    let mut table = Vec::new();
    let mut caught_at = None;
    for round in 1..=BOUND {
        let (challenge, _) = issue(&mut env, &liar);
        let outcome = play(&mut env, &liar, liar_rate);
        let capacity = env.worker(&liar.pubkey()).unwrap().capacity;
        table.push((round, challenge.difficulty, challenge.work_units(), outcome, capacity));
        if let Outcome::Answered { .. } = outcome {
            caught_at = Some(round);
            break;
        }
        env.warp(CHALLENGE_INTERVAL);
    }
    println!("round | difficulty | work units | outcome | rated | proven | uptime");
    for (round, difficulty, work, outcome, capacity) in &table {
        println!(
            "{round} | {difficulty} | {work} | {outcome:?} | {} | {} | {}",
            capacity.rated_hashrate,
            capacity.proven_hashrate,
            capacity.uptime_bps()
        );
    }
    // 2^9 x 32 hashes take 164 s at 100 H/s: missed; 2^8 x 32, 82 s: missed; then
    // 2^7 x 32 take 41 s: answered, proving 99 H/s.
    let outcomes: Vec<_> = table.iter().map(|row| matches!(row.3, Outcome::Missed)).collect();
    assert_eq!(outcomes, [true, true, false]);
    assert_eq!(caught_at, Some(3));
    let liar_worker = env.worker(&liar.pubkey()).unwrap();
    let capacity = liar_worker.capacity;
    assert_eq!(capacity.proven_hashrate, 4_096 / 41);
    assert_eq!(capacity.rated_hashrate, capacity.proven_hashrate, "claim cut to the proof");
    assert_eq!(liar_worker.effective_hashrate(), 99);
    assert_eq!((capacity.challenges_missed, capacity.challenges_answered), (2, 1));

    // It was paid for the one challenge it answered, at the pool's rate per work unit
    // like any verified work, and nothing for the misses.
    let Outcome::Answered { paid, .. } = table[2].3 else { unreachable!() };
    let work_rate = env.config().rewards.work_rate;
    assert_eq!(paid, ((4_096u128 * u128::from(work_rate)) >> 32) as u64, "the pool's rate");
    assert!(paid > 0);
    assert_eq!(env.holdings(&[&liar]) - liar_start, i128::from(paid));

    // The honest worker proves its claim at its first challenge and keeps it.
    issue(&mut env, &honest);
    assert!(matches!(play(&mut env, &honest, CLAIM), Outcome::Answered { .. }));
    let honest_worker = env.worker(&honest.pubkey()).unwrap();
    assert_eq!(honest_worker.capacity.rated_hashrate, CLAIM);
    assert_eq!(honest_worker.capacity.proven_hashrate, 16_384 / 17);

    // Now the liar wins fewer jobs: the big job is refused to it and goes to the
    // honest worker.
    let job = env.post_pow(&poster, 14, 10 * IGN).unwrap();
    assert_ignis_err(env.assign(job, &liar.pubkey()), IgnisError::JobInfeasible);
    env.assign(job, &honest.pubkey()).unwrap();
    let nonce = find_nonce(&env.job(job).seed, &pda::worker(&honest.pubkey()), 14);
    env.submit_pow(&honest, job, nonce).unwrap();
    let served = env.worker(&honest.pubkey()).unwrap().capacity;
    assert_eq!(served.work_units_served, 1 << 14, "its compute, counted");

    // Raising the claim raises nothing: only an answered challenge moves the rating,
    // and the next one, sized to the cut rating, proves the truth again.
    env.send(&[ix::update_worker(liar.pubkey(), settings(100 * CLAIM))], &[&liar.key]).unwrap();
    assert_eq!(env.worker(&liar.pubkey()).unwrap().effective_hashrate(), 99);
    let job = env.post_pow(&poster, 14, 10 * IGN).unwrap();
    assert_ignis_err(env.assign(job, &liar.pubkey()), IgnisError::JobInfeasible);
    env.warp(CHALLENGE_INTERVAL);
    issue(&mut env, &liar);
    assert!(matches!(play(&mut env, &liar, liar_rate), Outcome::Answered { .. }));
    let rated = env.worker(&liar.pubkey()).unwrap().capacity.rated_hashrate;
    assert!(rated < CLAIM / 5, "still rated at its proven rate, not its new claim: {rated}");
    env.assert_reconciled();
}

#[test]
fn a_challenge_cannot_be_answered_in_advance_nor_with_another_workers_key() {
    let mut env = funded_env();
    let victim = operator(&mut env, CLAIM);
    let attacker = operator(&mut env, CLAIM);
    let (victim_pda, attacker_pda) =
        (pda::worker(&victim.pubkey()), pda::worker(&attacker.pubkey()));
    let start = env.holdings(&[&attacker, &victim]);

    // Nothing to answer before a challenge is issued.
    let guess = vec![0; 32];
    assert_ignis_err(
        env.send(&[answer_ix(&env, &attacker, guess)], &[&attacker.key]),
        IgnisError::NoOpenChallenge,
    );

    // In advance: the attacker works on the seed it would get from today's newest slot
    // hash. The crank's transaction lands in a later slot, whose hash nobody knew.
    let predicted = ignis::pow::challenge_seed(&env.newest_slot_hash(), &attacker_pda, 0);
    let difficulty = ignis::state::Capacity::challenge_difficulty(CLAIM, &test_params());
    let precomputed = ignis::pow::search_nonces(&predicted, &attacker_pda, difficulty, 0, 32);
    env.warp(1);
    let (challenge, _) = issue(&mut env, &attacker);
    assert_ne!(challenge.seed, predicted);
    assert_ignis_err(
        env.send(&[answer_ix(&env, &attacker, precomputed)], &[&attacker.key]),
        IgnisError::InsufficientWork,
    );
    // A second challenge cannot be drawn while one is open.
    assert_ignis_err(
        env.crank(env.protocol.challenge_worker(&attacker.pubkey())),
        IgnisError::ChallengeNotDue,
    );

    // Another worker's key: the victim's answer is worthless for the attacker's own
    // challenge (the key is in every hash)...
    let (victim_challenge, _) = issue(&mut env, &victim);
    let victims_nonces = nonces_for(&victim_challenge, &victim);
    let mut as_attacker = victims_nonces.clone();
    as_attacker.sort_unstable();
    let result = env.send(&[answer_ix(&env, &attacker, as_attacker)], &[&attacker.key]);
    assert_ignis_err(result, IgnisError::InsufficientWork);
    // ...and the attacker cannot answer for the victim's worker: only its operator can.
    let mut steal = answer_ix(&env, &attacker, victims_nonces.clone());
    steal.accounts[2].pubkey = victim_pda;
    assert_anchor_err(env.send(&[steal], &[&attacker.key]), AnchorError::ConstraintSeeds);

    // Malformed answers: a nonce counted twice, too few, too late.
    let mut doubled = victims_nonces.clone();
    doubled[1] = doubled[0];
    assert_ignis_err(
        env.send(&[answer_ix(&env, &victim, doubled)], &[&victim.key]),
        IgnisError::ChallengeAnswerOrder,
    );
    assert_ignis_err(
        env.send(&[answer_ix(&env, &victim, victims_nonces[..31].to_vec())], &[&victim.key]),
        IgnisError::ChallengeAnswerSize,
    );
    env.warp(victim_challenge.deadline - env.now() + 1);
    assert_ignis_err(
        env.send(&[answer_ix(&env, &victim, victims_nonces)], &[&victim.key]),
        IgnisError::ChallengeExpired,
    );
    // Every refusal moved nothing.
    assert_eq!(env.holdings(&[&attacker, &victim]), start);
    env.assert_reconciled();
}

/// `post_job` and `buy_sla` in one transaction.
fn post_sla(env: &mut Env, poster: &User, difficulty: u8, max_premium: u64) -> u64 {
    let args =
        ignis::instructions::PostJobArgs { kind: JobKind::Pow { difficulty }, ..env.job_args() };
    let post = env.protocol.post_job(poster.pubkey(), poster.token, args);
    let buy = env.protocol.buy_sla(poster.pubkey(), args.job_id, poster.token, max_premium);
    env.send(&[post, buy], &[&poster.key]).expect("post with an SLA");
    args.job_id
}

#[test]
fn an_hour_offline_drops_uptime_and_the_sla_job_it_misses_compensates_the_poster() {
    let mut env = funded_env();
    let worker = operator(&mut env, CLAIM);
    let poster = env.user(1_000 * IGN);
    let staker = env.user(1_000 * IGN);
    env.stake(&staker, 1_000 * IGN).unwrap();

    // Ten challenges answered: proven, 100% uptime.
    for _ in 0..10 {
        issue(&mut env, &worker);
        assert!(matches!(play(&mut env, &worker, CLAIM), Outcome::Answered { .. }));
    }
    let capacity = env.worker(&worker.pubkey()).unwrap().capacity;
    assert_eq!((capacity.uptime_bps(), capacity.challenges_answered), (10_000, 10));

    // The SLA, priced before paying: half the miss slash of a minimum stake (10% of
    // 100 IGN) per missed replica, at twice the network's 1% floor miss rate.
    let config = env.config();
    let min_compensation = config.sla_min_compensation().unwrap();
    assert_eq!(min_compensation, 5 * IGN);
    let premium = config.sla_premium(1).unwrap();
    assert_eq!(premium, 5 * IGN * 100 * 2 / 10_000);
    let poster_before = env.balance(&poster.token);
    let job = post_sla(&mut env, &poster, 8, premium);
    let bought = &env.events::<SlaBought>()[0];
    assert_eq!((bought.premium, bought.min_compensation), (premium, min_compensation));
    let reward = env.job(job).reward;
    assert_eq!(env.balance(&poster.token), poster_before - reward - premium);
    env.assign(job, &worker.pubkey()).unwrap();

    // The worker goes offline for an hour. The crank keeps challenging it every 30 s.
    let offline_from = env.now();
    let mut missed = 0;
    while env.now() < offline_from + 3_600 {
        env.warp(30);
        if env.crank(env.protocol.challenge_worker(&worker.pubkey())).is_ok() {
            missed += env.events::<ChallengeMissed>().len();
        }
    }
    let capacity = env.worker(&worker.pubkey()).unwrap().capacity;
    println!("offline an hour: {missed} challenges missed, uptime {} bps", capacity.uptime_bps());
    // A cycle takes at most 1.5 intervals, two crank periods and the 60 s deadline.
    assert!(missed >= 3, "an hour holds at least 3 challenges: {missed}");
    assert_eq!(capacity.uptime_bps() as u64, 10 * 10_000 / (10 + missed as u64));
    assert!(capacity.suspended());

    // Its SLA job's deadline passed: the crank expires it, and the poster is paid half
    // the slash without doing anything (here the crank passes its token account).
    let stranger = env.user(0);
    let expire = env.protocol.expire_assignment(job, worker.pubkey(), None);
    assert_ignis_err(env.crank(expire), IgnisError::SlaPosterAccountMissing);
    let wrong = env.protocol.expire_assignment(job, worker.pubkey(), Some(stranger.token));
    assert_ignis_err(env.crank(wrong), IgnisError::WrongTokenOwner);
    let poster_before = env.balance(&poster.token);
    let worker_stake = env.stake_of(&worker.pubkey()).amount;
    env.crank(env.protocol.expire_assignment(job, worker.pubkey(), Some(poster.token))).unwrap();
    let expired = &env.events::<AssignmentExpired>()[0];
    let slash = worker_stake / 10;
    assert_eq!((expired.slashed, expired.compensation), (slash, slash / 2));
    assert_eq!(env.balance(&poster.token), poster_before + slash / 2, "compensation arrived");
    assert!(slash / 2 >= min_compensation, "at least what the preview promised");
    assert_eq!(env.balance(&stranger.token), 0);
    assert_eq!(env.worker(&worker.pubkey()).unwrap().capacity.sla_breaches, 1);

    // Suspended, it gets no new job; back online and answering, its uptime is still
    // below the SLA's, so SLA jobs pass it by while plain ones do not.
    let sla_job = post_sla(&mut env, &poster, 8, premium);
    assert_ignis_err(env.assign(sla_job, &worker.pubkey()), IgnisError::WorkerSuspended);
    env.warp(CHALLENGE_INTERVAL);
    issue(&mut env, &worker);
    assert!(matches!(play(&mut env, &worker, CLAIM), Outcome::Answered { .. }));
    assert_ignis_err(env.assign(sla_job, &worker.pubkey()), IgnisError::UptimeBelowSla);
    let plain = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    env.assign(plain, &worker.pubkey()).unwrap();

    // The shards report the misses: the network's uptime falls and SLAs cost more.
    env.sync();
    let config = env.config();
    assert!(config.network_uptime.uptime_bps < 10_000);
    // Every miss reached it: those of the hour, and one more if the crank booked the
    // hour's last challenge when the worker came back.
    let misses = env.worker(&worker.pubkey()).unwrap().capacity.challenges_missed;
    assert!(misses >= missed as u64);
    assert_eq!(config.network_uptime.challenges_missed, misses);
    assert!(config.sla_premium(1).unwrap() > premium);
    env.assert_reconciled();
}

#[test]
fn an_sla_is_bought_once_before_assignment_and_missing_ones_own_sla_job_loses_money() {
    let mut env = funded_env();
    let poster = env.user(1_000 * IGN);
    let worker = operator(&mut env, CLAIM);
    issue(&mut env, &worker);
    play(&mut env, &worker, CLAIM);
    let premium = env.config().sla_premium(1).unwrap();
    let start = env.holdings(&[&poster]);

    // Refusals lose nothing.
    let job = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    let after_post = env.holdings(&[&poster]);
    let buy = |env: &Env, max| env.protocol.buy_sla(poster.pubkey(), job, poster.token, max);
    assert_ignis_err(
        env.send(&[buy(&env, premium - 1)], &[&poster.key]),
        IgnisError::SlaPremiumAboveMax,
    );
    let other = env.user(10 * IGN);
    let theirs = env.protocol.buy_sla(other.pubkey(), job, other.token, premium);
    assert_ignis_err(env.send(&[theirs], &[&other.key]), IgnisError::Unauthorized);
    env.send(&[buy(&env, premium)], &[&poster.key]).unwrap();
    assert_ignis_err(env.send(&[buy(&env, premium)], &[&poster.key]), IgnisError::SlaAlreadyBought);
    assert_eq!(env.holdings(&[&poster]), after_post - i128::from(premium));
    let late = env.post_pow(&poster, 8, 10 * IGN).unwrap();
    env.assign(late, &worker.pubkey()).unwrap();
    let buy_late = env.protocol.buy_sla(poster.pubkey(), late, poster.token, premium);
    assert_ignis_err(
        env.send(std::slice::from_ref(&buy_late), &[&poster.key]),
        IgnisError::JobNotOpen,
    );
    // Declined and open again, it was still assigned once: no cover bought after
    // seeing who took it.
    env.send(&[ix::decline_assignment(worker.pubkey(), late)], &[&worker.key]).unwrap();
    assert_ignis_err(env.send(&[buy_late], &[&poster.key]), IgnisError::SlaAfterAssignment);
    let matmul = env.post_matmul(&poster, 8, 1, 10 * IGN).unwrap();
    let buy_matmul = env.protocol.buy_sla(poster.pubkey(), matmul, poster.token, premium);
    assert_ignis_err(env.send(&[buy_matmul], &[&poster.key]), IgnisError::SlaPowOnly);
    assert_eq!(env.holdings(&[&poster]), start - 3 * 10 * i128::from(IGN) - i128::from(premium));

    // A party that posts an SLA job to its own worker and lets it miss pays the
    // premium and the slash, and gets half the slash back: it loses money.
    let party_poster = env.user(100 * IGN);
    let party_worker = operator(&mut env, CLAIM);
    issue(&mut env, &party_worker);
    play(&mut env, &party_worker, CLAIM);
    let before = env.holdings(&[&party_poster, &party_worker]);
    let own = post_sla(&mut env, &party_poster, 8, premium);
    env.assign(own, &party_worker.pubkey()).unwrap();
    let escrow = env.job(own).reward;
    env.warp(301);
    let to = Some(party_poster.token);
    env.crank(env.protocol.expire_assignment(own, party_worker.pubkey(), to)).unwrap();
    env.warp(4_000);
    env.crank(env.protocol.refund_job(own, party_poster.token)).unwrap();
    let slash = OPERATOR_STAKE / 10;
    let net = env.holdings(&[&party_poster, &party_worker]) - before;
    assert_eq!(net, -i128::from(premium) - i128::from(slash / 2));
    assert!(escrow > 0);
    env.assert_reconciled();
}
