use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, math};

/// One of [`SHARDS`] running-total accounts, each with its own vault
/// (`["shard_vault", index]`, owned by the config PDA). A job belongs to shard
/// `id % SHARDS`: its escrow, its fee and its work-pool pay stay in that shard's vault,
/// so instructions on different jobs write different shards and never the config.
/// `sync_shard` (anyone, any time; the orchestrator's crank) hands the shard's fees to
/// the stakers, tops its work pool up from the emission and reports its work units.
///
/// The vault holds exactly `escrowed + fees_pending + work_pool`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Shard {
    pub index: u8,
    pub bump: u8,
    pub vault: Pubkey,
    /// Rewards of this shard's jobs neither paid nor returned.
    pub escrowed: u64,
    /// Protocol fees waiting for `sync_shard` to hand them to the stakers.
    pub fees_pending: u64,
    /// Work-pool emission allotted to this shard and not yet paid.
    pub work_pool: u64,
    /// Emission ever allotted to this shard's work pool (`Config::work_due`).
    pub work_allotted: u64,
    pub work_paid: u64,
    /// Work units paid since the last sync, which reports them to the epoch's retarget.
    pub work_units_unreported: u64,
    /// Fees handed to the stakers by `sync_shard`.
    pub fees_swept: u64,
    /// Rewards paid to workers from escrow (fees excluded).
    pub paid_to_workers: u64,
    pub jobs_posted: u64,
    pub jobs_completed: u64,
    pub jobs_cancelled: u64,
    pub jobs_refunded: u64,
    /// Capacity challenges of this shard's workers (`Worker::challenge_shard`)
    /// answered and missed since the last sync, which folds them into the network's
    /// uptime.
    pub challenges_answered_unreported: u64,
    pub challenges_missed_unreported: u64,
}

impl Shard {
    /// The shard of job `job_id`. Ids are the poster's choice, random for clients, so
    /// jobs spread evenly; a poster who crowds one shard only queues behind itself.
    pub fn index_of(job_id: u64) -> u8 {
        (job_id % u64::from(SHARDS)) as u8
    }

    /// What the shard's vault owes: its balance must be exactly this.
    pub fn vault_owes(&self) -> Result<u64> {
        math::add(math::add(self.escrowed, self.fees_pending)?, self.work_pool)
    }

    /// Pays `work_units` of verified work from this shard's pool at `work_rate` (Q32
    /// base units per unit, the config's; capped by what the pool holds) and counts
    /// them towards the epoch's retarget. The work is paid once per job however many
    /// replicas did it: replicas that share one computation across several keys earn no
    /// more than one worker would. Returns each of the `winners`' share; the rounding
    /// remainder stays in the pool.
    pub fn take_work_payment(
        &mut self,
        work_rate: u64,
        work_units: u64,
        winners: u64,
    ) -> Result<u64> {
        require!(winners > 0, IgnisError::MathOverflow);
        let owed = (u128::from(work_units) * u128::from(work_rate)) >> WORK_RATE_SHIFT;
        let share = u64::try_from(owed).unwrap_or(u64::MAX).min(self.work_pool) / winners;
        let paid = share.checked_mul(winners).ok_or(IgnisError::MathOverflow)?;
        self.work_pool = math::sub(self.work_pool, paid)?;
        self.work_paid = math::add(self.work_paid, paid)?;
        self.work_units_unreported = self.work_units_unreported.saturating_add(work_units);
        Ok(share)
    }

    /// Books a job's reward into escrow.
    pub fn escrow(&mut self, reward: u64) -> Result<()> {
        self.escrowed = math::add(self.escrowed, reward)?;
        self.jobs_posted = math::add(self.jobs_posted, 1)?;
        Ok(())
    }
}
