//! The localnet as a server: surfpool (offline) serving JSON-RPC over HTTP and websocket,
//! on top of a LiteSVM with `ignis` loaded as a native builtin.

use {
    anyhow::{anyhow, Context, Result},
    crossbeam_channel::{unbounded, Receiver, Sender},
    solana_address::Address as Pubkey,
    std::{
        net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener},
        thread::{self, JoinHandle},
        time::Duration,
    },
    surfpool_core::{
        runloops::start_local_surfnet_runloop,
        surfnet::{
            locker::SurfnetSvmLocker,
            svm::{SurfnetSvm, SurfnetSvmConfig},
            GeyserEvent,
        },
        types::TimeTravelConfig,
    },
    surfpool_types::{RpcConfig, SimnetCommand, SimnetConfig, SimnetEvent, SurfpoolConfig},
};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct LocalnetConfig {
    pub bind_host: IpAddr,
    /// 0 picks a free port.
    pub rpc_port: u16,
    /// 0 picks a free port.
    pub ws_port: u16,
    /// A block every `slot_time_ms`; the Clock advances by as much per block.
    pub slot_time_ms: u64,
    /// Accounts funded at genesis: (address, lamports).
    pub prefund: Vec<(Pubkey, u64)>,
}

impl Default for LocalnetConfig {
    fn default() -> Self {
        Self {
            bind_host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            rpc_port: 8899,
            ws_port: 8900,
            slot_time_ms: 400,
            prefund: vec![],
        }
    }
}

/// A running chain. Stops on `shutdown` or drop.
pub struct Localnet {
    /// The JSON-RPC front door at `rpc_addr`.
    gate: Option<crate::gate::Gate>,
    rpc_addr: SocketAddr,
    ws_addr: SocketAddr,
    svm: SurfnetSvmLocker,
    commands: Sender<SimnetCommand>,
    runloop: Option<JoinHandle<Result<(), String>>>,
    /// One message each time the HTTP or the websocket server has closed.
    servers_stopped: Receiver<()>,
}

impl Localnet {
    /// Starts the chain and returns once its RPC servers answer.
    pub fn start(config: LocalnetConfig) -> Result<Localnet> {
        // Surfpool binds its own ports, so a port picked here (`pick_ports`) is free for
        // a moment before surfpool takes it, and another process may take it first: then
        // the runloop ends at once, and when the ports were ours to pick, we pick again.
        const ATTEMPTS: u32 = 3;
        anyhow::ensure!(config.slot_time_ms > 0, "slot_time_ms must be positive");
        let mut attempt = 1;
        loop {
            match Localnet::start_once(&config) {
                Err(StartError::Failed(reason)) if config.ws_port == 0 && attempt < ATTEMPTS => {
                    tracing::info!(%reason, attempt, "the localnet did not start; picking new ports");
                    attempt += 1;
                }
                Err(StartError::Failed(reason)) => {
                    return Err(anyhow!("localnet failed to start: {reason}"))
                }
                Err(StartError::Other(error)) => return Err(error),
                Ok(localnet) => return Ok(localnet),
            }
        }
    }

    fn start_once(config: &LocalnetConfig) -> Result<Localnet, StartError> {
        let host = config.bind_host;
        // Clients talk to the gate (`crate::gate`), which passes calls on to surfpool's
        // own JSON-RPC server on a port of its own.
        let rpc_listener = TcpListener::bind((host, config.rpc_port))
            .with_context(|| format!("cannot listen for JSON-RPC on {host}:{}", config.rpc_port))?;
        let rpc_addr = rpc_listener.local_addr()?;
        let [surfpool_port, ws_port] = pick_ports(host, [0, config.ws_port])?;
        let slot_time = config.slot_time_ms;

        let (mut svm, events, geyser_events) = SurfnetSvm::new(SurfnetSvmConfig {
            slot_time,
            // Profiling (for surfpool's studio) re-runs every transaction per instruction.
            instruction_profiling_enabled: false,
            ..Default::default()
        })?;
        // No database: with one, surfpool rebuilds the LiteSVM every hour of slots
        // (`garbage_collect`), which would drop the builtin.
        crate::native::add_native_program(&mut svm.inner.svm, ignis::ID, ignis::entry);
        for (address, lamports) in &config.prefund {
            svm.airdrop(address, *lamports)
                .map_err(|e| anyhow!("prefunding {address}: {e:?}"))?
                .map_err(|e| anyhow!("prefunding {address}: {:?}", e.err))?;
        }
        let svm = SurfnetSvmLocker::new(svm);

        let (ready_tx, ready) = unbounded();
        let (stopped_tx, servers_stopped) = unbounded();
        // Lifecycle events are sent blocking on a bounded channel: it must be drained for
        // the whole life of the chain, or transactions stall once it is full.
        let events_ready = ready_tx.clone();
        thread::Builder::new()
            .name("localnet-events".into())
            .spawn(move || forward_events(events, events_ready, stopped_tx))?;

        let surfpool_config = SurfpoolConfig {
            simnets: vec![SimnetConfig {
                // Never reach for mainnet: accounts not created locally do not exist.
                offline_mode: true,
                remote_rpc_url: None,
                slot_time,
                instruction_profiling_enabled: false,
                ..Default::default()
            }],
            rpc: RpcConfig {
                bind_host: host.to_string(),
                bind_port: surfpool_port,
                ws_port,
                ..Default::default()
            },
            ..Default::default()
        };
        let (commands, commands_rx) = unbounded();
        let runloop = {
            let (svm, commands) = (svm.clone(), commands.clone());
            thread::Builder::new().name("localnet-runloop".into()).spawn(move || {
                let result =
                    run_surfnet(svm, surfpool_config, commands, commands_rx, geyser_events);
                // Fails `start` if the runloop ends before the servers are up (port taken).
                let _ = ready_tx.send(Err(result.clone().err().unwrap_or("runloop exited".into())));
                result
            })?
        };

        let gate = crate::gate::Gate::start(rpc_listener, SocketAddr::new(host, surfpool_port))?;
        let mut localnet = Localnet {
            gate: Some(gate),
            rpc_addr,
            ws_addr: SocketAddr::new(host, ws_port),
            svm,
            commands,
            runloop: Some(runloop),
            servers_stopped,
        };
        match ready.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Ok(())) => Ok(localnet),
            Ok(Err(reason)) => {
                // Reap the runloop here: dropping would report its error a second time.
                let _ = localnet.stop();
                Err(StartError::Failed(reason))
            }
            Err(_) => Err(anyhow!("localnet did not start within {STARTUP_TIMEOUT:?}").into()),
        }
    }

    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }

    /// Moves the chain's clock (`Clock::unix_timestamp`) forward by `seconds`; the slot
    /// jumps by as many slots as fit in that time. Surfpool's clock never goes back.
    pub fn warp_clock(&self, seconds: i64) -> Result<()> {
        let seconds = u64::try_from(seconds).context("the clock only moves forward")?;
        let (svm, commands) = (self.svm.clone(), self.commands.clone());
        // The locker blocks with `block_in_place`, which panics on a current-thread tokio
        // runtime: run it on a thread of its own so async callers can warp too.
        thread::spawn(move || {
            // `updated_at` (ms) is the time the Clock sysvar holds, and the next block's.
            let now_ms = svm.with_svm_reader(|svm| svm.updated_at);
            let target = TimeTravelConfig::AbsoluteTimestamp(now_ms + seconds * 1_000);
            svm.time_travel(None, commands, target).map(drop)
        })
        .join()
        .map_err(|_| anyhow!("time travel panicked"))??;
        Ok(())
    }

    pub fn shutdown(mut self) -> Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> Result<()> {
        drop(self.gate.take());
        let Some(runloop) = self.runloop.take() else {
            return Ok(());
        };
        let _ = self.commands.send(SimnetCommand::Terminate(None));
        runloop
            .join()
            .map_err(|_| anyhow!("localnet runloop panicked"))?
            .map_err(|e| anyhow!("localnet runloop: {e}"))?;
        // After a Terminate the runloop closes both servers on a detached thread; each
        // reports when it has closed its socket.
        for _ in 0..2 {
            self.servers_stopped
                .recv_timeout(SHUTDOWN_TIMEOUT)
                .context("RPC servers did not stop")?;
        }
        Ok(())
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::error!("localnet shutdown: {e:#}");
        }
    }
}

/// Why one try at starting the chain failed.
enum StartError {
    /// Surfpool's runloop ended before its servers were up (e.g. a port was taken).
    Failed(String),
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for StartError {
    fn from(error: E) -> Self {
        StartError::Other(error.into())
    }
}

/// Runs surfpool until `Terminate`, on a tokio runtime of its own.
fn run_surfnet(
    svm: SurfnetSvmLocker,
    config: SurfpoolConfig,
    commands: Sender<SimnetCommand>,
    commands_rx: Receiver<SimnetCommand>,
    geyser_events: Receiver<GeyserEvent>,
) -> Result<(), String> {
    // Multi-threaded: surfpool's locker uses `block_in_place`.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime
        .block_on(start_local_surfnet_runloop(svm, config, commands, commands_rx, geyser_events))
        .map_err(|e| e.to_string())
}

/// Surfpool needs its port numbers up front, so the OS picks each 0 here. Each pick is
/// held until all are made so that they differ.
fn pick_ports(host: IpAddr, mut ports: [u16; 2]) -> Result<[u16; 2]> {
    let mut held = vec![];
    for port in ports.iter_mut().filter(|port| **port == 0) {
        let listener = TcpListener::bind((host, 0))?;
        *port = listener.local_addr()?.port();
        held.push(listener);
    }
    Ok(ports)
}

fn forward_events(
    events: Receiver<SimnetEvent>,
    ready: Sender<Result<(), String>>,
    servers_stopped: Sender<()>,
) {
    for event in events {
        match event {
            SimnetEvent::CoreStarted(_) => drop(ready.send(Ok(()))),
            SimnetEvent::Aborted(reason) => {
                tracing::error!("{reason}");
                let _ = ready.send(Err(reason));
            }
            SimnetEvent::Shutdown => drop(servers_stopped.send(())),
            // A transaction the cluster refused is the sender's business (it gets the
            // error back), as on a validator; a rebroadcast of one already processed
            // is routine. Only the chain's own faults are errors here. (surfpool hands
            // over a sentence, not a type.)
            SimnetEvent::ErrorLog(_, message)
                if message.starts_with("Failed to process transaction") =>
            {
                tracing::debug!("{message}")
            }
            SimnetEvent::ErrorLog(_, message) => tracing::error!("{message}"),
            SimnetEvent::WarnLog(_, message) => tracing::warn!("{message}"),
            SimnetEvent::InfoLog(_, message) => tracing::info!("{message}"),
            SimnetEvent::DebugLog(_, message) => tracing::debug!("{message}"),
            SimnetEvent::TransactionProcessed(_, meta, error) => match error {
                Some(error) => {
                    tracing::debug!(signature = %meta.signature, %error, "transaction failed")
                }
                None => tracing::debug!(signature = %meta.signature, "transaction processed"),
            },
            _ => {}
        }
    }
}
