use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::JobPosted, math, state::*, vault};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostJobArgs {
    /// Any id no live job has: the poster picks it (clients pick a random one,
    /// `ignis_client::instructions::fresh_job_id`), so posters never race for ids.
    pub job_id: u64,
    pub kind: JobKind,
    /// The poster's entropy; the program mixes in the job id and poster so no two jobs
    /// ever share a seed.
    pub client_seed: [u8; 32],
    pub reward: u64,
    pub replicas: u8,
    pub execution_seconds: i64,
    pub ttl_seconds: i64,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: PostJobArgs)]
pub struct PostJob<'info> {
    #[account(mut)]
    pub poster: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        init,
        payer = poster,
        space = 8 + Job::INIT_SPACE,
        seeds = [JOB_SEED, args.job_id.to_le_bytes().as_ref()],
        bump,
    )]
    pub job: Box<Account<'info, Job>>,

    #[account(mut, constraint = poster_token.mint == config.mint @ IgnisError::WrongMint)]
    pub poster_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The job's shard (`Shard::index_of(job id)`), which keeps its escrow. Shards
    /// exist only at `["shard", index]` (`init_shard`), so the type and index suffice.
    #[account(
        mut,
        constraint = shard.index == Shard::index_of(args.job_id) @ IgnisError::WrongShard,
    )]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl PostJobArgs {
    /// The rules a new job must meet, for `post_job` and `post_jobs` alike.
    pub fn check(&self, config: &Config) -> Result<()> {
        let params = &config.params;
        self.kind.validate()?;
        self.kind.validate_replicas(self.replicas)?;
        // A fee of at least one base unit per replica: no job is free to post, so
        // posting to one's own workers always costs something.
        require!(self.reward >= config.min_reward(self.replicas), IgnisError::RewardTooSmall);
        require!(
            (MIN_EXECUTION_SECONDS..=params.max_execution_seconds)
                .contains(&self.execution_seconds),
            IgnisError::InvalidExecutionWindow
        );
        require!(
            (MIN_JOB_TTL_SECONDS..=params.max_job_ttl_seconds).contains(&self.ttl_seconds),
            IgnisError::InvalidJobTtl
        );
        Ok(())
    }

    /// The job these arguments post, open from protocol time `now`.
    pub fn job(&self, poster: Pubkey, now: i64, bump: u8) -> Result<Job> {
        Ok(Job {
            id: self.job_id,
            poster,
            kind: self.kind,
            seed: crate::pow::job_seed(self.job_id, &poster, &self.client_seed),
            reward: self.reward,
            replicas: self.replicas,
            status: JobStatus::Open,
            assignments: [Assignment::default(); MAX_REPLICAS],
            assigned: 0,
            execution_seconds: self.execution_seconds,
            posted_at: now,
            expires_at: math::add_i64(now, self.ttl_seconds)?,
            reveal_deadline: 0,
            challenge_deadline: 0,
            completed_at: 0,
            result_hash: [0; 32],
            pow_nonce: 0,
            requeues: 0,
            last_deadline: 0,
            bump,
            sla: None,
        })
    }
}

impl JobPosted {
    pub fn of(job: &Job) -> Self {
        JobPosted {
            job_id: job.id,
            poster: job.poster,
            kind: job.kind,
            reward: job.reward,
            replicas: job.replicas,
            expires_at: job.expires_at,
            posted_at: job.posted_at,
        }
    }
}

impl PostJob<'_> {
    fn validate(&self, args: &PostJobArgs) -> Result<()> {
        self.config.require_not_paused()?;
        args.check(&self.config)
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn post_job(mut ctx: Context<Self>, args: PostJobArgs) -> Result<()> {
        let now = ctx.accounts.config.clock()?;
        let accounts = &mut ctx.accounts;
        let poster = accounts.poster.key();
        accounts.job.set_inner(args.job(poster, now, ctx.bumps.job)?);
        accounts.shard.escrow(args.reward)?;

        vault::deposit(
            &accounts.token_program,
            &accounts.mint,
            &accounts.poster_token,
            &accounts.shard_vault,
            &accounts.poster,
            args.reward,
        )?;
        let event = JobPosted::of(&accounts.job);
        emit_cpi!(event);
        Ok(())
    }
}
