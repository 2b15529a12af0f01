use anchor_lang::prelude::*;

use crate::{
    constants::*,
    errors::IgnisError,
    events::{ChallengeIssued, ChallengeMissed},
    math, pow,
    state::*,
};

/// Anyone (the orchestrator's crank, or any watcher): books a worker's open capacity
/// challenge as missed once its deadline passed, or issues its next one once due. When
/// it is due and its seed are drawn from the newest slot hash, so neither the worker
/// nor the crank knows them before that slot.
#[event_cpi]
#[derive(Accounts)]
pub struct ChallengeWorker<'info> {
    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [WORKER_SEED, worker.operator.as_ref()], bump = worker.bump)]
    pub worker: Box<Account<'info, Worker>>,

    /// The worker's challenge shard (`Worker::challenge_shard`), which counts misses
    /// for the network's uptime.
    #[account(
        mut,
        constraint = shard.index == Worker::challenge_shard(&worker.key()) @ IgnisError::WrongShard,
    )]
    pub shard: Box<Account<'info, Shard>>,

    /// CHECK: the SlotHashes sysvar (by address), read in place.
    #[account(address = SLOT_HASHES_SYSVAR)]
    pub slot_hashes: UncheckedAccount<'info>,
}

impl ChallengeWorker<'_> {
    fn newest_slot_hash(&self) -> Result<[u8; 32]> {
        let data = self.slot_hashes.try_borrow_data()?;
        let (_, hash) = pow::newest_slot_hash(&data).ok_or(IgnisError::SlotHashesUnavailable)?;
        Ok(hash)
    }

    /// What to do now, and the slot hash it was drawn from (which seeds a challenge).
    fn step(&self) -> Result<(ChallengeStep, [u8; 32])> {
        self.config.require_not_paused()?;
        let slot_hash = self.newest_slot_hash()?;
        let draw = pow::challenge_draw(&slot_hash, &self.worker.key());
        let step = self
            .worker
            .challenge_step(self.config.clock()?, &self.config.params, draw)
            .ok_or_else(|| error!(IgnisError::ChallengeNotDue))?;
        Ok((step, slot_hash))
    }

    fn validate(&self) -> Result<()> {
        self.step().map(drop)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn challenge_worker(ctx: Context<Self>) -> Result<()> {
        let (step, slot_hash) = ctx.accounts.step()?;
        let accounts = &mut *ctx.accounts;
        let now = accounts.config.clock()?;
        let params = accounts.config.params;
        let worker_key = accounts.worker.key();
        let worker = &mut accounts.worker;
        match step {
            ChallengeStep::Miss => {
                worker.capacity.record_miss(now)?;
                let shard = &mut accounts.shard;
                shard.challenges_missed_unreported =
                    math::add(shard.challenges_missed_unreported, 1)?;
                let event = ChallengeMissed {
                    worker: worker_key,
                    rated_hashrate: worker.capacity.rated_hashrate,
                    uptime_bps: worker.capacity.uptime_bps(),
                    consecutive_misses: worker.capacity.consecutive_misses,
                };
                emit_cpi!(event);
            }
            ChallengeStep::Issue => {
                let index = math::add(
                    worker.capacity.challenges_answered,
                    worker.capacity.challenges_missed,
                )?;
                let seed = pow::challenge_seed(&slot_hash, &worker_key, index);
                let hashrate = worker.effective_hashrate();
                let challenge = worker.capacity.issue(seed, hashrate, now, &params);
                let event = ChallengeIssued {
                    worker: worker_key,
                    seed,
                    difficulty: challenge.difficulty,
                    work_units: challenge.work_units(),
                    issued_at: challenge.issued_at,
                    deadline: challenge.deadline,
                };
                emit_cpi!(event);
            }
        }
        Ok(())
    }
}
