use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    constants::*,
    errors::IgnisError,
    events::AssignmentExpired,
    settlement::{self, Fault},
    state::*,
    vault,
};

/// Anyone may expire an assignment whose deadline passed without a PoW submission or,
/// for a kernel job, a commitment: the worker's operator is slashed at the miss rate
/// (into `reward_vault`, for the stakers) and the replica goes back to the queue.
#[event_cpi]
#[derive(Accounts)]
pub struct ExpireAssignment<'info> {
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()], bump = job.bump)]
    pub job: Box<Account<'info, Job>>,

    #[account(mut, seeds = [WORKER_SEED, worker.operator.as_ref()], bump = worker.bump)]
    pub worker: Box<Account<'info, Worker>>,

    #[account(
        mut,
        seeds = [STAKE_SEED, worker.operator.as_ref()],
        bump = operator_stake.bump,
        constraint = operator_stake.owner == worker.operator @ IgnisError::StakeOperatorMismatch,
    )]
    pub operator_stake: Box<Account<'info, Stake>>,

    #[account(mut, address = config.stake_vault)]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, address = config.reward_vault)]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl ExpireAssignment<'_> {
    /// Returns the index of the expired assignment.
    fn expired_index(&self) -> Result<usize> {
        self.job.check_expire(&self.config, &self.worker.key(), self.config.clock()?)
    }

    fn validate(&self) -> Result<()> {
        self.expired_index().map(drop)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn expire_assignment(mut ctx: Context<Self>) -> Result<()> {
        let index = ctx.accounts.expired_index()?;
        let accounts = &mut ctx.accounts;
        accounts.config.accrue(Clock::get()?.unix_timestamp)?;
        let slashed_total = settlement::slash(
            &mut accounts.config,
            &mut accounts.worker,
            &mut accounts.operator_stake,
            Fault::Missed,
        )?;

        let job = &mut accounts.job;
        job.requeue_replica(index)?;

        vault::pay_out(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.stake_vault,
            &accounts.reward_vault,
            slashed_total,
        )?;
        let event = AssignmentExpired {
            job_id: accounts.job.id,
            worker: accounts.worker.key(),
            slashed: slashed_total,
        };
        emit_cpi!(event);
        Ok(())
    }
}
