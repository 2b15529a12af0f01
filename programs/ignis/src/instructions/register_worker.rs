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
        mut,
        seeds = [STAKE_SEED, operator.key().as_ref()],
        bump = stake.bump,
    )]
    pub stake: Box<Account<'info, Stake>>,

    /// Created on first registration; a deregistered worker registers again into the
    /// same account and keeps its record.
    #[account(
        init_if_needed,
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
        require!(!self.worker.registered, IgnisError::WorkerAlreadyRegistered);
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&settings))]
    pub fn register_worker(mut ctx: Context<Self>, settings: WorkerSettings) -> Result<()> {
        let accounts = &mut ctx.accounts;
        let clock = Clock::get()?;
        accounts.config.accrue(clock.unix_timestamp)?;
        // A deposit from an earlier slot counts: bond it now.
        accounts.config.activate_stake(&mut accounts.stake, clock.slot)?;
        require!(
            accounts.stake.amount >= accounts.config.params.min_worker_stake,
            IgnisError::StakeBelowMinimum
        );
        let operator = accounts.operator.key();
        let now = accounts.config.clock()?;
        let params = accounts.config.params;
        let worker = &mut accounts.worker;
        if worker.operator == Pubkey::default() {
            worker.operator = operator;
            worker.bump = ctx.bumps.worker;
            worker.capacity = Capacity::fresh(settings.hashrate, now, &params);
        } else {
            worker.capacity.reregister(now, &params);
        }
        worker.settings = settings.clone();
        worker.registered = true;
        worker.registered_at = now;
        let totals = &mut ctx.accounts.config.totals;
        totals.workers_registered =
            totals.workers_registered.checked_add(1).ok_or(IgnisError::MathOverflow)?;
        emit_cpi!(WorkerRegistered { worker: ctx.accounts.worker.key(), operator, settings });
        Ok(())
    }
}
