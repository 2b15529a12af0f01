use anchor_lang::prelude::*;

use crate::{constants::*, errors::IgnisError, events::StakeClosed, state::*};

/// Closes an empty stake account (nothing bonded, activating, unbonding or to claim)
/// and returns its rent to the owner. The owner's worker must be deregistered first.
#[event_cpi]
#[derive(Accounts)]
pub struct CloseStake<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,

    /// Written: the stake's claims join `claimed_closed`, so the reward vault still
    /// reconciles once the stake is gone.
    #[account(mut, seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        mut,
        close = owner,
        seeds = [STAKE_SEED, owner.key().as_ref()],
        bump = stake.bump,
        has_one = owner @ IgnisError::Unauthorized,
    )]
    pub stake: Box<Account<'info, Stake>>,

    /// CHECK: the owner's worker PDA, which need not exist; read by `is_registered_at`.
    #[account(seeds = [WORKER_SEED, owner.key().as_ref()], bump)]
    pub worker: UncheckedAccount<'info>,
}

impl CloseStake<'_> {
    fn validate(&self) -> Result<()> {
        // Emission accrued since the last accrual only adds to bonded stakes, and this
        // one has none, so the stored accumulator is enough.
        require!(
            self.stake.is_empty(self.config.rewards.reward_per_share)?,
            IgnisError::StakeNotEmpty
        );
        require!(!is_registered_at(&self.worker)?, IgnisError::WorkerStillRegistered);
        Ok(())
    }

    #[access_control(ctx.accounts.validate())]
    pub fn close_stake(ctx: Context<Self>) -> Result<()> {
        let rewards = &mut ctx.accounts.config.rewards;
        rewards.claimed_closed =
            crate::math::add(rewards.claimed_closed, ctx.accounts.stake.claimed_total)?;
        emit_cpi!(StakeClosed { owner: ctx.accounts.owner.key() });
        Ok(())
    }
}
