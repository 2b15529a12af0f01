//! The data plane: blobs named by their SHA-256, in any object store (a local directory
//! by default, S3-compatible by URL), with their records (sizes, owners, uploads in
//! progress) in the orchestrator's database. A blob is written only after its bytes
//! were hashed and matched its name, so a corrupt upload never touches what is stored.
//!
//! Layout in the object store: `blobs/<sha256>` for stored blobs and
//! `uploads/<owner>/<sha256>/<index>` for the chunks of an upload in progress.

pub mod routes;

use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use anyhow::Context as _;
use bytes::Bytes;
use futures::{stream::BoxStream, TryStreamExt};
use ignis_client::blob::{chunk_count, chunk_len, BlobId, BlobInfo, UploadState};
use object_store::{path::Path, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::{store::Store, Shared};

/// Keeps a tensor job's output (its `.npy`, already matched against `root`) for the
/// job's poster, and records it under the job and the root, for `ignis job result`.
pub async fn keep_job_output(
    shared: &Shared,
    job: (u64, i64),
    poster: &Pubkey,
    root: &[u8; 32],
    npy: Bytes,
) -> anyhow::Result<()> {
    let info = shared.blobs.store_checked(poster, npy, ignis_client::blob::unix_now()).await?;
    let record = crate::store::JobOutput {
        job_id: job.0,
        posted_at: job.1,
        root: crate::views::hex(root),
        sha256: info.sha256,
        size: info.size,
    };
    shared.store.save_job_output(&record).await
}

/// The data plane's rule for jobs: a live tensor job lets its poster and the operators
/// of its assigned workers read its inputs.
pub fn job_readers(shared: Arc<Shared>) -> routes::JobReaders {
    Arc::new(move |reader: &Pubkey, id: &BlobId| {
        let index = shared.index.read().expect("index lock");
        index.active.iter().filter_map(|job_id| index.jobs.get(job_id)).any(|entry| {
            let job = &entry.value;
            let ignis::state::JobKind::Tensor { spec } = job.kind else { return false };
            spec.inputs.iter().any(|input| input.sha256 == id.0)
                && (job.poster == *reader
                    || job.live_assignments().iter().any(|assignment| {
                        index
                            .workers
                            .get(&assignment.worker)
                            .is_some_and(|worker| worker.value.operator == *reader)
                    }))
        })
    })
}

/// Sizes the data plane enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobLimits {
    /// Largest blob.
    pub max_blob_bytes: u64,
    /// Most bytes one key may store (its blobs and uploads in progress).
    pub quota_bytes: u64,
    /// Upload chunk size (the last chunk of a blob may be shorter).
    pub chunk_bytes: u64,
}

impl Default for BlobLimits {
    fn default() -> Self {
        BlobLimits { max_blob_bytes: 2 << 30, quota_bytes: 20 << 30, chunk_bytes: 8 << 20 }
    }
}

/// Why the data plane refused a request: each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BlobStoreError {
    #[error("a blob may hold at most {max} bytes and this one has {size}: split it, or ask the operator to raise --blob-max-bytes")]
    TooLarge { size: u64, max: u64 },
    #[error("storing {size} more bytes would take {owner} past its quota ({used} of {quota} bytes in use): ask the operator for more (--blob-quota-bytes)")]
    OverQuota { owner: Pubkey, size: u64, used: u64, quota: u64 },
    #[error("no blob has SHA-256 {0}: upload it first (`ignis blob put FILE`)")]
    Unknown(BlobId),
    #[error("{reader} may not read blob {id}: only the keys that uploaded it may")]
    Forbidden { reader: Pubkey, id: BlobId },
    #[error("{owner} has no upload of {id} in progress: start one with POST /api/blobs/uploads")]
    NoUpload { owner: Pubkey, id: BlobId },
    #[error("chunk {index} is past the end: a {size}-byte blob has {count} chunks of {chunk_bytes} bytes")]
    ChunkOutOfRange { index: u64, size: u64, count: u64, chunk_bytes: u64 },
    #[error("chunk {index} must hold {expected} bytes, not {actual}")]
    ChunkSize { index: u64, expected: u64, actual: u64 },
    #[error("chunks {missing:?} of {id} have not arrived: send them, then complete the upload")]
    MissingChunks { id: BlobId, missing: Vec<u64> },
    #[error("the uploaded bytes hash to {actual}, not {expected}: the upload was corrupt and is discarded (nothing stored changed); upload the file again")]
    Corrupt { expected: BlobId, actual: BlobId },
    #[error("blob {id} is stored with {size} bytes, not {claimed}: its hash names other bytes than these")]
    SizeMismatch { id: BlobId, size: u64, claimed: u64 },
    #[error("the object store failed: {0}")]
    Objects(#[from] object_store::Error),
    #[error("the blob records failed: {0:#}")]
    Records(#[from] anyhow::Error),
}

type Result<T> = std::result::Result<T, BlobStoreError>;

/// Opens the object store at `url`: `file:///DIR` (created if missing) or
/// `s3://BUCKET[/PREFIX]`, configured by the `AWS_*` environment variables
/// (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
/// `AWS_ALLOW_HTTP`, ...) and then by `options` (`aws_endpoint`, ...).
pub fn open_object_store(
    url: &str,
    options: &[(String, String)],
) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let parsed = url::Url::parse(url).with_context(|| {
        format!("the blob store `{url}` is not a URL: use file:///DIR or s3://BUCKET[/PREFIX]")
    })?;
    match parsed.scheme() {
        "file" => {
            let dir = parsed
                .to_file_path()
                .map_err(|()| anyhow::anyhow!("the blob store `{url}` is not a local path"))?;
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create the blob directory {}", dir.display()))?;
            let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                .with_context(|| format!("cannot open the blob directory {}", dir.display()))?;
            Ok(Arc::new(store))
        }
        "s3" | "s3a" => {
            let mut builder = object_store::aws::AmazonS3Builder::from_env().with_url(url);
            for (key, value) in options {
                let key = key.parse().with_context(|| format!("unknown S3 option `{key}`"))?;
                builder = builder.with_config(key, value);
            }
            let store = builder.build().with_context(|| format!("cannot open the S3 store {url}"))?;
            let prefix = parsed.path().trim_matches('/');
            Ok(if prefix.is_empty() {
                Arc::new(store)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
            })
        }
        other => anyhow::bail!(
            "the blob store scheme `{other}` is not supported: use file:///DIR or s3://BUCKET[/PREFIX]"
        ),
    }
}

/// The data plane's store: object bytes plus records.
pub struct BlobStore {
    objects: Arc<dyn ObjectStore>,
    records: Store,
    limits: BlobLimits,
}

fn blob_path(id: &BlobId) -> Path {
    Path::from(format!("blobs/{id}"))
}

fn upload_prefix(owner: &Pubkey, id: &BlobId) -> Path {
    Path::from(format!("uploads/{owner}/{id}"))
}

fn chunk_path(owner: &Pubkey, id: &BlobId, index: u64) -> Path {
    Path::from(format!("uploads/{owner}/{id}/{index:010}"))
}

impl BlobStore {
    pub fn new(objects: Arc<dyn ObjectStore>, records: Store, limits: BlobLimits) -> Self {
        BlobStore { objects, records, limits }
    }

    pub fn limits(&self) -> BlobLimits {
        self.limits
    }

    /// Starts (or resumes) `owner`'s upload of `id`, after the size and quota checks.
    /// A blob the owner already stored is complete at once; anyone else must send the
    /// bytes, so knowing a hash never grants reading the blob.
    pub async fn begin(
        &self,
        owner: &Pubkey,
        id: BlobId,
        size: u64,
        now: i64,
    ) -> Result<UploadState> {
        let chunk_bytes = self.limits.chunk_bytes;
        let state =
            |received, complete| UploadState { sha256: id, size, chunk_bytes, received, complete };
        if size > self.limits.max_blob_bytes {
            return Err(BlobStoreError::TooLarge { size, max: self.limits.max_blob_bytes });
        }
        if let Some(stored) = self.records.blob_size(&id).await? {
            if stored != size {
                return Err(BlobStoreError::SizeMismatch { id, size: stored, claimed: size });
            }
            if self.records.owns_blob(owner, &id).await? {
                return Ok(state(Vec::new(), true));
            }
        }
        let used = self.records.blob_usage(owner, &id).await?;
        if used.saturating_add(size) > self.limits.quota_bytes {
            return Err(BlobStoreError::OverQuota {
                owner: *owner,
                size,
                used,
                quota: self.limits.quota_bytes,
            });
        }
        if let Some(previous) = self.records.start_upload(owner, &id, size, now).await? {
            if previous != size {
                // A restart with another size: the old chunks have other boundaries.
                self.delete_chunks(owner, &id).await?;
            }
        }
        Ok(state(self.received(owner, &id, size).await?, false))
    }

    /// Chunk indices of the upload that the store holds, ascending.
    async fn received(&self, owner: &Pubkey, id: &BlobId, size: u64) -> Result<Vec<u64>> {
        let count = chunk_count(size, self.limits.chunk_bytes);
        let mut received: Vec<u64> = self
            .objects
            .list(Some(&upload_prefix(owner, id)))
            .map_ok(|meta| meta.location.filename().and_then(|name| name.parse().ok()))
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .flatten()
            .filter(|index| *index < count)
            .collect();
        received.sort_unstable();
        Ok(received)
    }

    async fn delete_chunks(&self, owner: &Pubkey, id: &BlobId) -> Result<()> {
        let chunks: Vec<Path> = self
            .objects
            .list(Some(&upload_prefix(owner, id)))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        for chunk in chunks {
            match self.objects.delete(&chunk).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// Stores one chunk of an upload in progress (idempotent: the same chunk again
    /// overwrites it).
    pub async fn put_chunk(
        &self,
        owner: &Pubkey,
        id: &BlobId,
        index: u64,
        bytes: Bytes,
    ) -> Result<()> {
        let size = self
            .records
            .upload_size(owner, id)
            .await?
            .ok_or(BlobStoreError::NoUpload { owner: *owner, id: *id })?;
        let chunk_bytes = self.limits.chunk_bytes;
        let expected =
            chunk_len(size, chunk_bytes, index).ok_or(BlobStoreError::ChunkOutOfRange {
                index,
                size,
                count: chunk_count(size, chunk_bytes),
                chunk_bytes,
            })?;
        if bytes.len() as u64 != expected {
            return Err(BlobStoreError::ChunkSize { index, expected, actual: bytes.len() as u64 });
        }
        self.objects.put(&chunk_path(owner, id, index), PutPayload::from_bytes(bytes)).await?;
        Ok(())
    }

    /// Checks the upload's bytes against `id` and stores the blob. A mismatch discards
    /// the upload and leaves every stored blob as it was.
    pub async fn complete(&self, owner: &Pubkey, id: &BlobId, now: i64) -> Result<BlobInfo> {
        let size = match self.records.upload_size(owner, id).await? {
            Some(size) => size,
            None if self.records.owns_blob(owner, id).await? => {
                // Completed before (a retried request): the same answer.
                let size = self.records.blob_size(id).await?.unwrap_or(0);
                return Ok(self.records.finish_upload(owner, id, size, now).await?);
            }
            None => return Err(BlobStoreError::NoUpload { owner: *owner, id: *id }),
        };
        let count = chunk_count(size, self.limits.chunk_bytes);
        let received = self.received(owner, id, size).await?;
        if received.len() as u64 != count {
            let missing = (0..count).filter(|i| received.binary_search(i).is_err()).collect();
            return Err(BlobStoreError::MissingChunks { id: *id, missing });
        }
        let mut hasher = Sha256::new();
        for index in 0..count {
            hasher.update(self.objects.get(&chunk_path(owner, id, index)).await?.bytes().await?);
        }
        let actual = BlobId::from_hasher(hasher);
        if actual != *id {
            tracing::info!(%owner, expected = %id, %actual, "discarded a corrupt upload");
            self.delete_chunks(owner, id).await?;
            self.records.drop_upload(owner, id).await?;
            return Err(BlobStoreError::Corrupt { expected: *id, actual });
        }
        if self.records.blob_size(id).await?.is_none() {
            self.write_blob(owner, id, count).await?;
        }
        let info = self.records.finish_upload(owner, id, size, now).await?;
        self.delete_chunks(owner, id).await?;
        tracing::debug!(%owner, blob = %id, size, "stored a blob");
        Ok(info)
    }

    /// Copies the verified chunks into `blobs/<id>`: one put for a one-chunk blob, a
    /// multipart upload otherwise (the store makes the object appear whole or not at all).
    async fn write_blob(&self, owner: &Pubkey, id: &BlobId, count: u64) -> Result<()> {
        let path = blob_path(id);
        if count == 1 {
            let bytes = self.objects.get(&chunk_path(owner, id, 0)).await?.bytes().await?;
            self.objects.put(&path, PutPayload::from_bytes(bytes)).await?;
            return Ok(());
        }
        let mut writer = WriteMultipart::new(self.objects.put_multipart(&path).await?);
        for index in 0..count {
            let bytes = self.objects.get(&chunk_path(owner, id, index)).await?.bytes().await?;
            writer.wait_for_capacity(4).await?;
            writer.write(&bytes);
        }
        writer.finish().await?;
        Ok(())
    }

    /// Opens a stored blob for `reader`: its size and its bytes. Its owners may read
    /// it, and so may whoever `via_job` says a job lets (the poster and the assigned
    /// workers of a live job that uses it).
    pub async fn read(
        &self,
        reader: &Pubkey,
        id: &BlobId,
        via_job: impl FnOnce(&Pubkey, &BlobId) -> bool,
    ) -> Result<(u64, BoxStream<'static, std::result::Result<Bytes, object_store::Error>>)> {
        let size = self.records.blob_size(id).await?.ok_or(BlobStoreError::Unknown(*id))?;
        if !via_job(reader, id) && !self.records.owns_blob(reader, id).await? {
            return Err(BlobStoreError::Forbidden { reader: *reader, id: *id });
        }
        let stream = self.objects.get(&blob_path(id)).await?.into_stream();
        Ok((size, stream))
    }

    /// A stored blob's bytes, for the orchestrator itself (the verifier).
    pub async fn fetch(&self, id: &BlobId) -> Result<Bytes> {
        self.records.blob_size(id).await?.ok_or(BlobStoreError::Unknown(*id))?;
        Ok(self.objects.get(&blob_path(id)).await?.bytes().await?)
    }

    /// Stores bytes the orchestrator already checked (a job's output, matched against a
    /// revealed root) for `owner` (the job's poster), outside any quota: the poster
    /// paid for it.
    pub async fn store_checked(&self, owner: &Pubkey, bytes: Bytes, now: i64) -> Result<BlobInfo> {
        let id = BlobId::of(&bytes);
        let size = bytes.len() as u64;
        if self.records.blob_size(&id).await?.is_none() {
            self.objects.put(&blob_path(&id), PutPayload::from_bytes(bytes)).await?;
        }
        Ok(self.records.finish_upload(owner, &id, size, now).await?)
    }

    /// The blobs `owner` stored, newest first.
    pub async fn list(&self, owner: &Pubkey) -> Result<Vec<BlobInfo>> {
        Ok(self.records.owned_blobs(owner).await?)
    }
}
