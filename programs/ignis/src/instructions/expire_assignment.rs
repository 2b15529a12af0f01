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
/// (into `reward_vault`, for the stakers; for an SLA job, the SLA's share of it to the
/// poster's `poster_token`) and the replica goes back to the queue.
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

    /// The poster's token account of the mint: where an SLA job's compensation goes.
    /// Required for an SLA job, ignored otherwise.
    #[account(mut)]
    pub poster_token: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
}

impl ExpireAssignment<'_> {
    /// Returns the index of the expired assignment.
    fn expired_index(&self) -> Result<usize> {
        self.job.check_expire(&self.config, &self.worker.key(), self.config.clock()?)
    }

    fn validate(&self) -> Result<()> {
        self.expired_index()?;
        if self.job.sla.is_some() {
            let poster_token =
                self.poster_token.as_ref().ok_or(IgnisError::SlaPosterAccountMissing)?;
            require_keys_eq!(poster_token.owner, self.job.poster, IgnisError::WrongTokenOwner);
            require_keys_eq!(poster_token.mint, self.config.mint, IgnisError::WrongMint);
        }
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn expire_assignment(mut ctx: Context<Self>) -> Result<()> {
        let index = ctx.accounts.expired_index()?;
        let accounts = &mut ctx.accounts;
        accounts.config.accrue(Clock::get()?.unix_timestamp)?;
        let compensation_bps = accounts.job.sla.map_or(0, |sla| sla.compensation_bps);
        let slashed = settlement::slash(
            &mut accounts.config,
            &mut accounts.worker,
            &mut accounts.operator_stake,
            Fault::Missed,
            compensation_bps,
        )?;

        if accounts.job.sla.is_some() {
            let breaches = &mut accounts.worker.capacity.sla_breaches;
            *breaches = breaches.saturating_add(1);
        }
        let job = &mut accounts.job;
        job.requeue_replica(index)?;

        vault::pay_out(
            &accounts.config,
            &accounts.token_program,
            &accounts.mint,
            &accounts.stake_vault,
            &accounts.reward_vault,
            slashed.to_stakers()?,
        )?;
        if let Some(poster_token) = &accounts.poster_token {
            vault::pay_out(
                &accounts.config,
                &accounts.token_program,
                &accounts.mint,
                &accounts.stake_vault,
                poster_token,
                slashed.compensation,
            )?;
        }
        let event = AssignmentExpired {
            job_id: accounts.job.id,
            worker: accounts.worker.key(),
            slashed: slashed.total,
            compensation: slashed.compensation,
        };
        emit_cpi!(event);
        Ok(())
    }
}
