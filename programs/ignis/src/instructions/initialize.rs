use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_option::COption;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::{constants::*, errors::IgnisError, events::ConfigInitialized, state::*};

#[event_cpi]
#[derive(Accounts)]
pub struct Initialize<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,

    #[account(
        init,
        payer = admin,
        space = 8 + Config::INIT_SPACE,
        seeds = [CONFIG_SEED],
        bump,
    )]
    pub config: Box<Account<'info, Config>>,

    /// CHECK: only its address is used: the mint authority the protocol mints with.
    #[account(seeds = [EMISSION_SEED], bump)]
    pub emission: UncheckedAccount<'info>,

    /// The IGN mint, whose mint authority the deployer has already handed to `emission`.
    #[account(
        mint::token_program = token_program,
        constraint = mint.mint_authority == COption::Some(emission.key()) @ IgnisError::MintAuthorityNotEmission,
        constraint = mint.freeze_authority.is_none() @ IgnisError::MintHasFreezeAuthority,
    )]
    pub mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(
        init,
        payer = admin,
        seeds = [STAKE_VAULT_SEED],
        bump,
        token::mint = mint,
        token::authority = config,
        token::token_program = token_program,
    )]
    pub stake_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        init,
        payer = admin,
        seeds = [JOB_VAULT_SEED],
        bump,
        token::mint = mint,
        token::authority = config,
        token::token_program = token_program,
    )]
    pub job_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        init,
        payer = admin,
        seeds = [REWARD_VAULT_SEED],
        bump,
        token::mint = mint,
        token::authority = config,
        token::token_program = token_program,
    )]
    pub reward_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl Initialize<'_> {
    pub fn initialize(
        mut ctx: Context<Self>,
        params: Params,
        emission: EmissionSchedule,
        orchestrator: Pubkey,
        verifier: Pubkey,
    ) -> Result<()> {
        params.validate()?;
        emission.validate()?;
        let now = Clock::get()?.unix_timestamp;
        let accounts = &mut ctx.accounts;
        let config = &mut accounts.config;
        config.set_inner(Config {
            admin: accounts.admin.key(),
            orchestrator,
            verifier,
            mint: accounts.mint.key(),
            token_program: accounts.token_program.key(),
            stake_vault: accounts.stake_vault.key(),
            job_vault: accounts.job_vault.key(),
            reward_vault: accounts.reward_vault.key(),
            genesis_supply: accounts.mint.supply,
            params,
            emission: EmissionSchedule { start: now, ..emission },
            rewards: RewardState {
                work_rate: emission.initial_work_rate,
                epoch_start: now,
                ..RewardState::default()
            },
            totals: Totals::default(),
            next_job_id: 0,
            paused: false,
            decimals: accounts.mint.decimals,
            bump: ctx.bumps.config,
            emission_bump: ctx.bumps.emission,
        });
        let event = ConfigInitialized {
            admin: config.admin,
            mint: config.mint,
            genesis_supply: config.genesis_supply,
        };
        emit_cpi!(event);
        Ok(())
    }
}
