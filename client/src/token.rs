//! SPL Token plumbing around the protocol: the IGN mint and holders' token accounts.
//! Works for both the Token and Token-2022 programs.

use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use anchor_spl::{
    associated_token::{
        get_associated_token_address_with_program_id, spl_associated_token_account,
    },
    token::spl_token,
    token_2022::spl_token_2022,
};

pub use anchor_spl::{token::ID as TOKEN_PROGRAM_ID, token_2022::ID as TOKEN_2022_PROGRAM_ID};

/// Size of a mint without extensions; both token programs accept it.
pub const MINT_LEN: u64 = 82;

/// The associated token account of `owner` for `mint`: where the CLI, worker and app
/// keep a holder's IGN.
pub fn associated_account(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    get_associated_token_address_with_program_id(owner, mint, token_program)
}

/// Creates `owner`'s associated token account unless it exists already.
pub fn create_associated_account(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        payer,
        owner,
        mint,
        token_program,
    )
}

/// Creates and initialises a mint at `mint` (a fresh keypair's address, which signs).
pub fn create_mint(
    payer: &Pubkey,
    mint: &Pubkey,
    authority: &Pubkey,
    decimals: u8,
    token_program: &Pubkey,
    rent_lamports: u64,
) -> Vec<Instruction> {
    let create = solana_system_interface::instruction::create_account(
        payer,
        mint,
        rent_lamports,
        MINT_LEN,
        token_program,
    );
    let init = if *token_program == spl_token_2022::ID {
        spl_token_2022::instruction::initialize_mint2(
            token_program,
            mint,
            authority,
            None,
            decimals,
        )
    } else {
        spl_token::instruction::initialize_mint2(token_program, mint, authority, None, decimals)
    }
    .expect("valid mint instruction");
    vec![create, init]
}

pub fn mint_to(
    token_program: &Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    authority: &Pubkey,
    amount: u64,
) -> Instruction {
    if *token_program == spl_token_2022::ID {
        spl_token_2022::instruction::mint_to(token_program, mint, to, authority, &[], amount)
    } else {
        spl_token::instruction::mint_to(token_program, mint, to, authority, &[], amount)
    }
    .expect("valid mint_to instruction")
}

/// Hands the mint's authority to `new_authority` (the protocol's emission PDA).
pub fn set_mint_authority(
    token_program: &Pubkey,
    mint: &Pubkey,
    current: &Pubkey,
    new_authority: &Pubkey,
) -> Instruction {
    if *token_program == spl_token_2022::ID {
        spl_token_2022::instruction::set_authority(
            token_program,
            mint,
            Some(new_authority),
            spl_token_2022::instruction::AuthorityType::MintTokens,
            current,
            &[],
        )
    } else {
        spl_token::instruction::set_authority(
            token_program,
            mint,
            Some(new_authority),
            spl_token::instruction::AuthorityType::MintTokens,
            current,
            &[],
        )
    }
    .expect("valid set_authority instruction")
}

pub fn transfer(
    token_program: &Pubkey,
    from: &Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    owner: &Pubkey,
    amount: u64,
    decimals: u8,
) -> Instruction {
    // Token-2022's builder takes either program's id, and `TransferChecked` is the
    // same instruction in both.
    spl_token_2022::instruction::transfer_checked(
        token_program,
        from,
        mint,
        to,
        owner,
        &[],
        amount,
        decimals,
    )
    .expect("valid transfer instruction")
}

/// The balance in a token account's data (the base layout is the same for both
/// token programs).
pub fn balance_of(data: &[u8]) -> Option<u64> {
    let amount = data.get(64..72)?;
    Some(u64::from_le_bytes(amount.try_into().ok()?))
}
