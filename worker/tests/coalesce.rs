//! The worker's coalescing sender against a real localnet: instructions ready together
//! share a transaction, and one the chain refuses fails alone.

use std::sync::Arc;

use ignis_client::rpc::{ClientError, ComputeBudget, InstructionError, TransactionError};
use ignis_test_support::TestNet;
use ignis_worker::{coalesce::Coalescer, node::Node};
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_system_interface::{error::SystemError, instruction::transfer};

const LAMPORTS: u64 = 10_000_000;

#[tokio::test(flavor = "multi_thread")]
async fn instructions_ready_together_share_a_transaction_and_a_refused_one_fails_alone() {
    let net = TestNet::start(50, 1).await;
    let operator = net.key(0);
    let me = operator.pubkey();
    // Two compute-budget instructions go in front of every transaction (a zero price:
    // no priority fee), so the refused one's index must be mapped back past them; 100,000
    // units an instruction lets 14 share a transaction.
    let budget = ComputeBudget { unit_price: Some(0), unit_limit: Some(100_000) };
    let node = Node::connect(&net.localnet.rpc_url(), budget, true, operator.insecure_clone())
        .await
        .expect("connected");
    let node = Arc::new(node);
    let before = net.client.rpc().get_signatures_for_address(&me).await.unwrap().len();
    let balance_before = net.client.rpc().get_balance(&me).await.unwrap();

    let coalescer = Coalescer::start(node.clone());
    let payees: Vec<_> = (0..8).map(|_| Keypair::new().pubkey()).collect();
    // The refused one (more lamports than the operator has) sits in the middle.
    let mut sends: Vec<_> = payees.iter().map(|to| transfer(&me, to, LAMPORTS)).collect();
    sends.insert(4, transfer(&me, &Keypair::new().pubkey(), u64::MAX / 2));
    let results = futures::future::join_all(sends.into_iter().map(|ix| coalescer.send(ix))).await;

    for (i, result) in results.iter().enumerate() {
        if i == 4 {
            let refused = SystemError::ResultWithNegativeLamports as u32;
            assert!(
                matches!(
                    result,
                    Err(ClientError::Transaction(TransactionError::InstructionError(
                        _,
                        InstructionError::Custom(code)
                    ))) if *code == refused
                ),
                "the overdraft is refused on its own: {result:?}"
            );
        } else {
            assert!(result.is_ok(), "transfer {i}: {result:?}");
        }
    }
    for payee in &payees {
        assert_eq!(net.client.rpc().get_balance(payee).await.unwrap(), LAMPORTS);
    }
    // One transaction with all nine (refused at the overdraft, fee paid), then one with
    // the other eight: two where sending each alone takes nine.
    let after = net.client.rpc().get_signatures_for_address(&me).await.unwrap().len();
    assert_eq!(after - before, 2, "transactions the nine instructions took");
    let spent = balance_before - net.client.rpc().get_balance(&me).await.unwrap();
    assert_eq!(spent, 8 * LAMPORTS + 2 * 5_000, "eight transfers and two fees");
}

#[tokio::test(flavor = "multi_thread")]
async fn more_than_a_transaction_holds_go_out_in_several_and_every_one_lands() {
    let net = TestNet::start(50, 1).await;
    let operator = net.key(0);
    let me = operator.pubkey();
    // 300,000 units an instruction: at most four to a transaction (1.4M).
    let budget = ComputeBudget { unit_price: None, unit_limit: Some(300_000) };
    let node = Node::connect(&net.localnet.rpc_url(), budget, true, operator.insecure_clone())
        .await
        .expect("connected");
    let before = net.client.rpc().get_signatures_for_address(&me).await.unwrap().len();
    let coalescer = Coalescer::start(Arc::new(node));
    let payees: Vec<_> = (0..30).map(|_| Keypair::new().pubkey()).collect();
    let results = futures::future::join_all(
        payees.iter().map(|to| coalescer.send(transfer(&me, to, LAMPORTS))),
    )
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for payee in &payees {
        assert_eq!(net.client.rpc().get_balance(payee).await.unwrap(), LAMPORTS);
    }
    let transactions =
        net.client.rpc().get_signatures_for_address(&me).await.unwrap().len() - before;
    assert_eq!(transactions, 8, "30 transfers, four to a transaction");
}
