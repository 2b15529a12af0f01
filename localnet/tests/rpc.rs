//! The localnet over real JSON-RPC and websocket: the ignis program initialized and read
//! back, time travel, slot notifications, and a shutdown that frees the ports.

use {
    anchor_lang::{
        prelude::{Clock, Pubkey},
        solana_program::{instruction::Instruction, program_pack::Pack, sysvar::SysvarId},
        Discriminator,
    },
    anchor_spl::token::spl_token,
    ignis::state::{Config, EmissionSchedule, Params},
    ignis_client::{accounts::decode, instructions::Protocol, pda},
    ignis_localnet::server::{Localnet, LocalnetConfig},
    solana_commitment_config::CommitmentConfig,
    solana_keypair::Keypair,
    solana_pubsub_client::pubsub_client::PubsubClient,
    solana_rpc_client::rpc_client::RpcClient,
    solana_rpc_client_api::{
        config::{RpcAccountInfoConfig, RpcProgramAccountsConfig, UiAccountEncoding},
        filter::{Memcmp, RpcFilterType},
    },
    solana_signer::Signer,
    solana_transaction::Transaction,
    std::time::Duration,
};

const SOL: u64 = 1_000_000_000;

fn free_ports() -> LocalnetConfig {
    LocalnetConfig { rpc_port: 0, ws_port: 0, ..Default::default() }
}

fn send(rpc: &RpcClient, instructions: &[Instruction], signers: &[&Keypair]) {
    let blockhash = rpc.get_latest_blockhash().unwrap();
    let tx = Transaction::new_signed_with_payer(
        instructions,
        Some(&signers[0].pubkey()),
        signers,
        blockhash,
    );
    rpc.send_and_confirm_transaction(&tx).unwrap();
}

/// A new key holding `lamports`, airdropped and confirmed.
fn funded_key(rpc: &RpcClient, lamports: u64) -> Keypair {
    let key = Keypair::new();
    rpc.poll_for_signature(&rpc.request_airdrop(&key.pubkey(), lamports).unwrap()).unwrap();
    key
}

/// The Clock sysvar is five 8-byte little-endian fields; `unix_timestamp` is the last.
fn unix_timestamp(rpc: &RpcClient) -> i64 {
    let data = rpc.get_account(&Clock::id()).unwrap().data;
    i64::from_le_bytes(data[32..40].try_into().unwrap())
}

#[test]
fn ignis_over_json_rpc() {
    let localnet = Localnet::start(free_ports()).unwrap();
    let rpc = RpcClient::new_with_commitment(localnet.rpc_url(), CommitmentConfig::confirmed());

    let admin = funded_key(&rpc, 10 * SOL);
    assert_eq!(rpc.get_balance(&admin.pubkey()).unwrap(), 10 * SOL);

    // The IGN mint, with the admin as its mint authority: `initialize` takes it over.
    let mint = Keypair::new();
    let rent = rpc.get_minimum_balance_for_rent_exemption(spl_token::state::Mint::LEN).unwrap();
    let create = solana_system_interface::instruction::create_account(
        &admin.pubkey(),
        &mint.pubkey(),
        rent,
        spl_token::state::Mint::LEN as u64,
        &spl_token::ID,
    );
    let init_mint = spl_token::instruction::initialize_mint2(
        &spl_token::ID,
        &mint.pubkey(),
        &admin.pubkey(),
        None,
        9,
    )
    .unwrap();
    send(&rpc, &[create, init_mint], &[&admin, &mint]);

    let protocol = Protocol::new(mint.pubkey(), spl_token::ID);
    let (orchestrator, verifier) = (Pubkey::new_unique(), Pubkey::new_unique());
    let initialize = protocol.initialize(
        admin.pubkey(),
        Params::default(),
        EmissionSchedule::default(),
        orchestrator,
        verifier,
    );
    send(&rpc, &[initialize], &[&admin]);

    let config: Config = decode(&rpc.get_account(&pda::config()).unwrap().data).unwrap();
    assert_eq!(config.admin, admin.pubkey());
    assert_eq!(config.mint, mint.pubkey());
    assert_eq!(config.orchestrator, orchestrator);
    // The program read the chain's Clock: emission starts at `initialize` time.
    assert!((unix_timestamp(&rpc) - config.emission.start).abs() < 10);

    let configs = rpc
        .get_program_ui_accounts_with_config(
            &ignis::ID,
            RpcProgramAccountsConfig {
                filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                    0,
                    Config::DISCRIMINATOR.to_vec(),
                ))]),
                account_config: RpcAccountInfoConfig {
                    encoding: Some(UiAccountEncoding::Base64),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0].0, pda::config());
    let found: Config = decode(&configs[0].1.data.decode().unwrap()).unwrap();
    assert_eq!(found.admin, admin.pubkey());

    // Time travel moves the Clock programs read.
    let before = unix_timestamp(&rpc);
    let week = 7 * 24 * 3600;
    localnet.warp_clock(week).unwrap();
    let after = unix_timestamp(&rpc);
    assert!(after >= before + week && after < before + week + 60, "{before} -> {after}");

    let (_subscription, slots) = PubsubClient::slot_subscribe(localnet.ws_url()).unwrap();
    let slot = slots.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(slot.slot > 0);

    localnet.shutdown().unwrap();
}

#[test]
fn shutdown_frees_the_ports() {
    let localnet = Localnet::start(free_ports()).unwrap();
    let (rpc_url, ws_url) = (localnet.rpc_url(), localnet.ws_url());
    let port = |url: &str| url.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let config =
        LocalnetConfig { rpc_port: port(&rpc_url), ws_port: port(&ws_url), ..Default::default() };
    localnet.shutdown().unwrap();

    let again = Localnet::start(config).unwrap();
    assert_eq!(again.rpc_url(), rpc_url);
    RpcClient::new(again.rpc_url()).get_slot().unwrap();
}

/// `IgnisClient` signs its sends with one blockhash for a second; the same transfer
/// sent again in that second (one after the other, at once, or pipelined) would be the
/// same transaction, which the cluster runs once. Each send must still be a transfer.
#[test]
fn identical_transfers_sent_back_to_back_are_each_executed() {
    let localnet = Localnet::start(free_ports()).unwrap();
    let rpc = RpcClient::new_with_commitment(localnet.rpc_url(), CommitmentConfig::confirmed());
    let payer = funded_key(&rpc, 10 * SOL);
    let recipient = Pubkey::new_unique();
    let transfer =
        [solana_system_interface::instruction::transfer(&payer.pubkey(), &recipient, SOL / 10)];

    let client = ignis_client::rpc::IgnisClient::new(localnet.rpc_url());
    let signer = [&payer];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let signatures = runtime.block_on(async {
        let mut signatures = vec![];
        for _ in 0..2 {
            signatures.push(client.send(&transfer, &signer).await.unwrap());
        }
        let (a, b) = tokio::join!(client.send(&transfer, &signer), client.send(&transfer, &signer));
        signatures.extend([a.unwrap(), b.unwrap()]);
        let mut pipeline = client.pipeline();
        for _ in 0..2 {
            pipeline.send(&transfer, &signer).await.unwrap();
        }
        signatures.extend(pipeline.confirm().await.unwrap());
        signatures
    });
    let distinct: std::collections::HashSet<_> = signatures.iter().collect();
    assert_eq!(distinct.len(), 6, "six sends, six transactions");
    assert_eq!(rpc.get_balance(&recipient).unwrap(), 6 * SOL / 10);
    localnet.shutdown().unwrap();
}

/// A refusal comes back as the same named program error with or without preflight;
/// without it, the transaction lands and pays its fee.
#[test]
fn a_refusal_without_preflight_is_the_same_named_error_and_costs_the_fee() {
    use anchor_lang::error::ErrorCode;
    use ignis_client::rpc::IgnisClient;
    let localnet = Localnet::start(free_ports()).unwrap();
    let rpc = RpcClient::new_with_commitment(localnet.rpc_url(), CommitmentConfig::confirmed());
    let payer = funded_key(&rpc, SOL);
    // No protocol here: a heartbeat finds no config account.
    let heartbeat = [ignis_client::instructions::heartbeat(payer.pubkey())];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut fees = vec![];
    for skip in [false, true] {
        let client = IgnisClient::new(localnet.rpc_url()).with_skip_preflight(skip);
        let before = rpc.get_balance(&payer.pubkey()).unwrap();
        let err = runtime.block_on(client.send(&heartbeat, &[&payer])).unwrap_err();
        let code = err.program_error().map(|info| info.code);
        assert_eq!(code, Some(ErrorCode::AccountNotInitialized as u32), "skip {skip}: {err}");
        fees.push(before - rpc.get_balance(&payer.pubkey()).unwrap());
    }
    assert_eq!(fees, [0, 5_000], "preflight's refusal is free; a landed one pays the base fee");
    localnet.shutdown().unwrap();
}

/// Where surfpool is laxer than agave, the localnet answers as agave does: a client
/// tested here must not break on devnet.
#[test]
fn versioned_transactions_and_oversized_requests_are_refused_as_on_a_real_node() {
    use {
        serde_json::{json, Value},
        solana_message::{v0, VersionedMessage},
        solana_rpc_client_api::{client_error::ErrorKind, request::RpcError, request::RpcRequest},
        solana_transaction::versioned::VersionedTransaction,
    };
    let localnet = Localnet::start(free_ports()).unwrap();
    let rpc = RpcClient::new_with_commitment(localnet.rpc_url(), CommitmentConfig::confirmed());
    let payer = funded_key(&rpc, SOL);

    let transfer = solana_system_interface::instruction::transfer(
        &payer.pubkey(),
        &Pubkey::new_unique(),
        SOL / 10,
    );
    let message = v0::Message::try_compile(
        &payer.pubkey(),
        &[transfer],
        &[],
        rpc.get_latest_blockhash().unwrap(),
    )
    .unwrap();
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &[&payer]).unwrap();
    let signature = rpc.send_and_confirm_transaction(&tx).unwrap();
    // The same signed transaction again (a second sender of it, a rebroadcast): agave's
    // typed answer, which clients take as "it landed".
    let again = rpc.send_transaction(&tx).unwrap_err();
    assert_eq!(
        again.get_transaction_error(),
        Some(solana_transaction_error::TransactionError::AlreadyProcessed),
        "{again}"
    );

    let code = |params: Value, request: RpcRequest| match rpc.send::<Value>(request, params) {
        Ok(_) => None,
        Err(err) => match err.kind() {
            ErrorKind::RpcError(RpcError::RpcResponseError { code, .. }) => Some(*code),
            other => panic!("not a JSON-RPC error: {other:?}"),
        },
    };
    let sig = signature.to_string();
    assert_eq!(
        code(json!([sig, { "encoding": "json" }]), RpcRequest::GetTransaction),
        Some(-32015)
    );
    assert_eq!(
        code(
            json!([sig, { "encoding": "json", "maxSupportedTransactionVersion": 0 }]),
            RpcRequest::GetTransaction
        ),
        None
    );
    let keys = vec![Pubkey::new_unique().to_string(); 101];
    assert_eq!(code(json!([keys]), RpcRequest::GetMultipleAccounts), Some(-32602));
    assert_eq!(code(json!([&keys[..100]]), RpcRequest::GetMultipleAccounts), None);
    let bogus = json!([payer.pubkey().to_string(), { "commitment": "max" }]);
    assert_eq!(code(bogus, RpcRequest::GetBalance), Some(-32602));
    // Batches go through the gate call by call.
    let batch: Value = post_json(
        &localnet.rpc_url(),
        &json!([
            { "jsonrpc": "2.0", "id": 1, "method": "getSlot" },
            { "jsonrpc": "2.0", "id": 2, "method": "getMultipleAccounts", "params": [keys] },
        ]),
    );
    assert!(batch[0]["result"].is_u64(), "{batch}");
    // A browser's preflight from the web app's origin is allowed, as by agave.
    let preflight =
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(
            async {
                reqwest::Client::new()
                    .request(reqwest::Method::OPTIONS, localnet.rpc_url())
                    .header("origin", "http://127.0.0.1:5173")
                    .header("access-control-request-method", "POST")
                    .header("access-control-request-headers", "content-type")
                    .send()
                    .await
                    .unwrap()
            },
        );
    assert!(preflight.status().is_success(), "{preflight:?}");
    assert!(preflight.headers().contains_key("access-control-allow-origin"), "{preflight:?}");
    assert_eq!(batch[1]["error"]["code"], -32602, "{batch}");
}

/// One JSON POST, as a client's batch request.
fn post_json(url: &str, body: &serde_json::Value) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new().post(url).json(body).send().await.unwrap();
        response.json().await.unwrap()
    })
}
