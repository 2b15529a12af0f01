//! The localnet's JSON-RPC front door. Every request goes on to surfpool, but where
//! surfpool accepts what a real agave node refuses, the gate answers as the node
//! would, so that a client tested here does not break on devnet:
//!
//! - `getTransaction` / `getBlock` of a version 0 transaction without
//!   `maxSupportedTransactionVersion`: error -32015, as agave; without the parameter a
//!   legacy transaction's `version` field is left out, as agave does.
//! - `getMultipleAccounts` of more than 100 addresses: error -32602.
//! - A `commitment` other than `processed`, `confirmed` or `finalized`: error -32602.
//! - `sendTransaction` of a transaction that already landed: agave's typed preflight
//!   error (`AlreadyProcessed`, which clients take as "it landed"), where surfpool
//!   answers with an untyped internal error (two senders of one signed transaction,
//!   e.g. orchestrators sharing a key, or a rebroadcast).
//!
//! What the gate cannot fix is listed in the README ("Differences from a real cluster").

use {
    anyhow::{Context, Result},
    axum::{
        body::{Body, Bytes},
        extract::State,
        http::{Method, Request, StatusCode},
        response::{IntoResponse, Response},
        Router,
    },
    serde_json::{json, Value},
    std::{net::SocketAddr, thread::JoinHandle},
    tokio::sync::oneshot,
};

/// agave's `getMultipleAccounts` limit (`MAX_MULTIPLE_ACCOUNTS`).
const MAX_MULTIPLE_ACCOUNTS: usize = 100;

/// agave's error for a versioned transaction a client did not say it can read.
const UNSUPPORTED_TRANSACTION_VERSION: i64 = -32015;
const INVALID_PARAMS: i64 = -32602;

/// A running gate; stops when dropped.
pub struct Gate {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Gate {
    /// Serves on `listener` (already bound, so a taken port fails the caller at once)
    /// and forwards to surfpool's JSON-RPC at `upstream`.
    pub fn start(listener: std::net::TcpListener, upstream: SocketAddr) -> Result<Gate> {
        listener.set_nonblocking(true)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("localnet-gate")
            .enable_all()
            .build()
            .context("the JSON-RPC gate's runtime")?;
        let thread = std::thread::Builder::new().name("localnet-gate".into()).spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(err) => return tracing::error!(%err, "the JSON-RPC gate cannot listen"),
                };
                let upstream =
                    Upstream { http: reqwest::Client::new(), url: format!("http://{upstream}") };
                // Browsers call the RPC from the web app's origin; agave's RPC allows
                // any origin too.
                let app = Router::new()
                    .fallback(forward)
                    .with_state(upstream)
                    .layer(tower_http::cors::CorsLayer::permissive());
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(async move { drop(stopped.await) })
                    .await;
                if let Err(err) = served {
                    tracing::error!(%err, "the JSON-RPC gate stopped");
                }
            })
        })?;
        Ok(Gate { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Clone)]
struct Upstream {
    http: reqwest::Client,
    url: String,
}

impl Upstream {
    async fn call(&self, call: &Value) -> Result<Value, Response> {
        let response = self.http.post(&self.url).json(call).send().await.map_err(bad_gateway)?;
        response.json().await.map_err(bad_gateway)
    }

    /// Anything but a JSON-RPC POST (e.g. `GET /health`), passed on unchanged.
    async fn raw(&self, method: Method, path: &str, body: Bytes) -> Result<Response, Response> {
        let response = (self.http)
            .request(method, format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(bad_gateway)?;
        let status = response.status();
        let body = response.bytes().await.map_err(bad_gateway)?;
        Ok((status, [("content-type", "application/json")], body).into_response())
    }
}

fn bad_gateway(err: reqwest::Error) -> Response {
    (StatusCode::BAD_GATEWAY, format!("the localnet's RPC server did not answer: {err}"))
        .into_response()
}

async fn forward(State(upstream): State<Upstream>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 64 << 20).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let parsed = (parts.method == Method::POST)
        .then(|| serde_json::from_slice::<Value>(&body).ok())
        .flatten();
    let result = match parsed {
        // Most calls need no look at the answer: surfpool's bytes go back untouched,
        // so the gate costs the localnet little (a parse of the request).
        Some(call @ Value::Object(_)) if refuse(&call).is_none() && !corrects(&call) => {
            upstream.raw(parts.method, &path, body).await
        }
        Some(call @ Value::Object(_)) => answer(&upstream, call).await.map(json_response),
        Some(Value::Array(calls)) if !calls.is_empty() => {
            let mut answers = Vec::with_capacity(calls.len());
            for call in calls {
                match answer(&upstream, call).await {
                    Ok(answer) => answers.push(answer),
                    Err(response) => return response,
                }
            }
            Ok(json_response(Value::Array(answers)))
        }
        // Not JSON, or an empty batch: surfpool's own error is the right one.
        _ => upstream.raw(parts.method, &path, body).await,
    };
    result.unwrap_or_else(|response| response)
}

fn json_response(value: Value) -> Response {
    axum::Json(value).into_response()
}

/// One call: refused here as agave would, or surfpool's answer, corrected.
async fn answer(upstream: &Upstream, call: Value) -> Result<Value, Response> {
    if let Some(error) = refuse(&call) {
        return Ok(error_response(&call, error));
    }
    let mut response = upstream.call(&call).await?;
    if let Some(error) = correct(&call, &mut response) {
        return Ok(error_response(&call, error));
    }
    Ok(response)
}

fn error_response(call: &Value, (code, message): (i64, String)) -> Value {
    json!({ "jsonrpc": "2.0", "error": { "code": code, "message": message }, "id": call["id"] })
}

fn method(call: &Value) -> &str {
    call["method"].as_str().unwrap_or_default()
}

/// The call's configuration object: its last parameter, when that is an object.
fn config(call: &Value) -> Option<&serde_json::Map<String, Value>> {
    call["params"].as_array()?.last()?.as_object()
}

/// What agave refuses before running the call.
fn refuse(call: &Value) -> Option<(i64, String)> {
    if let Some(commitment) = config(call).and_then(|c| c.get("commitment")) {
        if !matches!(commitment.as_str(), Some("processed" | "confirmed" | "finalized")) {
            let shown = commitment.as_str().map_or_else(|| commitment.to_string(), str::to_owned);
            return Some((
                INVALID_PARAMS,
                format!(
                    "Invalid params: unknown variant `{shown}`, expected one of `processed`, \
                     `confirmed`, `finalized`."
                ),
            ));
        }
    }
    if method(call) == "getMultipleAccounts" {
        let addresses = call["params"][0].as_array().map_or(0, Vec::len);
        if addresses > MAX_MULTIPLE_ACCOUNTS {
            return Some((
                INVALID_PARAMS,
                format!("Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}"),
            ));
        }
    }
    None
}

/// Whether agave's answer to `call` may differ from surfpool's once the result is
/// known (see [`correct`]).
fn corrects(call: &Value) -> bool {
    match method(call) {
        "getTransaction" | "getBlock" => {
            !config(call).is_some_and(|c| c.contains_key("maxSupportedTransactionVersion"))
        }
        "sendTransaction" => true,
        _ => false,
    }
}

/// agave's preflight failure code (`JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE`).
const PREFLIGHT_FAILURE: i64 = -32002;

/// surfpool refuses a transaction it already executed with an untyped internal error;
/// agave's preflight names it (`AlreadyProcessed`, in the simulation result), which is
/// what clients match on. The gate gives the typed answer.
fn type_already_processed(response: &mut Value) {
    let Some(error) = response.get_mut("error") else { return };
    let untyped = error["code"] == PREFLIGHT_FAILURE
        && error.get("data").is_none_or(Value::is_null)
        && error["message"].as_str().is_some_and(|m| m.contains("already been processed"));
    if untyped {
        *error = json!({
            "code": PREFLIGHT_FAILURE,
            "message": "Transaction simulation failed: This transaction has already been processed",
            "data": {
                "err": "AlreadyProcessed",
                "logs": [],
                "accounts": null,
                "unitsConsumed": 0,
                "returnData": null,
                "innerInstructions": null,
                "replacementBlockhash": null,
                "loadedAccountsDataSize": null,
            },
        });
    }
}

/// What agave answers differently once the result is known.
fn correct(call: &Value, response: &mut Value) -> Option<(i64, String)> {
    if method(call) == "sendTransaction" {
        type_already_processed(response);
        return None;
    }
    let declared = config(call).is_some_and(|c| c.contains_key("maxSupportedTransactionVersion"));
    if declared {
        return None;
    }
    let transactions: Vec<&mut Value> = match method(call) {
        "getTransaction" => response.get_mut("result").into_iter().collect(),
        "getBlock" => match response.pointer_mut("/result/transactions") {
            Some(Value::Array(transactions)) => transactions.iter_mut().collect(),
            _ => vec![],
        },
        _ => return None,
    };
    let mut transactions: Vec<&mut serde_json::Map<String, Value>> =
        transactions.into_iter().filter_map(Value::as_object_mut).collect();
    if let Some(version) = transactions.iter().find_map(|tx| tx.get("version")?.as_u64()) {
        return Some((
            UNSUPPORTED_TRANSACTION_VERSION,
            format!(
                "Transaction version ({version}) is not supported by the requesting client. \
                 Please try the request again with the following configuration parameter: \
                 \"maxSupportedTransactionVersion\": {version}"
            ),
        ));
    }
    // A client that did not ask for versions gets none, legacy ones included.
    for tx in &mut transactions {
        tx.remove("version");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: &str, params: Value) -> Value {
        json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params })
    }

    #[test]
    fn refuses_what_agave_refuses_and_passes_the_rest() {
        let keys = vec!["11111111111111111111111111111111"; 101];
        let (code, message) = refuse(&call("getMultipleAccounts", json!([keys]))).unwrap();
        assert_eq!((code, message.as_str()), (INVALID_PARAMS, "Too many inputs provided; max 100"));
        assert!(refuse(&call("getMultipleAccounts", json!([&keys[..100]]))).is_none());
        let bogus = call(
            "getBalance",
            json!(["11111111111111111111111111111111", { "commitment": "max" }]),
        );
        assert!(refuse(&bogus).unwrap().1.contains("unknown variant `max`"));
        let fine = call(
            "getBalance",
            json!(["11111111111111111111111111111111", { "commitment": "confirmed" }]),
        );
        assert!(refuse(&fine).is_none());
    }

    #[test]
    fn versioned_transactions_need_the_client_to_say_it_reads_them() {
        let tx = |version: Value| json!({ "jsonrpc": "2.0", "id": 7, "result": { "slot": 3, "version": version } });
        let bare = call("getTransaction", json!(["sig"]));
        let declared =
            call("getTransaction", json!(["sig", { "maxSupportedTransactionVersion": 0 }]));

        let (code, message) = correct(&bare, &mut tx(json!(0))).unwrap();
        assert_eq!(code, UNSUPPORTED_TRANSACTION_VERSION);
        assert!(message.contains("\"maxSupportedTransactionVersion\": 0"));
        assert!(correct(&declared, &mut tx(json!(0))).is_none());

        let mut legacy = tx(json!("legacy"));
        assert!(correct(&bare, &mut legacy).is_none());
        assert!(legacy["result"].get("version").is_none(), "agave leaves it out");
        let mut kept = tx(json!("legacy"));
        assert!(correct(&declared, &mut kept).is_none());
        assert_eq!(kept["result"]["version"], "legacy");

        let block = |versions: Vec<Value>| {
            let transactions: Vec<Value> =
                versions.into_iter().map(|v| json!({ "version": v })).collect();
            json!({ "result": { "transactions": transactions } })
        };
        let get_block = call("getBlock", json!([5]));
        assert!(correct(&get_block, &mut block(vec![json!("legacy"), json!(0)])).is_some());
        assert!(correct(&get_block, &mut block(vec![json!("legacy")])).is_none());
    }
}
