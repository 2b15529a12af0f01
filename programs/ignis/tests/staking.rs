//! stake, request_unstake, withdraw.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_spl::token::spl_token;
use ignis::errors::IgnisError;
use ignis_client::{instructions as ix, pda};
use ignis_program_tests::*;
use solana_signer::Signer;

#[test]
fn stake_moves_tokens_into_the_stake_vault_and_accumulates() {
    let mut env = Env::new();
    let user = env.user(500 * IGN);
    env.stake(&user, 200 * IGN).unwrap();
    env.deposit(&user, 50 * IGN).unwrap();
    let staked = env.events::<ignis_client::events::Staked>();
    assert_eq!(staked.len(), 1);
    assert_eq!(
        (staked[0].owner, staked[0].amount, staked[0].total, staked[0].activating),
        (user.pubkey(), 50 * IGN, 200 * IGN, 50 * IGN),
        "a deposit is bonded in a later slot"
    );
    assert_eq!(env.config().totals.activating, 50 * IGN);
    // Not in the deposit's own slot.
    assert_ignis_err(env.crank(ix::activate_stake(user.pubkey())), IgnisError::ActivationNotDue);
    env.next_slot();
    // Nor before every shard was synced after it (the crank's sync_shard).
    assert_ignis_err(env.crank(ix::activate_stake(user.pubkey())), IgnisError::ActivationNotDue);
    env.sync();
    env.crank(ix::activate_stake(user.pubkey())).unwrap();
    let activated = env.events::<ignis_client::events::StakeActivated>();
    assert_eq!((activated[0].amount, activated[0].total), (50 * IGN, 250 * IGN));
    assert_ignis_err(env.crank(ix::activate_stake(user.pubkey())), IgnisError::ActivationNotDue);

    let stake = env.stake_of(&user.pubkey());
    assert_eq!(stake.owner, user.pubkey());
    assert_eq!(stake.amount, 250 * IGN);
    assert_eq!(stake.unbonding_amount, 0);
    assert_eq!(env.balance(&user.token), 250 * IGN);
    assert_eq!(env.vaults().stake, 250 * IGN);
    assert_eq!(env.config().totals.staked, 250 * IGN);
    env.assert_reconciled();
}

#[test]
fn stake_rejects_zero_wrong_mint_wrong_vault_and_missing_funds() {
    let mut env = Env::new();
    let user = env.user(10 * IGN);
    assert_ignis_err(env.stake(&user, 0), IgnisError::ZeroAmount);

    // A token account of another mint.
    let payer = user.key.insecure_clone();
    let other_mint = create_mint(&mut env.svm, &payer, spl_token::ID, &payer.pubkey(), None);
    let other_token =
        create_token_account(&mut env.svm, &payer, spl_token::ID, &other_mint, &payer.pubkey());
    mint_to(&mut env.svm, &payer, spl_token::ID, &other_mint, &other_token, 10 * IGN);
    let ix = env.protocol.stake(user.pubkey(), other_token, IGN);
    assert_ignis_err(env.send(&[ix], &[&user.key]), IgnisError::WrongMint);

    // Someone else's token account passed off as the vault.
    let bystander = env.user(0);
    let mut ix = env.protocol.stake(user.pubkey(), user.token, IGN);
    ix.accounts[4].pubkey = bystander.token;
    assert_anchor_err(env.send(&[ix], &[&user.key]), AnchorError::ConstraintAddress);

    // The wrong mint account.
    let mut ix = env.protocol.stake(user.pubkey(), user.token, IGN);
    ix.accounts[5].pubkey = other_mint;
    assert_ignis_err(env.send(&[ix], &[&user.key]), IgnisError::WrongMint);

    assert_token_err(env.stake(&user, 11 * IGN), spl_token::error::TokenError::InsufficientFunds);
    assert_eq!(env.balance(&user.token), 10 * IGN, "nothing moved");
    assert_eq!(env.vaults().stake, 0);
    env.assert_reconciled();
}

#[test]
fn stake_account_address_is_checked() {
    let mut env = Env::new();
    let (alice, bob) = (env.user(10 * IGN), env.user(10 * IGN));
    env.stake(&bob, IGN).unwrap();
    // Alice tries to stake into Bob's stake account.
    let mut ix = env.protocol.stake(alice.pubkey(), alice.token, IGN);
    ix.accounts[2].pubkey = pda::stake(&bob.pubkey());
    assert_anchor_err(env.send(&[ix], &[&alice.key]), AnchorError::ConstraintSeeds);
    assert_eq!(env.stake_of(&bob.pubkey()).amount, IGN);
}

#[test]
fn unstake_then_withdraw_after_the_unbonding_period_only() {
    let mut env = Env::new();
    let user = env.user(100 * IGN);
    env.stake(&user, 100 * IGN).unwrap();
    let start = env.now();

    env.send(&[ix::request_unstake(user.pubkey(), 40 * IGN)], &[&user.key]).unwrap();
    let stake = env.stake_of(&user.pubkey());
    assert_eq!((stake.amount, stake.unbonding_amount), (60 * IGN, 40 * IGN));
    assert_eq!(stake.unlock_at, start + UNBONDING_SECONDS);
    let totals = env.config().totals;
    assert_eq!((totals.staked, totals.unbonding), (60 * IGN, 40 * IGN));
    env.assert_reconciled();

    let withdraw = env.protocol.withdraw(user.pubkey(), user.token);
    assert_ignis_err(
        env.send(std::slice::from_ref(&withdraw), &[&user.key]),
        IgnisError::UnbondingNotElapsed,
    );
    env.warp(UNBONDING_SECONDS - 1);
    assert_ignis_err(
        env.send(std::slice::from_ref(&withdraw), &[&user.key]),
        IgnisError::UnbondingNotElapsed,
    );
    env.warp(1);
    env.send(std::slice::from_ref(&withdraw), &[&user.key]).unwrap();

    assert_eq!(env.balance(&user.token), 40 * IGN);
    assert_eq!(env.vaults().stake, 60 * IGN);
    assert_eq!(env.stake_of(&user.pubkey()).unbonding_amount, 0);
    assert_ignis_err(env.send(&[withdraw], &[&user.key]), IgnisError::NothingUnbonding);
    env.assert_reconciled();
}

#[test]
fn a_new_unstake_request_restarts_the_clock_for_the_whole_tranche() {
    let mut env = Env::new();
    let user = env.user(100 * IGN);
    env.stake(&user, 100 * IGN).unwrap();
    env.send(&[ix::request_unstake(user.pubkey(), 10 * IGN)], &[&user.key]).unwrap();
    env.warp(UNBONDING_SECONDS);
    env.send(&[ix::request_unstake(user.pubkey(), 90 * IGN)], &[&user.key]).unwrap();
    let withdraw = env.protocol.withdraw(user.pubkey(), user.token);
    assert_ignis_err(
        env.send(std::slice::from_ref(&withdraw), &[&user.key]),
        IgnisError::UnbondingNotElapsed,
    );
    env.warp(UNBONDING_SECONDS);
    env.send(&[withdraw], &[&user.key]).unwrap();
    assert_eq!(env.balance(&user.token), 100 * IGN);
    env.assert_reconciled();
}

#[test]
fn unstake_rejects_zero_more_than_staked_and_strangers() {
    let mut env = Env::new();
    let (alice, mallory) = (env.user(50 * IGN), env.user(0));
    env.stake(&alice, 50 * IGN).unwrap();
    assert_ignis_err(
        env.send(&[ix::request_unstake(alice.pubkey(), 0)], &[&alice.key]),
        IgnisError::ZeroAmount,
    );
    assert_ignis_err(
        env.send(&[ix::request_unstake(alice.pubkey(), 50 * IGN + 1)], &[&alice.key]),
        IgnisError::InsufficientStake,
    );
    // Mallory signs for Alice's stake account.
    let mut steal = ix::request_unstake(mallory.pubkey(), 50 * IGN);
    steal.accounts[2].pubkey = pda::stake(&alice.pubkey());
    assert_anchor_err(env.send(&[steal], &[&mallory.key]), AnchorError::ConstraintSeeds);
    // Mallory tries to withdraw Alice's stake to her own account.
    let mut steal = env.protocol.withdraw(mallory.pubkey(), mallory.token);
    steal.accounts[2].pubkey = pda::stake(&alice.pubkey());
    assert_anchor_err(env.send(&[steal], &[&mallory.key]), AnchorError::ConstraintSeeds);
    // Withdrawing without ever staking.
    let never = env.protocol.withdraw(mallory.pubkey(), mallory.token);
    assert_anchor_err(env.send(&[never], &[&mallory.key]), AnchorError::AccountNotInitialized);

    assert_eq!(env.stake_of(&alice.pubkey()).amount, 50 * IGN);
    assert_eq!(env.balance(&mallory.token), 0);
    env.assert_reconciled();
}

#[test]
fn unbonding_stake_no_longer_counts_for_eligibility() {
    let mut env = Env::new();
    let operator = env.worker_operator();
    let poster = env.user(100 * IGN);
    let job = env.post_pow(&poster, 4, 10 * IGN).unwrap();
    env.send(&[ix::request_unstake(operator.pubkey(), 1)], &[&operator.key]).unwrap();
    assert_ignis_err(env.assign(job, &operator.pubkey()), IgnisError::StakeBelowMinimum);
    let treasury = env.admin.token;
    env.transfer(&treasury, &operator.token, 1);
    env.stake(&operator, 1).unwrap();
    env.assign(job, &operator.pubkey()).unwrap();
    env.assert_reconciled();
}
