use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::SlaBought, math, state::*, vault};

/// The poster buys a service level for its PoW job before it is first assigned
/// (clients send it in the posting transaction): the job then goes only to proven
/// workers with the SLA's uptime, and each replica that misses its deadline pays the
/// poster the SLA's share of its slash. The premium, priced from the network's uptime
/// (`Config::sla_premium`), goes to the stakers, who give that share up.
#[event_cpi]
#[derive(Accounts)]
pub struct BuySla<'info> {
    pub poster: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        mut,
        seeds = [JOB_SEED, job.id.to_le_bytes().as_ref()],
        bump = job.bump,
        has_one = poster @ IgnisError::Unauthorized,
    )]
    pub job: Box<Account<'info, Job>>,

    #[account(mut, constraint = shard.index == Shard::index_of(job.id) @ IgnisError::WrongShard)]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(mut, constraint = poster_token.mint == config.mint @ IgnisError::WrongMint)]
    pub poster_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

impl BuySla<'_> {
    fn premium(&self, max_premium: u64) -> Result<u64> {
        self.config.require_not_paused()?;
        require!(!self.job.kind.is_replicated(), IgnisError::SlaPowOnly);
        self.job.check_sla_purchase()?;
        let premium = self.config.sla_premium(self.job.replicas)?;
        require!(premium <= max_premium, IgnisError::SlaPremiumAboveMax);
        Ok(premium)
    }

    fn validate(&self, max_premium: u64) -> Result<()> {
        self.premium(max_premium).map(drop)
    }

    #[access_control(ctx.accounts.validate(max_premium))]
    pub fn buy_sla(mut ctx: Context<Self>, max_premium: u64) -> Result<()> {
        let premium = ctx.accounts.premium(max_premium)?;
        let accounts = &mut ctx.accounts;
        let params = accounts.config.params;
        let terms = SlaTerms {
            compensation_bps: params.sla_compensation_bps,
            min_uptime_bps: params.sla_min_uptime_bps,
            premium,
        };
        accounts.job.sla = Some(terms);
        // The vault holds escrow + fees + pool: the premium waits with the fees for
        // `sync_shard` to hand it to the stakers.
        let shard = &mut accounts.shard;
        shard.fees_pending = math::add(shard.fees_pending, premium)?;
        vault::deposit(
            &accounts.token_program,
            &accounts.mint,
            &accounts.poster_token,
            &accounts.shard_vault,
            &accounts.poster,
            premium,
        )?;
        let event = SlaBought {
            job_id: accounts.job.id,
            poster: accounts.poster.key(),
            premium,
            compensation_bps: terms.compensation_bps,
            min_uptime_bps: terms.min_uptime_bps,
            min_compensation: accounts.config.sla_min_compensation()?,
        };
        emit_cpi!(event);
        Ok(())
    }
}
