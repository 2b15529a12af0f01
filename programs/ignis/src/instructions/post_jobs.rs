use anchor_lang::{prelude::*, system_program};
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    constants::*,
    errors::IgnisError,
    events::{JobPosted, JobsPosted},
    instructions::post_job::PostJobArgs,
    math,
    state::*,
    vault,
};

/// A poster posts several jobs of one shard at once, each under `post_job`'s rules
/// (`PostJobArgs::check`): one escrow transfer and one event for up to
/// `MAX_BATCH_JOBS` jobs. Clients pick the ids of a batch in one shard
/// (`ignis_client::instructions::fresh_job_ids`).
///
/// `remaining_accounts`: each job's account (`["job", id]`), writable, in the order of
/// `jobs`. All or nothing: an id in use, a job breaking a rule or one of another shard
/// fails the whole instruction.
#[event_cpi]
#[derive(Accounts)]
pub struct PostJobs<'info> {
    #[account(mut)]
    pub poster: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(mut, constraint = poster_token.mint == config.mint @ IgnisError::WrongMint)]
    pub poster_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// The shard of every job of the batch, which keeps their escrow.
    #[account(mut)]
    pub shard: Box<Account<'info, Shard>>,

    #[account(mut, address = shard.vault)]
    pub shard_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl<'info> PostJobs<'info> {
    fn validate(&self, jobs: &[PostJobArgs], accounts: &[AccountInfo<'info>]) -> Result<()> {
        Job::check_batch_size(jobs.len())?;
        require!(accounts.len() == jobs.len(), IgnisError::BatchAccountsMismatch);
        self.config.require_not_paused()?;
        for args in jobs {
            require!(Shard::index_of(args.job_id) == self.shard.index, IgnisError::WrongShard);
            args.check(&self.config)?;
        }
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&jobs, ctx.remaining_accounts))]
    pub fn post_jobs(mut ctx: Context<'info, Self>, jobs: Vec<PostJobArgs>) -> Result<()> {
        let now = ctx.accounts.config.clock()?;
        let accounts = &mut ctx.accounts;
        let poster = accounts.poster.key();
        let space = 8 + Job::INIT_SPACE;
        let rent = Rent::get()?.minimum_balance(space);
        let mut total: u64 = 0;
        let mut posted = Vec::with_capacity(jobs.len());
        for (args, info) in jobs.iter().zip(ctx.remaining_accounts) {
            let id = args.job_id.to_le_bytes();
            let (address, bump) = Pubkey::find_program_address(&[JOB_SEED, &id], &crate::ID);
            require_keys_eq!(info.key(), address, IgnisError::BatchAccountsMismatch);
            create_job_account(accounts, info, &[JOB_SEED, &id, &[bump]], rent, space)?;
            let job = args.job(poster, now, bump)?;
            job.try_serialize(&mut &mut info.try_borrow_mut_data()?[..])?;
            accounts.shard.escrow(args.reward)?;
            total = math::add(total, args.reward)?;
            posted.push(JobPosted::of(&job));
        }
        vault::deposit(
            &accounts.token_program,
            &accounts.mint,
            &accounts.poster_token,
            &accounts.shard_vault,
            &accounts.poster,
            total,
        )?;
        emit_cpi!(JobsPosted { jobs: posted });
        Ok(())
    }
}

/// Creates a job's account at its PDA, paid by the poster, as Anchor's `init` does: an
/// address someone already sent lamports to is topped up rather than refused, so nobody
/// can block an id by funding it; one that holds an account is refused by the System
/// program (`AccountAlreadyInUse`), as `post_job` is.
fn create_job_account<'info>(
    accounts: &PostJobs<'info>,
    job: &AccountInfo<'info>,
    seeds: &[&[u8]],
    rent: u64,
    space: usize,
) -> Result<()> {
    let from = accounts.poster.to_account_info();
    let program = accounts.system_program.key();
    let current = job.lamports();
    if current == 0 {
        let cpi = system_program::CreateAccount { from, to: job.clone() };
        system_program::create_account(
            CpiContext::new(program, cpi).with_signer(&[seeds]),
            rent,
            space as u64,
            &crate::ID,
        )
    } else {
        let cpi = system_program::CreateAccountAllowPrefund { from, to: job.clone() };
        system_program::create_account_allow_prefund(
            CpiContext::new(program, cpi).with_signer(&[seeds]),
            rent.max(1).saturating_sub(current),
            space as u64,
            &crate::ID,
        )
    }
}
