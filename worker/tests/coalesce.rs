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
    let node = Node::connect(
        &net.localnet.rpc_url(),
        ComputeBudget::default(),
        true,
        operator.insecure_clone(),
    )
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
