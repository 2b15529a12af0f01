//! Sends the operator's instructions that are ready within a few milliseconds of each
//! other in one transaction: a worker handed several jobs at once (the orchestrator
//! assigns them in batches) finishes them together, and one transaction for their
//! submissions is one signature to verify and one status to poll instead of one each.
//!
//! Each instruction still gets its own outcome. A transaction is all or nothing, so
//! when the program refuses one instruction the refusal is that instruction's alone and
//! the others go again without it (together once, then each alone). A transaction
//! that provably did not land for another reason (out of compute units, its blockhash
//! expired) sends each instruction alone; one whose fate is unknown (an RPC fault while
//! confirming) gives every instruction that fault, and the job loop re-reads the chain
//! before it tries again.

use std::{sync::Arc, time::Duration};

use anchor_lang::solana_program::instruction::Instruction;
use ignis_client::rpc::{self, ClientError};
use tokio::{
    sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
};

use crate::node::Node;

/// How long the first instruction of a batch waits for others: far below any deadline
/// a job has, and long enough for the jobs of one assignment to finish together.
const GATHER: Duration = Duration::from_millis(10);
/// Batches of this worker in flight at once; instructions ready while all are out wait
/// and go out together.
const MAX_IN_FLIGHT: usize = 8;

struct Pending {
    instruction: Instruction,
    done: oneshot::Sender<Result<(), ClientError>>,
}

/// The handle the job tasks send through; the batching runs in a task of its own,
/// which ends once the handle is dropped and what it holds is sent.
pub struct Coalescer {
    node: Arc<Node>,
    queue: mpsc::UnboundedSender<Pending>,
}

impl Coalescer {
    pub fn start(node: Arc<Node>) -> Self {
        let (queue, pending) = mpsc::unbounded_channel();
        tokio::spawn(run(node.clone(), pending));
        Coalescer { node, queue }
    }

    /// Sends `instruction`, signed by the operator, with whatever else is ready, and
    /// returns its own outcome.
    pub async fn send(&self, instruction: Instruction) -> Result<(), ClientError> {
        let (done, outcome) = oneshot::channel();
        let pending = Pending { instruction, done };
        if let Err(mpsc::error::SendError(pending)) = self.queue.send(pending) {
            // The batching task is gone (it panicked, and said so): send it alone.
            return self.node.send(&[pending.instruction]).await;
        }
        match outcome.await {
            Ok(result) => result,
            // Its batch's task panicked (and said so) after sending, maybe.
            Err(_) => Err(ClientError::rpc_fault(
                self.node.client.url(),
                "the batched send stopped without an answer".into(),
            )),
        }
    }
}

async fn run(node: Arc<Node>, mut pending: mpsc::UnboundedReceiver<Pending>) {
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut sends = JoinSet::new();
    while let Some(first) = pending.recv().await {
        let mut ready = vec![first];
        let gather = tokio::time::sleep(GATHER);
        tokio::pin!(gather);
        loop {
            tokio::select! {
                _ = &mut gather => break,
                next = pending.recv() => match next {
                    Some(next) => ready.push(next),
                    None => break,
                },
            }
        }
        let budget = node.client.compute_budget();
        for batch in rpc::pack(&node.operator_key(), &budget, ready, |p| {
            instructions_of(std::slice::from_ref(p))
        }) {
            let permit = in_flight.clone().acquire_owned().await.expect("never closed");
            sends.spawn(send_batch(node.clone(), batch, permit));
        }
        while let Some(done) = sends.try_join_next() {
            log_panic(done);
        }
    }
    while let Some(done) = sends.join_next().await {
        log_panic(done);
    }
}

fn log_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(err) = done {
        tracing::error!(%err, "a batched send panicked; its jobs retry from the journal");
    }
}

fn instructions_of(batch: &[Pending]) -> Vec<Instruction> {
    batch.iter().map(|p| p.instruction.clone()).collect()
}

async fn send_batch(node: Arc<Node>, mut batch: Vec<Pending>, _permit: OwnedSemaphorePermit) {
    let mut refused_before = false;
    while batch.len() > 1 {
        let err = match node.send(&instructions_of(&batch)).await {
            Ok(()) => {
                for p in batch {
                    let _ = p.done.send(Ok(()));
                }
                return;
            }
            Err(err) => err,
        };
        match node.client.refused_instruction(&err) {
            // Only that instruction's: the rest were rolled back with it.
            Some(index) if index < batch.len() => {
                let _ = batch.remove(index).done.send(Err(err));
                if refused_before {
                    break;
                }
                refused_before = true;
            }
            _ if err.nothing_landed() => {
                tracing::debug!(%err, instructions = batch.len(), "batched send failed; sending each alone");
                break;
            }
            _ => {
                for p in batch {
                    let _ = p.done.send(Err(err.duplicate()));
                }
                return;
            }
        }
    }
    let mut alone = JoinSet::new();
    for p in batch {
        let node = node.clone();
        alone.spawn(async move {
            let _ = p.done.send(node.send(&[p.instruction]).await);
        });
    }
    while let Some(done) = alone.join_next().await {
        log_panic(done);
    }
}
