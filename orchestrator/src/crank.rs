//! The crank: expires assignments past their deadline, refunds unassignable jobs,
//! settles kernel jobs the verifier did not rule on, bonds stake deposited in an
//! earlier slot, closes settled jobs once their retention has passed (their rent
//! goes back to the posters; the index keeps them as history), syncs the shards (fees
//! to the stakers, work pools topped up) and mints the emission about once an epoch. Each action is planned
//! from the index only when the program's own rule (the functions on
//! `ignis::state::Job`, on the protocol clock) says it is due, and a refused one backs
//! off, so no failing transaction is sent over and over.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use ignis::state::Ruling;
use ignis_client::{
    instructions::{settlement_slashes, Protocol, SYNC_BATCH},
    rpc::ComputeBudget,
    token,
};
use tokio::{sync::Semaphore, task::JoinSet};
use tokio_util::sync::CancellationToken;

use crate::{
    chain::{error_name, is_stale_read},
    index::Index,
    Shared,
};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Slash the worker of `operator` for missing its deadline and re-queue the replica.
    /// `sla_poster`: the poster of an SLA job, paid its compensation.
    Expire { job_id: u64, operator: Pubkey, sla_poster: Option<Pubkey> },
    /// Return the escrow of an expired job with nothing assigned.
    Refund { job_id: u64, poster: Pubkey },
    /// Settle a kernel job; `operators` in assignment order; `slashing` when the
    /// settlement slashes someone (`settlement_slashes`).
    Finalize { job_id: u64, operators: Vec<Pubkey>, slashing: bool },
    /// Bond a stake deposit made in an earlier slot.
    Activate { owner: Pubkey },
    /// Close a settled job past its retention; its rent goes to `poster`. Sent as many
    /// to a transaction as fit.
    Close { job_id: u64, poster: Pubkey },
    /// Hand shard `index`'s fees to the stakers, report its work and top its pool up.
    /// Sent `SYNC_BATCH` to a transaction, at most every [`SYNC_INTERVAL`] per shard.
    Sync { index: u8 },
    /// Mint the emission of the epoch ahead, once the minted emission is used up.
    MintEmission,
    /// Book the open capacity challenge of `operator`'s worker as missed, or issue its
    /// next one (`challenge_worker`), once it may be due.
    Challenge { operator: Pubkey },
}

/// How often a worker whose challenge may be due is tried again after a "not due yet".
pub const CHALLENGE_RETRY: Duration = Duration::from_secs(5);

/// How long a deposit may wait for its owner's own client to bond it before the crank
/// does.
pub const ACTIVATE_GRACE: Duration = Duration::from_secs(2);

/// How often a shard with something to sync is synced: the longest a fee waits for
/// the stakers, and a new deposit for bonding.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(5);

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Expire { .. } => "expire",
            Action::Refund { .. } => "refund",
            Action::Finalize { .. } => "finalize",
            Action::Activate { .. } => "activate",
            Action::Close { .. } => "close",
            Action::Sync { .. } => "sync",
            Action::Challenge { .. } => "challenge",
            Action::MintEmission => "mint_emission",
        }
    }

    pub fn job_id(&self) -> Option<u64> {
        match self {
            Action::Expire { job_id, .. }
            | Action::Refund { job_id, .. }
            | Action::Finalize { job_id, .. }
            | Action::Close { job_id, .. } => Some(*job_id),
            Action::Activate { .. }
            | Action::Sync { .. }
            | Action::MintEmission
            | Action::Challenge { .. } => None,
        }
    }
}

/// Everything due at chain (wall-clock) time `wall_now`, by the program's rules for
/// `expire_assignment`, `refund_job`, `finalize_job`, `activate_stake`, `close_job`,
/// `sync_shard`, `mint_emission` and `challenge_worker`.
pub fn plan(index: &Index, wall_now: i64) -> Vec<Action> {
    let Some(config) = index.program_config() else { return vec![] };
    let now = config.clock_at(wall_now);
    let operator_of = |worker: &Pubkey| index.workers.get(worker).map(|w| w.value.operator);
    let mut actions = vec![];
    for id in &index.active {
        let Some(entry) = index.jobs.get(id) else { continue };
        let job = &entry.value;
        let live = job.live_assignments();
        for a in live.iter().filter(|a| job.check_expire(config, &a.worker, now).is_ok()) {
            if let Some(operator) = operator_of(&a.worker) {
                let sla_poster = job.sla.map(|_| job.poster);
                actions.push(Action::Expire { job_id: job.id, operator, sla_poster });
            }
        }
        if job.refundable_at(now) {
            actions.push(Action::Refund { job_id: job.id, poster: job.poster });
        }
        if job.check_finalize(config, now).is_ok() {
            let operators: Option<Vec<Pubkey>> =
                live.iter().map(|a| operator_of(&a.worker)).collect();
            if let Some(operators) = operators {
                let slashing = settlement_slashes(job, Ruling::Unverified);
                actions.push(Action::Finalize { job_id: job.id, operators, slashing });
            }
        }
    }
    // A challenge is due at a moment drawn from the slot hash the transaction lands
    // after, which nobody knows now: each worker is tried from the earliest moment its
    // challenge may be due (draw 0), and a refusal (not due yet) costs nothing, since
    // preflight catches it; the backoff spaces the tries.
    for worker in index.workers.values().map(|entry| &entry.value) {
        if worker.challenge_step(now, &config.params, 0).is_some() {
            actions.push(Action::Challenge { operator: worker.operator });
        }
    }
    for (owner, stake) in &index.stakes {
        if config.activation_due(&stake.value, index.slot) {
            actions.push(Action::Activate { owner: *owner });
        }
    }
    if config.emission_to_mint(wall_now) > 0 {
        actions.push(Action::MintEmission);
    }
    // A shard is synced when it holds something for the stakers or the retarget, is
    // due emission, or a deposit waits for it to bond; and while emission waits to be
    // booked, so stakers earn on an idle network too.
    let emission_unbooked = config.emission_unbooked(wall_now) > 0;
    let waiting_deposit = index
        .stakes
        .values()
        .filter(|s| s.value.activating_amount > 0)
        .map(|s| s.value.activating_slot)
        .max();
    for (index_of, shard) in &index.shards {
        let shard = &shard.value;
        let synced_slot = config.shard_synced_slots.get(usize::from(*index_of)).copied();
        let deposit_waits =
            waiting_deposit.zip(synced_slot).is_some_and(|(deposit, synced)| synced <= deposit);
        if shard.fees_pending > 0
            || shard.work_units_unreported > 0
            || config.work_due(shard) > 0
            || deposit_waits
            || emission_unbooked
        {
            actions.push(Action::Sync { index: *index_of });
        }
    }
    // Oldest settled first; none after the first whose retention has not passed.
    for (_, id) in &index.settled_open {
        let Some(entry) = index.jobs.get(id) else { continue };
        let job = &entry.value;
        if job.check_close(&config.params, now).is_err() {
            break;
        }
        actions.push(Action::Close { job_id: job.id, poster: job.poster });
    }
    actions
}

/// The instructions for an action. Token accounts the program pays into are created
/// first if missing (idempotent), paid for by the orchestrator.
pub fn instructions(
    protocol: &Protocol,
    payer: &Pubkey,
    action: &Action,
) -> Vec<anchor_lang::solana_program::instruction::Instruction> {
    let ata =
        |owner: &Pubkey| token::associated_account(owner, &protocol.mint, &protocol.token_program);
    let create = |owner: &Pubkey| {
        token::create_associated_account(payer, owner, &protocol.mint, &protocol.token_program)
    };
    match action {
        Action::Expire { job_id, operator, sla_poster: None } => {
            vec![protocol.expire_assignment(*job_id, *operator, None)]
        }
        Action::Expire { job_id, operator, sla_poster: Some(poster) } => {
            vec![create(poster), protocol.expire_assignment(*job_id, *operator, Some(ata(poster)))]
        }
        Action::Refund { job_id, poster } => {
            vec![create(poster), protocol.refund_job(*job_id, ata(poster))]
        }
        Action::Finalize { job_id, operators, slashing } => {
            let mut ixs: Vec<_> = operators.iter().map(create).collect();
            let replicas: Vec<(Pubkey, Pubkey)> = operators.iter().map(|o| (*o, ata(o))).collect();
            ixs.push(protocol.finalize_job(*job_id, &replicas, *slashing));
            ixs
        }
        Action::Activate { owner } => vec![ignis_client::instructions::activate_stake(*owner)],
        Action::Close { .. } => vec![close_jobs(std::slice::from_ref(action))],
        Action::Sync { index } => vec![protocol.sync_shard(*index)],
        Action::MintEmission => vec![protocol.mint_emission()],
        Action::Challenge { operator } => vec![protocol.challenge_worker(operator)],
    }
}

/// Which action of a batch the instruction at `index` belongs to, each action's
/// instructions in `per_action`, in order.
fn action_of_instruction<T>(per_action: &[Vec<T>], index: usize) -> Option<usize> {
    let mut end = 0;
    per_action.iter().position(|instructions| {
        end += instructions.len();
        index < end
    })
}

/// The one `close_jobs` instruction for a batch of closes.
fn close_jobs(closes: &[Action]) -> Instruction {
    let jobs: Vec<(u64, Pubkey)> = closes
        .iter()
        .filter_map(|close| match close {
            Action::Close { job_id, poster } => Some((*job_id, *poster)),
            _ => None,
        })
        .collect();
    ignis_client::instructions::close_jobs(&jobs)
}

/// Closes grouped for `close_jobs`, each group alone in a transaction paid by `payer`
/// and as large as fits it (`rpc::batches`; jobs of one poster share its key).
fn close_batches(payer: &Pubkey, budget: &ComputeBudget, closes: Vec<Action>) -> Vec<Vec<Action>> {
    ignis_client::rpc::batches(payer, budget, closes, close_jobs)
}

#[derive(Clone, Copy)]
struct Attempt {
    next: Instant,
    failures: u32,
}

/// Per-action backoff: after a success the index needs a moment to show it; after a
/// refusal the wait doubles up to a minute.
#[derive(Default)]
struct Backoff(HashMap<Action, Attempt>);

impl Backoff {
    /// Whether `action` was tried or held before (and is not forgotten yet).
    fn knows(&self, action: &Action) -> bool {
        self.0.contains_key(action)
    }

    /// Plans `action` again at the next round, as if never tried (it was rolled back
    /// with another action's refusal).
    fn forget(&mut self, action: &Action) {
        self.0.remove(action);
    }

    fn ready(&self, action: &Action) -> bool {
        self.0.get(action).is_none_or(|a| Instant::now() >= a.next)
    }

    fn hold(&mut self, action: &Action, wait: Duration) {
        let failures = self.0.get(action).map_or(0, |a| a.failures);
        self.0.insert(action.clone(), Attempt { next: Instant::now() + wait, failures });
    }

    fn succeeded(&mut self, action: &Action) {
        let wait = match action {
            Action::Sync { .. } => SYNC_INTERVAL,
            _ => Duration::from_secs(3),
        };
        self.0.insert(action.clone(), Attempt { next: Instant::now() + wait, failures: 0 });
    }

    /// Whether `action`'s last attempt was refused.
    fn has_failed(&self, action: &Action) -> bool {
        self.0.get(action).is_some_and(|a| a.failures > 0)
    }

    /// Returns how many times in a row the action has now failed.
    fn failed(&mut self, action: &Action) -> u32 {
        let failures = self.0.get(action).map_or(0, |a| a.failures) + 1;
        let wait = match action {
            // Not due yet is a draw, not a fault: tried again at a steady pace.
            Action::Challenge { .. } => CHALLENGE_RETRY,
            _ => Duration::from_secs(1 << failures.min(6)).min(Duration::from_secs(60)),
        };
        self.0.insert(action.clone(), Attempt { next: Instant::now() + wait, failures });
        failures
    }

    fn forget_settled(&mut self, index: &Index) {
        self.0.retain(|action, _| match (action, action.job_id()) {
            (Action::Close { job_id, .. }, _) => !index.is_closed(*job_id),
            (_, Some(id)) => index.active.contains(&id),
            (Action::Activate { owner }, None) => {
                index.stakes.get(owner).is_some_and(|s| s.value.activating_amount > 0)
            }
            // Kept, so that a shard is synced at most every SYNC_INTERVAL and a worker
            // not yet due is tried at a backed-off pace.
            (Action::Sync { .. } | Action::MintEmission | Action::Challenge { .. }, None) => true,
            _ => false,
        });
    }
}

pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut wake = shared.generation.subscribe();
    let backoff = Arc::new(std::sync::Mutex::new(Backoff::default()));
    let sends = Arc::new(Semaphore::new(4));
    let mut tasks = JoinSet::new();
    loop {
        let due = {
            let index = shared.index.read().expect("index lock");
            let mut backoff = backoff.lock().expect("backoff lock");
            backoff.forget_settled(&index);
            let protocol = index.program_config().map(Protocol::from_config);
            let mut actions: Vec<Action> =
                if index.ready { plan(&index, index.clock) } else { vec![] };
            if shared.settings.no_challenges {
                actions.retain(|action| !matches!(action, Action::Challenge { .. }));
            }
            for action in actions.iter().filter(|a| matches!(a, Action::Activate { .. })) {
                // The owner's own client bonds a deposit the moment it may (`ignis stake`,
                // a worker registering): the crank bonds those left waiting, a moment
                // later, rather than race them into a refused transaction.
                if !backoff.knows(action) {
                    backoff.hold(action, ACTIVATE_GRACE);
                }
            }
            let due: Vec<Action> = actions.into_iter().filter(|a| backoff.ready(a)).collect();
            // A close refused before goes alone: a refused `close_jobs` is every close's
            // refusal, so one job the program keeps refusing must not hold back the
            // others it was batched with.
            let (alone, due): (Vec<Action>, Vec<Action>) = due
                .into_iter()
                .partition(|a| matches!(a, Action::Close { .. }) && backoff.has_failed(a));
            for action in alone.iter().chain(&due) {
                // Held while in flight; the outcome sets the real wait.
                backoff.hold(action, Duration::from_secs(120));
            }
            protocol.map(|p| (p, due, alone))
        };
        if let Some((protocol, due, alone)) = due {
            // Closes travel as many to a `close_jobs` as fit (jobs of one poster share
            // its key), syncs SYNC_BATCH; every other action alone.
            let (closes, rest): (Vec<Action>, Vec<Action>) =
                due.into_iter().partition(|a| matches!(a, Action::Close { .. }));
            let (syncs, singles): (Vec<Action>, Vec<Action>) =
                rest.into_iter().chain(alone).partition(|a| matches!(a, Action::Sync { .. }));
            let batches = singles
                .into_iter()
                .map(|action| vec![action])
                .chain(close_batches(
                    &shared.chain.some_payer(),
                    &shared.chain.client.compute_budget(),
                    closes,
                ))
                .chain(syncs.chunks(SYNC_BATCH).map(<[Action]>::to_vec));
            for batch in batches {
                let (shared, backoff, sends) = (shared.clone(), backoff.clone(), sends.clone());
                tasks.spawn(async move {
                    let _permit = sends.acquire().await;
                    let kind = batch[0].kind();
                    // Closes share one instruction, so a refusal is every close's; other
                    // actions have their own.
                    let (all, per_action) = if matches!(batch[0], Action::Close { .. }) {
                        (vec![close_jobs(&batch)], None)
                    } else {
                        let per_action: Vec<_> = batch
                            .iter()
                            .map(|action| instructions(&protocol, &shared.chain.me(), action))
                            .collect();
                        (per_action.concat(), Some(per_action))
                    };
                    let result = shared.chain.send(&shared.metrics, kind, &all).await;
                    // The action whose instruction the program refused, if one was: the
                    // others were only rolled back with it.
                    let refused = result.as_ref().err().and_then(|err| {
                        let index = shared.chain.client.refused_instruction(err)?;
                        action_of_instruction(per_action.as_ref()?, index)
                    });
                    let outcome = if result.is_ok() { "ok" } else { "failed" };
                    shared
                        .metrics
                        .crank_actions
                        .with_label_values(&[kind, outcome])
                        .inc_by(batch.len() as u64);
                    let mut backoff = backoff.lock().expect("backoff lock");
                    for (at, action) in batch.iter().enumerate() {
                        match &result {
                            Ok(_) => {
                                // Closing, syncing and challenging are routine; the rest
                                // is worth a line.
                                if matches!(kind, "close" | "sync" | "challenge") {
                                    tracing::debug!(job = ?action.job_id(), action = kind, "cranked");
                                } else {
                                    tracing::info!(job = ?action.job_id(), action = kind, "cranked");
                                }
                                backoff.succeeded(action);
                            }
                            Err(_) if refused.is_some_and(|refused| refused != at) => {
                                backoff.forget(action);
                            }
                            Err(err) => {
                                let failures = backoff.failed(action);
                                // A refusal of a fresh plan is a stale index; one that
                                // keeps coming back is worth a look.
                                let not_due = err.ignis_error()
                                    == Some(ignis::errors::IgnisError::ChallengeNotDue);
                                if not_due || (is_stale_read(err) && failures < 4) {
                                    tracing::debug!(job = ?action.job_id(), action = kind, error = %error_name(err), "crank refused: {err}");
                                } else {
                                    tracing::warn!(job = ?action.job_id(), action = kind, error = %error_name(err), failures, "crank refused: {err}");
                                }
                            }
                        }
                    }
                });
            }
        }
        while tasks.try_join_next().is_some() {}
        if !crate::next_round(&shared, &mut wake, &shutdown, Duration::from_millis(100)).await {
            break;
        }
    }
    crate::drain(tasks).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use ignis::constants::MAX_BATCH_JOBS;
    use ignis_client::rpc::{transaction_size, PACKET_DATA_SIZE};

    use super::*;

    #[test]
    fn a_refused_instruction_is_blamed_on_the_action_that_sent_it() {
        // A refund sends two instructions (the poster's token account, then the refund).
        let per_action = [vec!['c'], vec!['a', 'r'], vec!['c']];
        let blamed: Vec<_> = (0..5).map(|i| action_of_instruction(&per_action, i)).collect();
        assert_eq!(blamed, [Some(0), Some(1), Some(1), Some(2), None]);
    }

    #[test]
    fn closes_pack_as_many_as_fit_and_more_when_they_share_a_poster() {
        let payer = Pubkey::new_unique();
        let budget = ComputeBudget { unit_price: Some(1), unit_limit: Some(1) };
        let closes = |poster: &dyn Fn() -> Pubkey| -> Vec<Action> {
            (0..100).map(|job_id| Action::Close { job_id, poster: poster() }).collect()
        };
        let sizes = |actions: Vec<Action>| -> Vec<usize> {
            let batches = close_batches(&payer, &budget, actions.clone());
            assert_eq!(batches.concat(), actions, "every close once, in order");
            for batch in &batches {
                let size = transaction_size(&payer, &budget.apply(&[close_jobs(batch)]));
                assert!(size <= PACKET_DATA_SIZE, "{} closes take {size} bytes", batch.len());
                assert!(batch.len() <= usize::from(MAX_BATCH_JOBS));
            }
            batches.iter().map(Vec::len).collect()
        };
        // Every job of another poster: the most distinct accounts a batch can have.
        let distinct = sizes(closes(&Pubkey::new_unique));
        let poster = Pubkey::new_unique();
        let shared = sizes(closes(&|| poster));
        assert!(distinct[0] >= 10, "{distinct:?}");
        assert!(
            shared[0] > distinct[0],
            "one poster's closes share its key: {shared:?} vs {distinct:?}"
        );
        // A per-job compute-unit limit: a batch carries no more jobs than the
        // transaction's 1.4M units cover (14 at 100,000).
        let heavy = ComputeBudget { unit_price: None, unit_limit: Some(100_000) };
        let batches = close_batches(&payer, &heavy, closes(&|| poster));
        assert_eq!(batches[0].len(), 14);
        let limit = heavy.apply(&[close_jobs(&batches[0])]);
        assert_eq!(limit.len(), 2, "the unit limit, then the batch");
    }
}
