use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::WorkerRegistered, state::*};

#[event_cpi]
#[derive(Accounts)]
pub struct RegisterWorker<'info> {
    #[account(mut)]
    pub operator: Signer<'info>,

    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        seeds = [STAKE_SEED, operator.key().as_ref()],
        bump = stake.bump,
    )]
    pub stake: Box<Account<'info, Stake>>,

    #[account(
        init,
        payer = operator,
        space = 8 + Worker::INIT_SPACE,
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump,
    )]
    pub worker: Box<Account<'info, Worker>>,

    pub system_program: Program<'info, System>,
}

impl RegisterWorker<'_> {
    fn validate(&self, settings: &WorkerSettings) -> Result<()> {
        self.config.require_not_paused()?;
        settings.validate()?;
        require!(
            self.stake.amount >= self.config.params.min_worker_stake,
            IgnisError::StakeBelowMinimum
        );
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&settings))]
    pub fn register_worker(ctx: Context<Self>, settings: WorkerSettings) -> Result<()> {
        let operator = ctx.accounts.operator.key();
        let worker = &mut ctx.accounts.worker;
        worker.set_inner(Worker {
            operator,
            settings: settings.clone(),
            active_jobs: 0,
            jobs_completed: 0,
            jobs_missed: 0,
            jobs_disputed: 0,
            slashed_total: 0,
            earned_total: 0,
            registered_at: Clock::get()?.unix_timestamp,
            bump: ctx.bumps.worker,
        });
        let totals = &mut ctx.accounts.config.totals;
        totals.workers_registered = totals
            .workers_registered
            .checked_add(1)
            .ok_or(IgnisError::MathOverflow)?;
        emit_cpi!(WorkerRegistered {
            worker: ctx.accounts.worker.key(),
            operator,
            settings,
        });
        Ok(())
    }
}
