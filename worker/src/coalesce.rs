//! Sends the operator's instructions that are ready within a few milliseconds of each
//! other in one transaction: a worker handed several jobs at once (the orchestrator
//! assigns them in batches) finishes them together, and one transaction for their
//! submissions is one signature to verify and one status to poll instead of one each.
//!
//! Each instruction still gets its own outcome. A transaction is all or nothing, so
//! when the program refuses one instruction the refusal is that instruction's alone and
//! the others go again without it; any other failure (an RPC fault, a transaction
//! that was not confirmed) sends each instruction on its own, to its own result.

use std::{sync::Arc, time::Duration};

use anchor_lang::solana_program::instruction::Instruction;
use ignis_client::rpc::{self, ClientError, TransactionError};
use tokio::{
    sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
};

use crate::node::Node;

/// How long the first instruction of a batch waits for others: far below any deadline
/// a job has, and long enough for the jobs of one assignment to finish together.
const GATHER: Duration = Duration::from_millis(10);
/// Transactions of this worker in flight at once; more instructions than they take wait
/// and go out together.
const MAX_IN_FLIGHT: usize = 8;

struct Pending {
    instruction: Instruction,
    done: oneshot::Sender<Result<(), ClientError>>,
}

/// The handle the job tasks send through; the batching runs in a task of its own,
/// which ends once every handle is dropped and what it holds is sent.
#[derive(Clone)]
pub struct Coalescer {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Coalescer {
    pub fn start(node: Arc<Node>) -> Self {
        let (queue, pending) = mpsc::unbounded_channel();
        tokio::spawn(run(node, pending));
        Coalescer { queue }
    }

    /// Sends `instruction`, signed by the operator, with whatever else is ready; its
    /// own outcome, as if it had been sent alone.
    pub async fn send(&self, instruction: Instruction) -> Result<(), ClientError> {
        let (done, outcome) = oneshot::channel();
        self.queue
            .send(Pending { instruction, done })
            .map_err(|_| ClientError::BadAnswer("the worker is shutting down".into()))?;
        outcome.await.map_err(|_| ClientError::BadAnswer("the worker is shutting down".into()))?
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
        for batch in
            rpc::pack(&node.operator_key(), &budget, ready, |p| vec![p.instruction.clone()])
        {
            let permit = in_flight.clone().acquire_owned().await.expect("never closed");
            sends.spawn(send_batch(node.clone(), batch, permit));
        }
        while sends.try_join_next().is_some() {}
    }
    while sends.join_next().await.is_some() {}
}

fn instructions_of(batch: &[Pending]) -> Vec<Instruction> {
    batch.iter().map(|p| p.instruction.clone()).collect()
}

async fn send_batch(node: Arc<Node>, mut batch: Vec<Pending>, _permit: OwnedSemaphorePermit) {
    let budget_len = node.client.compute_budget().instructions().len();
    while !batch.is_empty() {
        let result = node.send(&instructions_of(&batch)).await;
        if batch.len() == 1 {
            let _ = batch.pop().expect("one").done.send(result);
            return;
        }
        match result {
            Ok(()) => {
                for p in batch {
                    let _ = p.done.send(Ok(()));
                }
                return;
            }
            Err(err) => match refused_instruction(&err).and_then(|i| i.checked_sub(budget_len)) {
                // Only that instruction's: the rest were rolled back with it.
                Some(index) if index < batch.len() => {
                    let _ = batch.remove(index).done.send(Err(err));
                }
                _ => {
                    tracing::debug!(%err, instructions = batch.len(), "batched send failed; sending each alone");
                    let mut alone = JoinSet::new();
                    for p in batch {
                        let node = node.clone();
                        alone.spawn(async move {
                            let _ = p.done.send(node.send(&[p.instruction]).await);
                        });
                    }
                    while alone.join_next().await.is_some() {}
                    return;
                }
            },
        }
    }
}

/// The index (in the transaction) of the instruction that made it fail, if one did.
fn refused_instruction(err: &ClientError) -> Option<usize> {
    match err {
        ClientError::Program { index, .. }
        | ClientError::Transaction(TransactionError::InstructionError(index, _)) => {
            Some(usize::from(*index))
        }
        _ => None,
    }
}
