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

/// Proofs ready together go in one `submit_pows`, with a payout transfer per shard; one
/// the program refuses (a nonce short of the difficulty) makes each proof go alone, so
/// only that one fails and the others are paid.
#[tokio::test(flavor = "multi_thread")]
async fn proofs_ready_together_share_one_submit_pows_and_a_refused_one_fails_alone() {
    use ignis::{
        errors::IgnisError,
        instructions::PostJobArgs,
        state::{GpuInfo, JobKind, JobStatus, WorkerSettings},
    };
    use ignis_client::{bootstrap, instructions, pda};
    use ignis_test_support::IGN;

    let net = TestNet::start(50, 1).await;
    let operator = net.key(0);
    let me = operator.pubkey();
    net.stake(&operator, 200 * IGN).await;
    bootstrap::wait_until_bondable(&net.client, &net.protocol, &operator, &me).await.unwrap();
    let settings = WorkerSettings {
        gpu: GpuInfo { model: "cpu".into(), vram_mb: 1_024, compute_capability: 0 },
        supported_kernels: 1 << ignis::constants::KERNEL_POW_SHA256,
        hashrate: 1_000_000,
        min_price: 1,
        max_concurrent_jobs: 8,
        accepting_jobs: true,
    };
    net.client
        .send(&[instructions::register_worker(me, settings)], &[&*operator])
        .await
        .expect("registered");
    let node = Node::connect(
        &net.localnet.rpc_url(),
        ComputeBudget::default(),
        true,
        operator.insecure_clone(),
    )
    .await
    .expect("connected");
    let node = Arc::new(node);
    let coalescer = Coalescer::start(node.clone());

    // Six PoW jobs over shards 0 and 1, posted in one `post_jobs` per shard and assigned
    // to the worker in one `assign_jobs`.
    let admin = &*net.admin;
    let args = |job_id| PostJobArgs {
        job_id,
        kind: JobKind::Pow { difficulty: 4 },
        client_seed: [3; 32],
        reward: IGN,
        replicas: 1,
        execution_seconds: 600,
        ttl_seconds: 3_600,
    };
    let token = net.ata(&admin.pubkey());
    let ids = [0u64, 16, 1, 32, 17, 33];
    let post = |shard: &[u64]| {
        let jobs: Vec<PostJobArgs> = shard.iter().map(|id| args(*id)).collect();
        net.protocol.post_jobs(admin.pubkey(), token, &jobs)
    };
    let assign = instructions::assign_jobs(admin.pubkey(), &ids, me);
    net.client.send(&[post(&[0, 16, 32]), post(&[1, 17, 33]), assign], &[admin]).await.unwrap();
    let nonce = |seed: &[u8; 32]| {
        ignis::pow::search_nonce(seed, &node.worker, 4, 0, u64::MAX).expect("a nonce")
    };
    let mut proofs = vec![];
    for id in ids {
        let job = net.client.job(id).await.unwrap().expect("posted");
        assert_eq!(job.status, JobStatus::Running);
        proofs.push((id, nonce(&job.seed)));
    }
    let short = (0u64..)
        .find(|n| {
            let job_seed = ignis::pow::job_seed(33, &admin.pubkey(), &[3; 32]);
            !ignis::pow::meets_difficulty(&ignis::pow::pow_hash(&job_seed, &node.worker, *n), 4)
        })
        .unwrap();
    let signatures =
        || async { net.client.rpc().get_signatures_for_address(&me).await.unwrap().len() };
    // The worker's balance, and what the shards say they paid and completed.
    let paid = || async {
        let totals = net.client.shard_totals().await.unwrap();
        (net.balance(&me).await, totals.paid_to_workers + totals.work_paid, totals.jobs_completed)
    };
    let delta = |before: (u64, u64, u64), after: (u64, u64, u64)| {
        (after.0 - before.0, after.1 - before.1, after.2 - before.2)
    };

    // Three proofs over two shards: one transaction, every job paid.
    let (before, balance) = (signatures().await, paid().await);
    let results =
        futures::future::join_all(proofs[..3].iter().map(|(id, n)| coalescer.submit_pow(*id, *n)))
            .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(signatures().await - before, 1, "one transaction for the three proofs");
    for (id, _) in &proofs[..3] {
        assert_eq!(net.client.job(*id).await.unwrap().unwrap().status, JobStatus::Completed);
    }
    let (received, shards_paid, completed) = delta(balance, paid().await);
    assert!(received > 0);
    assert_eq!((received, completed), (shards_paid, 3), "each job paid once, all to the worker");

    // Two good proofs and a short one: the batch is refused, then each goes alone.
    let (before, balance) = (signatures().await, paid().await);
    let batch = [proofs[3], proofs[4], (33, short)];
    let results =
        futures::future::join_all(batch.iter().map(|(id, n)| coalescer.submit_pow(*id, *n))).await;
    assert!(results[0].is_ok() && results[1].is_ok(), "{results:?}");
    let refused = results[2].as_ref().expect_err("the short proof is refused");
    assert_eq!(refused.ignis_error(), Some(IgnisError::InsufficientWork), "{refused}");
    assert_eq!(signatures().await - before, 4, "the refused batch, then each alone");
    let (received, shards_paid, completed) = delta(balance, paid().await);
    assert!(received > 0);
    assert_eq!((received, completed), (shards_paid, 2), "the two good proofs paid, once each");
    assert_eq!(net.client.job(33).await.unwrap().unwrap().status, JobStatus::Running);
    let worker = net.client.worker(&me).await.unwrap().expect("registered");
    assert_eq!(worker.active_jobs, 1, "only job 33 is still running");
    assert_eq!(pda::worker(&me), node.worker);
}
