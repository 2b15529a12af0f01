//! The only code that moves or mints tokens: into a vault from a signer, out of a
//! vault signed by the config PDA, and emission minted by the emission PDA. Every transfer is `transfer_checked` so Token-2022 mints
//! work and a wrong mint is caught by the token program too.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{
    self, Mint, MintTo, TokenAccount, TokenInterface, TransferChecked,
};

use crate::{constants::EMISSION_SEED, state::Config};

/// Moves `amount` from a user's token account into a vault; `authority` signs.
pub fn deposit<'info>(
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    from: &InterfaceAccount<'info, TokenAccount>,
    vault: &InterfaceAccount<'info, TokenAccount>,
    authority: &Signer<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = TransferChecked {
        from: from.to_account_info(),
        mint: mint.to_account_info(),
        to: vault.to_account_info(),
        authority: authority.to_account_info(),
    };
    token_interface::transfer_checked(
        CpiContext::new(token_program.key(), accounts),
        amount,
        mint.decimals,
    )
}

/// Moves `amount` out of a vault (or between vaults), signed by the config PDA.
pub fn pay_out<'info>(
    config: &Account<'info, Config>,
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    vault: &InterfaceAccount<'info, TokenAccount>,
    to: &InterfaceAccount<'info, TokenAccount>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let seeds = config.signer_seeds();
    let signer = [&seeds[..]];
    let accounts = TransferChecked {
        from: vault.to_account_info(),
        mint: mint.to_account_info(),
        to: to.to_account_info(),
        authority: config.to_account_info(),
    };
    token_interface::transfer_checked(
        CpiContext::new_with_signer(token_program.key(), accounts, &signer),
        amount,
        mint.decimals,
    )
}

/// Mints `amount` of emission into the reward vault, signed by the `["emission"]`
/// PDA (the mint's authority). Only `mint_emission` calls it, about once an epoch.
pub fn mint_emission<'info>(
    config: &Account<'info, Config>,
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    reward_vault: &InterfaceAccount<'info, TokenAccount>,
    emission: &UncheckedAccount<'info>,
    amount: u64,
) -> Result<()> {
    let seeds = [EMISSION_SEED, std::slice::from_ref(&config.emission_bump)];
    let signer = [&seeds[..]];
    let accounts = MintTo {
        mint: mint.to_account_info(),
        to: reward_vault.to_account_info(),
        authority: emission.to_account_info(),
    };
    token_interface::mint_to(
        CpiContext::new_with_signer(token_program.key(), accounts, &signer),
        amount,
    )
}
