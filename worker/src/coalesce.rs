//! Sends the operator's instructions that are ready within a few milliseconds of each
//! other in one transaction: a worker handed several jobs at once (the orchestrator
//! assigns them in batches) finishes them together, and one transaction for their
//! submissions is one signature to verify and one status to poll instead of one each.
//!
//! PoW proofs ready together go in one `submit_pows` (as many as fit a transaction,
//! sorted by shard so that each shard's proofs share its one payout transfer): one
//! instruction for the batch's checks and its event, instead of one each.
//!
//! Each request still gets its own outcome. A transaction is all or nothing, so
//! when the program refuses one instruction the refusal is that instruction's alone and
//! the others go again without it (together once, then each alone); a refused
//! `submit_pows` sends each of its proofs alone, so that only the bad proof is refused.
//! A transaction that provably did not land for another reason (out of compute units,
//! its blockhash expired) sends each request alone; one whose fate is unknown (an RPC
//! fault while confirming) gives every request that fault, and the job loop re-reads
//! the chain before it tries again.

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
    /// The request's instruction when it goes alone.
    instruction: Instruction,
    /// A PoW proof `(job id, nonce)`, which may go with others in one `submit_pows`.
    proof: Option<(u64, u64)>,
    done: oneshot::Sender<Result<(), ClientError>>,
}

/// One instruction of a transaction and the requests it carries: one, or the proofs of
/// a `submit_pows`.
struct Unit {
    instruction: Instruction,
    requests: Vec<Pending>,
}

impl Unit {
    fn alone(request: Pending) -> Self {
        Unit { instruction: request.instruction.clone(), requests: vec![request] }
    }

    fn proofs(node: &Node, mut requests: Vec<Pending>) -> Self {
        if requests.len() == 1 {
            return Unit::alone(requests.pop().expect("one"));
        }
        let instruction = submit_pows(node, &requests);
        Unit { instruction, requests }
    }
}

fn submit_pows(node: &Node, requests: &[Pending]) -> Instruction {
    let proofs: Vec<(u64, u64)> = requests.iter().filter_map(|p| p.proof).collect();
    node.protocol.submit_pows(node.operator_key(), node.payout, &proofs)
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
        self.request(instruction, None).await
    }

    /// Submits the proof `nonce` of PoW job `job_id`, paid to the node's payout account,
    /// with whatever else is ready (proofs together in one `submit_pows`), and returns
    /// its own outcome.
    pub async fn submit_pow(&self, job_id: u64, nonce: u64) -> Result<(), ClientError> {
        let node = &self.node;
        let alone = node.protocol.submit_pow(node.operator_key(), job_id, node.payout, nonce);
        self.request(alone, Some((job_id, nonce))).await
    }

    async fn request(
        &self,
        instruction: Instruction,
        proof: Option<(u64, u64)>,
    ) -> Result<(), ClientError> {
        let (done, outcome) = oneshot::channel();
        let pending = Pending { instruction, proof, done };
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
        let payer = node.operator_key();
        let (mut proofs, others): (Vec<_>, Vec<_>) =
            ready.into_iter().partition(|p| p.proof.is_some());
        proofs.sort_by_key(|p| p.proof.map(|(job_id, _)| ignis::state::Shard::index_of(job_id)));
        let mut units: Vec<Unit> =
            rpc::batches(&payer, &budget, proofs, |group| submit_pows(&node, group))
                .into_iter()
                .map(|group| Unit::proofs(&node, group))
                .collect();
        units.extend(others.into_iter().map(Unit::alone));
        for batch in rpc::pack(&payer, &budget, units, |unit| vec![unit.instruction.clone()]) {
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

fn instructions_of(batch: &[Unit]) -> Vec<Instruction> {
    batch.iter().map(|unit| unit.instruction.clone()).collect()
}

fn answer_all(batch: Vec<Unit>, outcome: impl Fn() -> Result<(), ClientError>) {
    for request in batch.into_iter().flat_map(|unit| unit.requests) {
        let _ = request.done.send(outcome());
    }
}

async fn send_batch(node: Arc<Node>, mut batch: Vec<Unit>, _permit: OwnedSemaphorePermit) {
    let mut refused_before = false;
    // Sent together while that can tell each request's outcome apart: more than one
    // instruction, or one `submit_pows`.
    while batch.len() > 1 || batch.first().is_some_and(|unit| unit.requests.len() > 1) {
        let err = match node.send(&instructions_of(&batch)).await {
            Ok(()) => return answer_all(batch, || Ok(())),
            Err(err) => err,
        };
        match node.client.refused_instruction(&err) {
            // A `submit_pows`: which proof was refused shows only alone.
            Some(index) if batch.get(index).is_some_and(|unit| unit.requests.len() > 1) => {
                tracing::debug!(%err, "a batch of proofs was refused; sending each alone");
                break;
            }
            // Only that instruction's: the rest were rolled back with it.
            Some(index) if index < batch.len() => {
                answer_all(vec![batch.remove(index)], || Err(err.duplicate()));
                if refused_before {
                    break;
                }
                refused_before = true;
            }
            _ if err.nothing_landed() => {
                tracing::debug!(%err, instructions = batch.len(), "batched send failed; sending each alone");
                break;
            }
            _ => return answer_all(batch, || Err(err.duplicate())),
        }
    }
    let mut alone = JoinSet::new();
    for p in batch.into_iter().flat_map(|unit| unit.requests) {
        let node = node.clone();
        alone.spawn(async move {
            let _ = p.done.send(node.send(&[p.instruction]).await);
        });
    }
    while let Some(done) = alone.join_next().await {
        log_panic(done);
    }
}
