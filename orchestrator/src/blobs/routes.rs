//! The blob API. Every request is signed (see `ignis_client::blob::RequestAuth`); an
//! unsigned, forged or stale one gets 401, and each refusal a sentence.
//!
//! - `POST /api/blobs/uploads` `{sha256, size}`: start or resume an upload; says which
//!   chunks the server holds.
//! - `PUT /api/blobs/uploads/{sha256}/chunks/{index}`: one chunk.
//! - `POST /api/blobs/uploads/{sha256}/complete`: check the hash and store the blob.
//! - `GET /api/blobs/{sha256}`: the bytes, to a key allowed to read them.
//! - `GET /api/blobs`: the caller's blobs.

use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use axum::{
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, FromRequest, OriginalUri, Path, Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Json, Router,
};
use ignis_client::blob::{unix_now, BeginUpload, BlobId, RequestAuth};

use super::{BlobStore, BlobStoreError};
use crate::api::ApiError;

impl From<BlobStoreError> for ApiError {
    fn from(err: BlobStoreError) -> Self {
        use BlobStoreError::*;
        let status = match &err {
            TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            OverQuota { .. } | Forbidden { .. } => StatusCode::FORBIDDEN,
            Unknown(_) | NoUpload { .. } => StatusCode::NOT_FOUND,
            ChunkOutOfRange { .. } | ChunkSize { .. } | SizeMismatch { .. } => {
                StatusCode::BAD_REQUEST
            }
            MissingChunks { .. } => StatusCode::CONFLICT,
            Corrupt { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Objects(_) | Records(_) => {
                tracing::error!("blob API: {err}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, err.to_string())
    }
}

/// Whether a job lets `reader` read blob `id` (see [`BlobStore::read`]).
pub type JobReaders = Arc<dyn Fn(&Pubkey, &BlobId) -> bool + Send + Sync>;

#[derive(Clone)]
pub struct BlobApi {
    pub blobs: Arc<BlobStore>,
    pub job_readers: JobReaders,
}

pub fn router(blobs: Arc<BlobStore>, job_readers: JobReaders) -> Router {
    // A chunk plus room for nothing else: bigger bodies are refused before they are read.
    let chunk_limit = usize::try_from(blobs.limits().chunk_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/api/blobs", get(list))
        .route("/api/blobs/{sha256}", get(read))
        .route("/api/blobs/uploads", post(begin))
        .route(
            "/api/blobs/uploads/{sha256}/chunks/{index}",
            put(put_chunk).layer(DefaultBodyLimit::max(chunk_limit)),
        )
        .route("/api/blobs/uploads/{sha256}/complete", post(complete))
        .with_state(BlobApi { blobs, job_readers })
}

/// A request whose signature checked out: the key that signed it, and its body. An
/// unsigned, forged or stale request is refused with 401; a body over the route's limit
/// with 413, before the signature is looked at.
struct Signed {
    signer: Pubkey,
    body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Signed {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |original| &original.0)
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
        let auth = RequestAuth::from_headers(|name| parts.headers.get(name)?.to_str().ok());
        let body = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))?;
        let unauthorized = |err: ignis_client::blob::AuthError| {
            ApiError::new(StatusCode::UNAUTHORIZED, err.to_string())
        };
        let signer = auth
            .map_err(unauthorized)?
            .verify(parts.method.as_str(), &path, &BlobId::of(&body), unix_now())
            .map_err(unauthorized)?;
        Ok(Signed { signer, body })
    }
}

fn parse_blob_id(text: &str) -> Result<BlobId, ApiError> {
    text.parse().map_err(|err: ignis_client::blob::BlobIdError| {
        ApiError::new(StatusCode::BAD_REQUEST, err.to_string())
    })
}

async fn begin(
    State(BlobApi { blobs, .. }): State<BlobApi>,
    Signed { signer: owner, body }: Signed,
) -> Result<impl IntoResponse, ApiError> {
    let request: BeginUpload = serde_json::from_slice(&body).map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the body must be {{\"sha256\": HEX, \"size\": BYTES}}: {err}"),
        )
    })?;
    Ok(Json(blobs.begin(&owner, request.sha256, request.size, unix_now()).await?))
}

async fn put_chunk(
    State(BlobApi { blobs, .. }): State<BlobApi>,
    Path((sha256, index)): Path<(String, String)>,
    Signed { signer: owner, body }: Signed,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_blob_id(&sha256)?;
    let index = index.parse().map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, format!("chunk index `{index}` is not a number"))
    })?;
    blobs.put_chunk(&owner, &id, index, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn complete(
    State(BlobApi { blobs, .. }): State<BlobApi>,
    Path(sha256): Path<String>,
    Signed { signer: owner, .. }: Signed,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_blob_id(&sha256)?;
    Ok(Json(blobs.complete(&owner, &id, unix_now()).await?))
}

async fn read(
    State(BlobApi { blobs, job_readers }): State<BlobApi>,
    Path(sha256): Path<String>,
    Signed { signer: reader, .. }: Signed,
) -> Result<Response, ApiError> {
    let id = parse_blob_id(&sha256)?;
    let (size, stream) = blobs.read(&reader, &id, |reader, id| job_readers(reader, id)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::ETAG, format!("\"{id}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

async fn list(
    State(BlobApi { blobs, .. }): State<BlobApi>,
    Signed { signer: owner, .. }: Signed,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(blobs.list(&owner).await?))
}
