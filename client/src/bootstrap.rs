//! Setting up a deployment and its participants over RPC: what `ignis admin init`,
//! `ignis up` and the end-to-end tests all do, written once.

use anchor_lang::prelude::Pubkey;
use ignis::state::{EmissionSchedule, Params, WorkerSettings};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::{
    instructions::{self, Protocol},
    rpc::{ClientError, IgnisClient, Result},
    token,
};

/// What `initialize_protocol` sets up.
pub struct Genesis {
    pub decimals: u8,
    /// IGN minted to the admin before the mint authority passes to the protocol.
    pub supply: u64,
    pub token_program: Pubkey,
    pub orchestrator: Pubkey,
    pub verifier: Pubkey,
    pub params: Params,
    pub emission: EmissionSchedule,
}

/// Creates the IGN mint, mints the genesis supply to the admin's associated account,
/// hands the mint authority to the `["emission"]` PDA and initialises the protocol.
pub async fn initialize_protocol(
    client: &IgnisClient,
    admin: &Keypair,
    genesis: Genesis,
) -> Result<Protocol> {
    let mint = Keypair::new();
    let me = admin.pubkey();
    let treasury = token::associated_account(&me, &mint.pubkey(), &genesis.token_program);
    let rent = client
        .rpc()
        .get_minimum_balance_for_rent_exemption(token::MINT_LEN as usize)
        .await
        .map_err(|e| client.rpc_error(e))?;
    let mut setup = token::create_mint(
        &me,
        &mint.pubkey(),
        &me,
        genesis.decimals,
        &genesis.token_program,
        rent,
    );
    setup.push(token::create_associated_account(&me, &me, &mint.pubkey(), &genesis.token_program));
    if genesis.supply > 0 {
        setup.push(token::mint_to(
            &genesis.token_program,
            &mint.pubkey(),
            &treasury,
            &me,
            genesis.supply,
        ));
    }
    client.send(&setup, &[admin, &mint]).await?;
    // `initialize` itself hands the mint authority to the protocol.
    let protocol = Protocol::new(mint.pubkey(), genesis.token_program);
    let init = protocol.initialize(
        me,
        genesis.params,
        genesis.emission,
        genesis.orchestrator,
        genesis.verifier,
    );
    client.send(&[init], &[admin]).await?;
    // Every shard and its vault, then the first epoch's emission.
    let shards: Vec<_> =
        (0..ignis::constants::SHARDS).map(|index| protocol.init_shard(me, index)).collect();
    for batch in shards.chunks(4) {
        client.send(batch, &[admin]).await?;
    }
    if genesis.emission.initial_rate > 0 {
        client.send(&[protocol.mint_emission()], &[admin]).await?;
    }
    Ok(protocol)
}

/// Local clusters only: SOL from the faucet, waiting until it has landed.
pub async fn airdrop(client: &IgnisClient, to: &Pubkey, lamports: u64) -> Result<()> {
    let before = client.rpc().get_balance(to).await.map_err(|e| client.rpc_error(e))?;
    client.rpc().request_airdrop(to, lamports).await.map_err(|e| client.rpc_error(e))?;
    for _ in 0..100 {
        if client.rpc().get_balance(to).await.map_err(|e| client.rpc_error(e))?
            >= before.saturating_add(lamports)
        {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(ClientError::NotConfirmed { attempts: 1 })
}

/// Sends `amount` IGN from `from`'s associated account to `to`'s (created if needed).
pub async fn transfer_ign(
    client: &IgnisClient,
    protocol: &Protocol,
    from: &Keypair,
    to: &Pubkey,
    amount: u64,
) -> Result<()> {
    let config = client.config().await?;
    let source = token::associated_account(&from.pubkey(), &protocol.mint, &protocol.token_program);
    let destination = token::associated_account(to, &protocol.mint, &protocol.token_program);
    let ixs = [
        token::create_associated_account(
            &from.pubkey(),
            to,
            &protocol.mint,
            &protocol.token_program,
        ),
        token::transfer(
            &protocol.token_program,
            &source,
            &protocol.mint,
            &destination,
            &from.pubkey(),
            amount,
            config.decimals,
        ),
    ];
    client.send(&ixs, &[from]).await.map(|_| ())
}

/// Stakes `stake` IGN from the operator's associated account and registers its worker
/// (which bonds the deposit, once the chain is past the deposit's slot).
pub async fn stake_and_register(
    client: &IgnisClient,
    protocol: &Protocol,
    operator: &Keypair,
    stake: u64,
    settings: WorkerSettings,
) -> Result<()> {
    let me = operator.pubkey();
    let account = token::associated_account(&me, &protocol.mint, &protocol.token_program);
    client.send(&[protocol.stake(me, account, stake)], &[operator]).await?;
    wait_until_bondable(client, protocol, operator, &me).await?;
    client.send(&[instructions::register_worker(me, settings)], &[operator]).await.map(|_| ())
}

/// Waits until `owner`'s latest deposit may be bonded (`Config::activation_due`): the
/// chain has moved past the slot it was made in, and every shard has been synced since
/// (stake bonds in a later slot, and only once the fees earned before it reached the
/// stakers). The shards the crank has not synced yet are synced here, paid by `payer`.
pub async fn wait_until_bondable(
    client: &IgnisClient,
    protocol: &Protocol,
    payer: &Keypair,
    owner: &Pubkey,
) -> Result<()> {
    let Some(stake) = client.stake(owner).await? else { return Ok(()) };
    if stake.activating_amount == 0 {
        return Ok(());
    }
    wait_for_slot_after(client, stake.activating_slot).await?;
    let config = client.config().await?;
    let stale = (0..ignis::constants::SHARDS)
        .filter(|i| config.shard_synced_slots[usize::from(*i)] <= stake.activating_slot);
    for batch in protocol.sync_shards(stale) {
        client.send(&batch, &[payer]).await?;
    }
    Ok(())
}

/// Waits until the chain is past `slot`.
async fn wait_for_slot_after(client: &IgnisClient, slot: u64) -> Result<()> {
    // A flaky node gets asked again: only the last error counts.
    let mut last_error = None;
    for _ in 0..200 {
        match client.rpc().get_slot().await {
            Ok(now) if now > slot => return Ok(()),
            Ok(_) => {}
            Err(err) => last_error = Some(client.rpc_error(err)),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(last_error.unwrap_or(ClientError::NotConfirmed { attempts: 200 }))
}

/// Deposits `amount` as stake and bonds it in the next slot, as `ignis stake` does.
pub async fn stake_and_bond(
    client: &IgnisClient,
    protocol: &Protocol,
    owner: &Keypair,
    from: Pubkey,
    amount: u64,
) -> Result<()> {
    let me = owner.pubkey();
    client.send(&[protocol.stake(me, from, amount)], &[owner]).await?;
    wait_until_bondable(client, protocol, owner, &me).await?;
    client.send(&[instructions::activate_stake(me)], &[owner]).await.map(|_| ())
}
