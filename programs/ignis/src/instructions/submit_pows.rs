use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{
    constants::*, errors::IgnisError, events::PowsSubmitted, math, settlement, state::*, vault,
};

/// The assigned worker proves several PoW jobs at once, each under `submit_pow`'s rule
/// (`Job::check_pow`) and paid as `submit_pow` pays (`settlement::settle_pow`): one
/// instruction, one transfer per shard and one event for up to `MAX_BATCH_JOBS`
/// proofs, which is how the worker submits the jobs it finishes together.
///
/// `remaining_accounts`: one job per nonce, writable, in the order of `nonces`; then a
/// `[shard, shard_vault]` pair, both writable, for each distinct shard of those jobs.
/// All or nothing: a proof that fails its rule fails the whole instruction with the
/// rule's error, and the worker's client sends the others again without it.
#[event_cpi]
#[derive(Accounts)]
pub struct SubmitPows<'info> {
    pub operator: Signer<'info>,

    #[account(seeds = [CONFIG_SEED], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,

    #[account(
        mut,
        seeds = [WORKER_SEED, operator.key().as_ref()],
        bump = worker.bump,
        has_one = operator @ IgnisError::Unauthorized,
    )]
    pub worker: Box<Account<'info, Worker>>,

    /// Where the pay goes: any token account of the mint the operator chooses.
    #[account(mut, constraint = payout_token.mint == config.mint @ IgnisError::WrongMint)]
    pub payout_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = config.mint @ IgnisError::WrongMint)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(address = config.token_program)]
    pub token_program: Interface<'info, TokenInterface>,
}

/// One shard of the batch: its account, its vault and what the batch's proofs in it are
/// owed.
struct ShardPayout<'info> {
    shard: Box<Account<'info, Shard>>,
    vault: Box<InterfaceAccount<'info, TokenAccount>>,
    owed: u64,
}

impl<'info> SubmitPows<'info> {
    fn validate(&self, nonces: &[u64], remaining: &[AccountInfo<'info>]) -> Result<()> {
        let shard_accounts = remaining.get(nonces.len()..).unwrap_or_default();
        Job::check_batch_size(nonces.len())?;
        require!(
            (2..=2 * usize::from(SHARDS)).contains(&shard_accounts.len())
                && shard_accounts.chunks_exact(2).remainder().is_empty(),
            IgnisError::BatchAccountsMismatch
        );
        self.config.require_not_paused()
    }

    #[access_control(ctx.accounts.validate(&nonces, ctx.remaining_accounts))]
    pub fn submit_pows(mut ctx: Context<'info, Self>, nonces: Vec<u64>) -> Result<()> {
        let (jobs, shard_accounts) = ctx.remaining_accounts.split_at(nonces.len());
        let accounts = &mut ctx.accounts;
        let config = &accounts.config;
        let now = config.clock()?;
        let worker_key = accounts.worker.key();

        let mut shards: Vec<ShardPayout<'info>> = Vec::with_capacity(shard_accounts.len() / 2);
        for pair in shard_accounts.chunks_exact(2) {
            // The type proves it a shard: shards exist only at `["shard", index]`
            // (`init_shard`). Boxed: a small SBF stack frame.
            let shard = Box::new(Account::<Shard>::try_from(&pair[0])?);
            require!(
                shards.iter().all(|s| s.shard.index != shard.index),
                IgnisError::BatchAccountsMismatch
            );
            let vault = Box::new(InterfaceAccount::<TokenAccount>::try_from(&pair[1])?);
            require_keys_eq!(vault.key(), shard.vault, IgnisError::WrongShard);
            shards.push(ShardPayout { shard, vault, owed: 0 });
        }

        let mut proofs = Vec::with_capacity(nonces.len());
        for (&nonce, info) in nonces.iter().zip(jobs) {
            // The owner and the discriminator prove it a job: jobs exist only at their
            // PDA (`post_job`'s seeds), so no seeds check is needed.
            let mut job = Box::new(Account::<Job>::try_from(info)?);
            let shard = Shard::index_of(job.id);
            let payout =
                shards.iter_mut().find(|s| s.shard.index == shard).ok_or(IgnisError::WrongShard)?;
            let event = settlement::settle_pow(
                config,
                &mut payout.shard,
                &mut accounts.worker,
                worker_key,
                &mut job,
                nonce,
                now,
            )?;
            payout.owed = math::add(payout.owed, math::add(event.paid, event.work_reward)?)?;
            // Written back before the next is read: a job named twice is refused
            // (`JobNotRunning`), never paid twice.
            job.exit(&crate::ID)?;
            proofs.push(event);
        }

        // Each shard's proofs in one transfer; the fees stay there for `sync_shard`.
        for payout in &shards {
            payout.shard.exit(&crate::ID)?;
            vault::pay_out(
                config,
                &accounts.token_program,
                &accounts.mint,
                &payout.vault,
                &accounts.payout_token,
                payout.owed,
            )?;
        }
        emit_cpi!(PowsSubmitted { proofs });
        Ok(())
    }
}
