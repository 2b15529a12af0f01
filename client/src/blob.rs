//! The data plane's wire format and its HTTP client: blobs are named by the SHA-256 of
//! their bytes; every request is signed with the caller's Solana key (ed25519 over the
//! method, path, time and body hash), so the server knows who reads and writes; large
//! blobs go up in fixed-size chunks that an interrupted upload resumes; every download
//! is checked against the name before it is handed over.

use std::{fmt, path::Path, str::FromStr, sync::Arc, time::Duration};

use anchor_lang::prelude::Pubkey;
use bytes::Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Request headers that carry the signature.
pub const HEADER_SIGNER: &str = "x-ignis-signer";
pub const HEADER_TIMESTAMP: &str = "x-ignis-timestamp";
pub const HEADER_SIGNATURE: &str = "x-ignis-signature";
/// How far a request's time may be from the server's, either way: a captured request
/// can be replayed only within this window, and every request it could replay is
/// idempotent (reads, chunk writes of the same bytes, completing the same upload).
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;
const DOMAIN: &str = "ignis-blob-request-v1";

/// A blob's name: the SHA-256 of its bytes, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(pub [u8; 32]);

impl BlobId {
    pub fn of(bytes: &[u8]) -> Self {
        BlobId(Sha256::digest(bytes).into())
    }

    pub fn from_hasher(hasher: Sha256) -> Self {
        BlobId(hasher.finalize().into())
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a blob hash: a blob is named by the 64 hex digits of its SHA-256")]
pub struct BlobIdError(pub String);

impl FromStr for BlobId {
    type Err = BlobIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| BlobIdError(text.to_string()))?;
        Ok(BlobId(bytes))
    }
}

impl Serialize for BlobId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BlobId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How a job names a blob held in memory: its hash and size.
pub fn blob_ref(bytes: &[u8]) -> ignis::state::BlobRef {
    ignis::state::BlobRef { sha256: BlobId::of(bytes).0, size: bytes.len() as u64 }
}

/// How many chunks of `chunk_bytes` a blob of `size` bytes is uploaded in (an empty
/// blob is one empty chunk).
pub fn chunk_count(size: u64, chunk_bytes: u64) -> u64 {
    size.div_ceil(chunk_bytes.max(1)).max(1)
}

/// The length of chunk `index` of a blob of `size` bytes, or `None` past the end.
pub fn chunk_len(size: u64, chunk_bytes: u64, index: u64) -> Option<u64> {
    let start = index.checked_mul(chunk_bytes)?;
    (index < chunk_count(size, chunk_bytes)).then(|| (size - start.min(size)).min(chunk_bytes))
}

/// The message a request's signature covers. `path` includes the query string.
pub fn request_message(method: &str, path: &str, timestamp: i64, body: &BlobId) -> Vec<u8> {
    format!("{DOMAIN}\n{method}\n{path}\n{timestamp}\n{body}").into_bytes()
}

/// Why a request's signature was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the request is not signed: send the {0} header (sign requests with your Solana key)")]
    Missing(&'static str),
    #[error("the {header} header `{value}` is malformed")]
    Malformed { header: &'static str, value: String },
    #[error("the request was signed at {signed_at}, {skew} s away from the server's clock (at most {MAX_CLOCK_SKEW_SECONDS} s): check this machine's clock and send it again")]
    Stale { signed_at: i64, skew: i64 },
    #[error("the signature does not match the request and the key {0}")]
    BadSignature(Pubkey),
}

/// The signature on one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestAuth {
    pub signer: Pubkey,
    pub timestamp: i64,
    pub signature: Signature,
}

impl RequestAuth {
    pub fn sign(keypair: &Keypair, method: &str, path: &str, body: &[u8], now: i64) -> Self {
        let message = request_message(method, path, now, &BlobId::of(body));
        RequestAuth {
            signer: keypair.pubkey(),
            timestamp: now,
            signature: keypair.sign_message(&message),
        }
    }

    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            (HEADER_SIGNER, self.signer.to_string()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, self.signature.to_string()),
        ]
    }

    /// Reads the three headers through `header` (a lookup by lowercase name).
    pub fn from_headers<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Result<Self, AuthError> {
        let get = |name: &'static str| header(name).ok_or(AuthError::Missing(name));
        let malformed = |header: &'static str, value: &str| AuthError::Malformed {
            header,
            value: value.chars().take(100).collect(),
        };
        let (signer, timestamp, signature) =
            (get(HEADER_SIGNER)?, get(HEADER_TIMESTAMP)?, get(HEADER_SIGNATURE)?);
        Ok(RequestAuth {
            signer: signer.parse().map_err(|_| malformed(HEADER_SIGNER, signer))?,
            timestamp: timestamp.parse().map_err(|_| malformed(HEADER_TIMESTAMP, timestamp))?,
            signature: signature.parse().map_err(|_| malformed(HEADER_SIGNATURE, signature))?,
        })
    }

    /// The signer, if the signature covers this request and is fresh at `now`.
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        body: &BlobId,
        now: i64,
    ) -> Result<Pubkey, AuthError> {
        let skew = self.timestamp.saturating_sub(now).saturating_abs();
        if skew > MAX_CLOCK_SKEW_SECONDS {
            return Err(AuthError::Stale { signed_at: self.timestamp, skew });
        }
        let message = request_message(method, path, self.timestamp, body);
        if !self.signature.verify(self.signer.as_ref(), &message) {
            return Err(AuthError::BadSignature(self.signer));
        }
        Ok(self.signer)
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// A stored blob, as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobInfo {
    pub sha256: BlobId,
    pub size: u64,
    /// When this key first stored it (unix seconds).
    pub created_at: i64,
}

/// Where an upload stands: which chunks the server holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadState {
    pub sha256: BlobId,
    pub size: u64,
    pub chunk_bytes: u64,
    /// Chunk indices already received, ascending.
    pub received: Vec<u64>,
    /// The caller already owns this blob: nothing to upload.
    pub complete: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeginUpload {
    pub sha256: BlobId,
    pub size: u64,
}

/// What one `put` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutReport {
    pub info: BlobInfo,
    pub chunks_sent: u64,
    pub chunks_total: u64,
}

/// Why a blob request failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The server refused the request; `message` says why and what to do.
    #[error("{message} (HTTP {status})")]
    Api { status: u16, message: String },
    #[error("cannot reach the blob API at {url}: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// What arrived is not the blob asked for: nothing was written.
    #[error(
        "the bytes received hash to {actual}, not {expected}: the copy is corrupt and was not kept"
    )]
    HashMismatch { expected: BlobId, actual: BlobId },
}

impl BlobError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        BlobError::Io { path: path.display().to_string(), source }
    }

    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            BlobError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Progress of a long transfer: bytes done and the total.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// The blob API of an orchestrator, as one key.
#[derive(Clone)]
pub struct BlobClient {
    http: reqwest::Client,
    base: String,
    keypair: Arc<Keypair>,
}

impl BlobClient {
    /// `base` is the orchestrator's API root, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: &str, keypair: Arc<Keypair>) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("a default HTTP client builds");
        BlobClient { http, base: base.trim_end_matches('/').to_string(), keypair }
    }

    pub fn signer(&self) -> Pubkey {
        self.keypair.pubkey()
    }

    /// Sends a signed request; a refusal becomes [`BlobError::Api`] with the server's
    /// sentence.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Bytes,
    ) -> Result<reqwest::Response, BlobError> {
        let auth = RequestAuth::sign(&self.keypair, method.as_str(), path, &body, unix_now());
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).body(body);
        for (name, value) in auth.headers() {
            request = request.header(name, value);
        }
        let response =
            request.send().await.map_err(|source| BlobError::Http { url: url.clone(), source })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|value| value.get("error")?.as_str().map(str::to_string))
            .unwrap_or(text);
        Err(BlobError::Api { status, message })
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Bytes,
    ) -> Result<T, BlobError> {
        let url = format!("{}{path}", self.base);
        self.send(method, path, body)
            .await?
            .json()
            .await
            .map_err(|source| BlobError::Http { url, source })
    }

    /// Starts (or finds) the caller's upload of `sha256`.
    pub async fn begin_upload(&self, sha256: BlobId, size: u64) -> Result<UploadState, BlobError> {
        let body = serde_json::to_vec(&BeginUpload { sha256, size }).expect("serializable");
        self.json(reqwest::Method::POST, "/api/blobs/uploads", body.into()).await
    }

    pub async fn put_chunk(
        &self,
        sha256: &BlobId,
        index: u64,
        bytes: Bytes,
    ) -> Result<(), BlobError> {
        let path = format!("/api/blobs/uploads/{sha256}/chunks/{index}");
        self.send(reqwest::Method::PUT, &path, bytes).await.map(drop)
    }

    /// Asks the server to check the chunks against the hash and store the blob.
    pub async fn complete_upload(&self, sha256: &BlobId) -> Result<BlobInfo, BlobError> {
        let path = format!("/api/blobs/uploads/{sha256}/complete");
        self.json(reqwest::Method::POST, &path, Bytes::new()).await
    }

    /// Uploads a file, sending only the chunks the server lacks (so a second call after
    /// an interruption resumes, and a blob this key already stored costs one request).
    pub async fn put_file(
        &self,
        path: &Path,
        progress: Progress<'_>,
    ) -> Result<PutReport, BlobError> {
        let (sha256, size) = hash_file(path).await?;
        let mut file = None;
        self.upload(sha256, size, progress, async |start, len| {
            let file = match &mut file {
                Some(file) => file,
                None => file
                    .insert(tokio::fs::File::open(path).await.map_err(|e| BlobError::io(path, e))?),
            };
            let mut buffer = vec![0; len];
            file.seek(std::io::SeekFrom::Start(start)).await.map_err(|e| BlobError::io(path, e))?;
            file.read_exact(&mut buffer).await.map_err(|e| BlobError::io(path, e))?;
            Ok(buffer.into())
        })
        .await
    }

    /// Uploads bytes held in memory (a result, a test input).
    pub async fn put_bytes(&self, bytes: &[u8]) -> Result<PutReport, BlobError> {
        let (sha256, size) = (BlobId::of(bytes), bytes.len() as u64);
        self.upload(sha256, size, &|_, _| {}, async |start, len| {
            Ok(Bytes::copy_from_slice(&bytes[start as usize..start as usize + len]))
        })
        .await
    }

    /// Starts or resumes an upload and sends the chunks the server lacks, each read by
    /// `chunk(start, len)`, then completes it.
    async fn upload(
        &self,
        sha256: BlobId,
        size: u64,
        progress: Progress<'_>,
        mut chunk: impl AsyncFnMut(u64, usize) -> Result<Bytes, BlobError>,
    ) -> Result<PutReport, BlobError> {
        let state = self.begin_upload(sha256, size).await?;
        let chunks_total = chunk_count(size, state.chunk_bytes);
        if state.complete {
            progress(size, size);
            let info = BlobInfo { sha256, size, created_at: 0 };
            return Ok(PutReport { info, chunks_sent: 0, chunks_total });
        }
        let mut done: u64 = state
            .received
            .iter()
            .filter_map(|index| chunk_len(size, state.chunk_bytes, *index))
            .sum();
        progress(done, size);
        let mut chunks_sent = 0;
        for index in 0..chunks_total {
            if state.received.binary_search(&index).is_ok() {
                continue;
            }
            let len = chunk_len(size, state.chunk_bytes, index).unwrap_or(0);
            let bytes = chunk(index * state.chunk_bytes, len as usize).await?;
            self.put_chunk(&sha256, index, bytes).await?;
            chunks_sent += 1;
            done += len;
            progress(done, size);
        }
        let info = self.complete_upload(&sha256).await?;
        Ok(PutReport { info, chunks_sent, chunks_total })
    }

    /// Downloads a blob into memory, checked against its hash.
    pub async fn get_bytes(&self, sha256: &BlobId) -> Result<Vec<u8>, BlobError> {
        let path = format!("/api/blobs/{sha256}");
        let url = format!("{}{path}", self.base);
        let response = self.send(reqwest::Method::GET, &path, Bytes::new()).await?;
        let bytes = response.bytes().await.map_err(|source| BlobError::Http { url, source })?;
        let actual = BlobId::of(&bytes);
        if actual != *sha256 {
            return Err(BlobError::HashMismatch { expected: *sha256, actual });
        }
        Ok(bytes.to_vec())
    }

    /// Downloads a blob to `out`, checked against its hash before it is renamed into
    /// place: a corrupt or cut-off download leaves nothing at `out`. Returns the size.
    pub async fn get_file(
        &self,
        sha256: &BlobId,
        out: &Path,
        progress: Progress<'_>,
    ) -> Result<u64, BlobError> {
        let path = format!("/api/blobs/{sha256}");
        let url = format!("{}{path}", self.base);
        let response = self.send(reqwest::Method::GET, &path, Bytes::new()).await?;
        let total = response.content_length().unwrap_or(0);
        let partial = out.with_extension(format!("{sha256}.partial"));
        let result = async {
            let mut file =
                tokio::fs::File::create(&partial).await.map_err(|e| BlobError::io(&partial, e))?;
            let mut hasher = Sha256::new();
            let mut done = 0u64;
            let mut stream = response.bytes_stream();
            while let Some(piece) = stream.next().await {
                let piece = piece.map_err(|source| BlobError::Http { url: url.clone(), source })?;
                hasher.update(&piece);
                file.write_all(&piece).await.map_err(|e| BlobError::io(&partial, e))?;
                done += piece.len() as u64;
                progress(done, total.max(done));
            }
            file.flush().await.map_err(|e| BlobError::io(&partial, e))?;
            let actual = BlobId::from_hasher(hasher);
            if actual != *sha256 {
                return Err(BlobError::HashMismatch { expected: *sha256, actual });
            }
            tokio::fs::rename(&partial, out).await.map_err(|e| BlobError::io(out, e))?;
            Ok(done)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&partial).await;
        }
        result
    }

    /// The blobs this key stored.
    pub async fn list(&self) -> Result<Vec<BlobInfo>, BlobError> {
        self.json(reqwest::Method::GET, "/api/blobs", Bytes::new()).await
    }
}

/// The SHA-256 and size of a file, read in 1 MiB pieces.
pub async fn hash_file(path: &Path) -> Result<(BlobId, u64), BlobError> {
    let mut file = tokio::fs::File::open(path).await.map_err(|e| BlobError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer).await.map_err(|e| BlobError::io(path, e))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok((BlobId::from_hasher(hasher), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_blob_exactly() {
        assert_eq!(chunk_count(0, 4), 1);
        assert_eq!(chunk_len(0, 4, 0), Some(0));
        assert_eq!(chunk_count(8, 4), 2);
        assert_eq!(chunk_count(9, 4), 3);
        assert_eq!(chunk_len(9, 4, 2), Some(1));
        assert_eq!(chunk_len(9, 4, 3), None);
        assert_eq!(chunk_len(u64::MAX, 4, u64::MAX), None);
    }

    #[test]
    fn a_signature_binds_the_key_the_request_and_the_time() {
        let keypair = Keypair::new();
        let auth = RequestAuth::sign(&keypair, "GET", "/api/blobs/x", b"", 1_000);
        let empty = BlobId::of(b"");
        assert_eq!(auth.verify("GET", "/api/blobs/x", &empty, 1_100), Ok(keypair.pubkey()));
        let headers = auth.headers();
        let parsed = RequestAuth::from_headers(|name| {
            headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
        })
        .unwrap();
        assert_eq!(parsed, auth);
        // Another path, body or method, or a claimed signer that did not sign.
        assert!(auth.verify("GET", "/api/blobs/y", &empty, 1_000).is_err());
        assert!(auth.verify("GET", "/api/blobs/x", &BlobId::of(b"1"), 1_000).is_err());
        assert!(auth.verify("PUT", "/api/blobs/x", &empty, 1_000).is_err());
        let forged = RequestAuth { signer: Keypair::new().pubkey(), ..auth.clone() };
        assert!(matches!(
            forged.verify("GET", "/api/blobs/x", &empty, 1_000),
            Err(AuthError::BadSignature(_))
        ));
        assert!(matches!(
            auth.verify("GET", "/api/blobs/x", &empty, 1_000 + MAX_CLOCK_SKEW_SECONDS + 1),
            Err(AuthError::Stale { .. })
        ));
        assert_eq!(RequestAuth::from_headers(|_| None), Err(AuthError::Missing(HEADER_SIGNER)));
    }

    #[test]
    fn blob_ids_round_trip_as_hex() {
        let id = BlobId::of(b"ignis");
        assert_eq!(id.to_string().parse::<BlobId>().unwrap(), id);
        assert!("xyz".parse::<BlobId>().is_err());
        assert!(id.to_string()[..63].parse::<BlobId>().is_err());
    }
}
