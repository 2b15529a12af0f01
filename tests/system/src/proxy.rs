//! A JSON-RPC proxy that misbehaves like a bad network or an overloaded RPC node: for a
//! share of requests it closes the connection before forwarding, forwards and then
//! closes without answering (the request took effect but the caller cannot know), delays,
//! or answers an HTTP 503 or a JSON-RPC "node is behind" error. Counts what it did.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use http_body_util::{BodyExt, Full};
use hyper::{
    body::{Bytes, Incoming},
    server::conn::http1,
    service::service_fn,
    Request, Response, StatusCode,
};
use hyper_util::rt::TokioIo;
use rand::Rng;
use tokio::{net::TcpListener, task::JoinHandle};

/// The share of requests (out of 1,000) that get each fault.
#[derive(Clone, Copy, Debug)]
pub struct FaultPlan {
    pub drop_before_per_mille: u32,
    pub drop_after_per_mille: u32,
    pub delay_per_mille: u32,
    pub http_error_per_mille: u32,
    pub rpc_error_per_mille: u32,
    pub max_delay: Duration,
}

impl FaultPlan {
    /// 30% of requests faulted: 5% dropped before, 5% dropped after forwarding, 10%
    /// delayed up to 1 s, 5% HTTP 503, 5% JSON-RPC errors.
    pub fn hostile() -> FaultPlan {
        FaultPlan {
            drop_before_per_mille: 50,
            drop_after_per_mille: 50,
            delay_per_mille: 100,
            http_error_per_mille: 50,
            rpc_error_per_mille: 50,
            max_delay: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Default)]
pub struct FaultCounts {
    pub requests: AtomicU64,
    pub dropped_before: AtomicU64,
    pub dropped_after: AtomicU64,
    pub delayed: AtomicU64,
    pub http_errors: AtomicU64,
    pub rpc_errors: AtomicU64,
}

impl std::fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        write!(
            f,
            "{} requests: {} dropped before forwarding, {} forwarded then dropped, {} delayed, {} HTTP 503, {} JSON-RPC errors",
            n(&self.requests),
            n(&self.dropped_before),
            n(&self.dropped_after),
            n(&self.delayed),
            n(&self.http_errors),
            n(&self.rpc_errors)
        )
    }
}

enum Fault {
    DropBefore,
    DropAfter,
    Delay(Duration),
    HttpError,
    RpcError,
    None,
}

pub struct FaultProxy {
    pub url: String,
    pub counts: Arc<FaultCounts>,
    server: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FaultProxy {
    /// Listens on a free local port and forwards to `upstream` (an HTTP JSON-RPC URL).
    pub async fn start(upstream: String, plan: FaultPlan) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let address: SocketAddr = listener.local_addr().expect("proxy address");
        let counts = Arc::new(FaultCounts::default());
        let http = reqwest::Client::new();
        let server = {
            let counts = counts.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else { continue };
                    let (counts, http, upstream) = (counts.clone(), http.clone(), upstream.clone());
                    tokio::spawn(async move {
                        let service = service_fn(move |request| {
                            forward(request, plan, counts.clone(), http.clone(), upstream.clone())
                        });
                        // A dropped request ends the connection with an error: expected.
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            })
        };
        FaultProxy { url: format!("http://{address}"), counts, server }
    }
}

fn pick(plan: &FaultPlan) -> Fault {
    let mut rng = rand::thread_rng();
    let delay = plan.max_delay.mul_f64(rng.gen_range(0.1..1.0));
    let mut roll = rng.gen_range(0..1_000u32);
    for (share, fault) in [
        (plan.drop_before_per_mille, Fault::DropBefore),
        (plan.drop_after_per_mille, Fault::DropAfter),
        (plan.delay_per_mille, Fault::Delay(delay)),
        (plan.http_error_per_mille, Fault::HttpError),
        (plan.rpc_error_per_mille, Fault::RpcError),
    ] {
        if roll < share {
            return fault;
        }
        roll -= share;
    }
    Fault::None
}

/// The connection-closing "error" hyper gets for a dropped request.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dropped by the fault proxy")
    }
}

impl std::error::Error for Dropped {}

async fn forward(
    request: Request<Incoming>,
    plan: FaultPlan,
    counts: Arc<FaultCounts>,
    http: reqwest::Client,
    upstream: String,
) -> Result<Response<Full<Bytes>>, Dropped> {
    counts.requests.fetch_add(1, Ordering::Relaxed);
    let body = request.into_body().collect().await.map_err(|_| Dropped)?.to_bytes();
    let fault = pick(&plan);
    match fault {
        Fault::DropBefore => {
            counts.dropped_before.fetch_add(1, Ordering::Relaxed);
            return Err(Dropped);
        }
        Fault::HttpError => {
            counts.http_errors.fetch_add(1, Ordering::Relaxed);
            return Ok(respond(StatusCode::SERVICE_UNAVAILABLE, Bytes::from_static(b"overloaded")));
        }
        Fault::RpcError => {
            counts.rpc_errors.fetch_add(1, Ordering::Relaxed);
            let id = serde_json_id(&body);
            let error = format!(
                r#"{{"jsonrpc":"2.0","error":{{"code":-32005,"message":"Node is behind by 42 slots"}},"id":{id}}}"#
            );
            return Ok(respond(StatusCode::OK, Bytes::from(error)));
        }
        Fault::Delay(delay) => {
            counts.delayed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
        Fault::DropAfter | Fault::None => {}
    }
    let answer = http
        .post(&upstream)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|_| Dropped)?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let bytes = answer.bytes().await.map_err(|_| Dropped)?;
    if matches!(fault, Fault::DropAfter) {
        counts.dropped_after.fetch_add(1, Ordering::Relaxed);
        return Err(Dropped);
    }
    Ok(respond(status, bytes))
}

fn respond(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", "application/json".parse().expect("header"));
    response
}

/// The request's JSON-RPC id, echoed in a forged error (`null` if unreadable; a batch
/// gets `null` too, which a client treats as a failed call).
fn serde_json_id(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("id").cloned())
        .map_or_else(|| "null".to_string(), |id| id.to_string())
}
