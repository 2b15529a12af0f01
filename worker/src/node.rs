//! This worker's identity on chain and the calls it makes, with retries.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use anchor_lang::{error::ErrorCode as AnchorError, prelude::Pubkey};
use anyhow::{anyhow, bail, Context, Result};
use ignis::{
    constants::{KNOWN_KERNELS_MASK, MAX_GPU_MODEL_LEN},
    errors::IgnisError,
    state::{GpuInfo, Job, Worker, WorkerSettings},
};
use ignis_client::{
    accounts::Config,
    instructions::{self, Protocol},
    rpc::{ClientError, ComputeBudget, IgnisClient},
    token,
};
use ignis_kernels::DeviceInfo;
use solana_keypair::Keypair;
use solana_signer::Signer;

pub struct Node {
    pub client: IgnisClient,
    pub operator: Keypair,
    pub protocol: Protocol,
    /// The `Worker` PDA: the key PoW nonces are bound to.
    pub worker: Pubkey,
    /// The operator's IGN account, where rewards are paid.
    pub payout: Pubkey,
    /// The last [`Node::deadline_view`] and when it was read.
    deadline_view: Mutex<Option<(DeadlineView, Instant)>>,
}

/// What a worker judges its deadlines by: the config, the protocol clock and its own
/// `Worker` account, read together.
#[derive(Clone)]
pub struct DeadlineView {
    pub config: Config,
    pub now: i64,
    pub worker: Option<Worker>,
}

/// How long a [`DeadlineView`] is reused. The chain's clock counts whole seconds, so
/// one read a second is as fresh as the worker's decisions can use, where a read per
/// job made deadline checks the largest share of a busy worker's calls.
const DEADLINE_VIEW_REUSE: Duration = Duration::from_secs(1);

impl Node {
    /// Connects, loads the protocol config and makes sure the payout account exists.
    pub async fn connect(
        url: &str,
        budget: ComputeBudget,
        skip_preflight: bool,
        operator: Keypair,
    ) -> Result<Self> {
        let client =
            IgnisClient::new(url).with_compute_budget(budget).with_skip_preflight(skip_preflight);
        let config: Config = match client.config().await {
            Ok(config) => config,
            Err(ClientError::NotFound { .. }) => {
                bail!("the Ignis protocol is not initialised on {url}: run `ignis admin init` there first")
            }
            Err(err @ ClientError::Rpc { .. }) => return Err(Unreachable(err).into()),
            Err(err) => return Err(err.into()),
        };
        let protocol = Protocol::from_config(&config);
        let me = operator.pubkey();
        let payout = token::associated_account(&me, &config.mint, &config.token_program);
        let node = Node {
            client,
            worker: ignis_client::pda::worker(&me),
            payout,
            protocol,
            operator,
            deadline_view: Mutex::default(),
        };
        if node.client.account_data(&payout).await?.is_none() {
            let create =
                token::create_associated_account(&me, &me, &config.mint, &config.token_program);
            node.send(&[create]).await.context("creating the payout token account")?;
        }
        Ok(node)
    }

    pub async fn send(
        &self,
        instructions: &[anchor_lang::solana_program::instruction::Instruction],
    ) -> Result<(), ClientError> {
        self.client.send(instructions, &[&self.operator]).await.map(|_| ())
    }

    /// The config, the protocol clock and this worker's account, in one read at most
    /// once every [`DEADLINE_VIEW_REUSE`]; advisory (the program judges every deadline
    /// itself), so a second-old view is good enough.
    pub async fn deadline_view(&self) -> Result<DeadlineView, ClientError> {
        if let Some((view, read_at)) = &*self.deadline_view.lock().expect("deadline view lock") {
            if read_at.elapsed() < DEADLINE_VIEW_REUSE {
                return Ok(view.clone());
            }
        }
        let read_at = Instant::now();
        let (config, now, worker) = self.client.protocol_clock_and::<Worker>(&self.worker).await?;
        let view = DeadlineView { config, now, worker };
        *self.deadline_view.lock().expect("deadline view lock") = Some((view.clone(), read_at));
        Ok(view)
    }

    pub fn operator_key(&self) -> Pubkey {
        self.operator.pubkey()
    }

    pub async fn worker_account(&self) -> Result<Option<Worker>, ClientError> {
        self.client.worker(&self.operator.pubkey()).await
    }

    /// The registered worker, registering it with this device when asked to.
    pub async fn ensure_registered(
        &self,
        device: &DeviceInfo,
        hashrate: u64,
        register: Option<(u64, u16)>,
    ) -> Result<Worker> {
        if let Some(worker) = self.worker_account().await?.filter(|w| w.registered) {
            return Ok(worker);
        }
        let Some((min_price, max_jobs)) = register else {
            bail!(
                "{} has no registered worker: run `ignis worker register` with this keypair, \
                 or start the worker with --register",
                self.operator.pubkey()
            );
        };
        let mut model = device.name.clone();
        model.truncate(MAX_GPU_MODEL_LEN as usize);
        let settings = WorkerSettings {
            gpu: GpuInfo {
                model,
                vram_mb: device.memory_mb(),
                compute_capability: device.compute_capability_x10(),
            },
            // Every catalog kernel runs on every backend, byte for byte the same.
            supported_kernels: KNOWN_KERNELS_MASK,
            hashrate,
            min_price,
            max_concurrent_jobs: max_jobs.max(1),
            accepting_jobs: true,
        };
        // A deposit made just before bonds in a later slot (registering bonds it).
        let me = self.operator.pubkey();
        ignis_client::bootstrap::wait_until_bondable(
            &self.client,
            &self.protocol,
            &self.operator,
            &me,
        )
        .await?;
        self.send(&[instructions::register_worker(self.operator.pubkey(), settings)])
            .await
            .map_err(|err| {
                let unstaked = err.ignis_error() == Some(IgnisError::StakeBelowMinimum)
                    || matches!(err.anchor_error(), Some(AnchorError::AccountNotInitialized));
                if unstaked {
                    anyhow!(
                        "{err}\nstake the minimum first with `ignis stake AMOUNT` (see `ignis status`)"
                    )
                } else {
                    anyhow!("{err}")
                }
            })?;
        tracing::info!(worker = %self.worker, "registered the worker");
        self.worker_account()
            .await?
            .ok_or_else(|| anyhow!("the worker vanished right after registering"))
    }

    pub async fn job(&self, id: u64) -> Result<Option<Job>, ClientError> {
        self.client.job(id).await
    }
}

/// The cluster did not answer (or answered with an RPC fault).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(ClientError);

/// Whether `err` came from the cluster's RPC (down, flaky, overloaded) rather than from
/// the program or this machine: worth retrying.
pub fn is_rpc_fault(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<Unreachable>()
            || matches!(cause.downcast_ref::<ClientError>(), Some(ClientError::Rpc { .. }))
    })
}

/// Exponential backoff for RPC faults: 200 ms doubling to 10 s, reset on success.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: Self::FIRST }
    }
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(10);

    pub fn reset(&mut self) {
        self.next = Self::FIRST;
    }

    /// The delay to wait now; the next one doubles.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        delay
    }
}

/// Program errors that mean this job no longer wants anything from this worker:
/// drop it rather than retry.
pub fn job_is_gone(err: &ClientError) -> bool {
    use IgnisError as E;
    matches!(
        err.ignis_error(),
        Some(
            E::JobNotRunning
                | E::NotAssigned
                | E::DeadlinePassed
                | E::AlreadyRevealed
                | E::RevealDeadlinePassed
                | E::JobNotOpen
        )
    ) || matches!(err.anchor_error(), Some(AnchorError::AccountNotInitialized))
}
