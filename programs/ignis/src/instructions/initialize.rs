use anchor_lang::prelude::*;
use anchor_lang::solana_program::program_option::COption;
use anchor_spl::{
    token_2022::spl_token_2022::{
        self,
        extension::{BaseStateWithExtensions, ExtensionType, StateWithExtensions},
    },
    token_interface::{self, Mint, SetAuthority, TokenAccount, TokenInterface},
};

use crate::{constants::*, errors::IgnisError, events::ConfigInitialized, state::*};

/// Sets the protocol up on the IGN mint and, in the same instruction, takes over its
/// mint authority: only the mint's current authority can sign this, so nobody can
/// initialize in the deployer's place between two transactions of the deploy.
#[event_cpi]
#[derive(Accounts)]
pub struct Initialize<'info> {
    /// The mint's current mint authority, which becomes the protocol's admin.
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

    /// The IGN mint; its mint authority moves to `emission` here.
    #[account(
        mut,
        mint::token_program = token_program,
        constraint = mint.mint_authority == COption::Some(admin.key()) @ IgnisError::NotMintAuthority,
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

/// Token-2022 mint extensions that cannot move, freeze, skim or lock vault tokens.
/// Everything else (a permanent delegate, a transfer hook or fee, a default frozen
/// state, non-transferability, pausing, a close authority...) is refused.
const ALLOWED_MINT_EXTENSIONS: &[ExtensionType] = &[
    ExtensionType::MetadataPointer,
    ExtensionType::TokenMetadata,
    ExtensionType::GroupPointer,
    ExtensionType::TokenGroup,
    ExtensionType::GroupMemberPointer,
    ExtensionType::TokenGroupMember,
];

impl Initialize<'_> {
    fn validate(&self, params: &Params, emission: &EmissionSchedule) -> Result<()> {
        params.validate()?;
        emission.validate(self.mint.supply)?;
        let mint = self.mint.to_account_info();
        if mint.owner == &spl_token_2022::ID {
            let data = mint.try_borrow_data()?;
            let state = StateWithExtensions::<spl_token_2022::state::Mint>::unpack(&data)?;
            let extensions = state.get_extension_types()?;
            require!(
                extensions.iter().all(|e| ALLOWED_MINT_EXTENSIONS.contains(e)),
                IgnisError::MintExtensionNotAllowed
            );
        }
        Ok(())
    }

    #[access_control(ctx.accounts.validate(&params, &emission))]
    pub fn initialize(
        mut ctx: Context<Self>,
        params: Params,
        emission: EmissionSchedule,
        orchestrator: Pubkey,
        verifier: Pubkey,
    ) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let accounts = &mut ctx.accounts;
        let handover = SetAuthority {
            current_authority: accounts.admin.to_account_info(),
            account_or_mint: accounts.mint.to_account_info(),
        };
        token_interface::set_authority(
            CpiContext::new(accounts.token_program.key(), handover),
            anchor_spl::token_2022::spl_token_2022::instruction::AuthorityType::MintTokens,
            Some(accounts.emission.key()),
        )?;
        let config = &mut accounts.config;
        config.set_inner(Config {
            admin: accounts.admin.key(),
            orchestrator,
            verifier,
            mint: accounts.mint.key(),
            token_program: accounts.token_program.key(),
            stake_vault: accounts.stake_vault.key(),
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
            paused: false,
            paused_at: 0,
            paused_seconds: 0,
            decimals: accounts.mint.decimals,
            bump: ctx.bumps.config,
            emission_bump: ctx.bumps.emission,
            orchestrator_seen_at: now,
            shard_synced_slots: [0; 16],
            // Priced as a network with every challenge answered until shards report.
            network_uptime: NetworkUptime {
                uptime_bps: BPS_DENOMINATOR as u16,
                ..Default::default()
            },
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
