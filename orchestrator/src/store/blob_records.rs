//! The data plane's records: which blobs are stored and how big, which keys own them
//! (each owner is charged the blob's size against its quota), and uploads in progress.

use anchor_lang::prelude::Pubkey;
use ignis_client::blob::{BlobId, BlobInfo};
use sqlx::Row;

use super::{id_key, to_i64, Store};

/// A tensor job's output kept for its poster: the Merkle root a replica revealed and
/// the blob that holds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOutput {
    pub job_id: u64,
    pub posted_at: i64,
    /// Hex.
    pub root: String,
    pub sha256: BlobId,
    pub size: u64,
}

impl Store {
    /// The size of a stored blob, if it is stored.
    pub async fn blob_size(&self, id: &BlobId) -> anyhow::Result<Option<u64>> {
        let row = sqlx::query("SELECT size FROM blobs WHERE sha256 = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get::<i64, _>(0)).transpose()?.map(|size| size as u64))
    }

    pub async fn owns_blob(&self, owner: &Pubkey, id: &BlobId) -> anyhow::Result<bool> {
        let row = sqlx::query("SELECT 1 FROM blob_owners WHERE owner = $1 AND sha256 = $2")
            .bind(owner.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Bytes charged to `owner`: the blobs it owns and its uploads in progress, but for
    /// an upload of `except` (the one being started, which is charged by the caller).
    pub async fn blob_usage(&self, owner: &Pubkey, except: &BlobId) -> anyhow::Result<u64> {
        let owner = owner.to_string();
        let stored: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM blob_owners o
             JOIN blobs b ON b.sha256 = o.sha256 WHERE o.owner = $1",
        )
        .bind(&owner)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        let uploading: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blob_uploads
             WHERE owner = $1 AND sha256 <> $2",
        )
        .bind(&owner)
        .bind(except.to_string())
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok(stored.max(0) as u64 + uploading.max(0) as u64)
    }

    /// Records (or restarts with a new size) `owner`'s upload of `id`. Returns the size
    /// of the upload it replaces, if there was one.
    pub async fn start_upload(
        &self,
        owner: &Pubkey,
        id: &BlobId,
        size: u64,
        now: i64,
    ) -> anyhow::Result<Option<u64>> {
        let previous = self.upload_size(owner, id).await?;
        sqlx::query(
            "INSERT INTO blob_uploads (owner, sha256, size, started_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (owner, sha256) DO UPDATE SET size = excluded.size",
        )
        .bind(owner.to_string())
        .bind(id.to_string())
        .bind(to_i64(size))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(previous)
    }

    pub async fn upload_size(&self, owner: &Pubkey, id: &BlobId) -> anyhow::Result<Option<u64>> {
        let row = sqlx::query("SELECT size FROM blob_uploads WHERE owner = $1 AND sha256 = $2")
            .bind(owner.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get::<i64, _>(0)).transpose()?.map(|size| size as u64))
    }

    pub async fn drop_upload(&self, owner: &Pubkey, id: &BlobId) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM blob_uploads WHERE owner = $1 AND sha256 = $2")
            .bind(owner.to_string())
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a verified, stored blob and `owner` as one of its owners, and ends the
    /// upload, in one transaction. Idempotent.
    pub async fn finish_upload(
        &self,
        owner: &Pubkey,
        id: &BlobId,
        size: u64,
        now: i64,
    ) -> anyhow::Result<BlobInfo> {
        let (owner, sha256) = (owner.to_string(), id.to_string());
        let mut transaction = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO blobs (sha256, size, stored_at) VALUES ($1, $2, $3)
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&sha256)
        .bind(to_i64(size))
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        sqlx::query(
            "INSERT INTO blob_owners (owner, sha256, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (owner, sha256) DO NOTHING",
        )
        .bind(&owner)
        .bind(&sha256)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        sqlx::query("DELETE FROM blob_uploads WHERE owner = $1 AND sha256 = $2")
            .bind(&owner)
            .bind(&sha256)
            .execute(&mut *transaction)
            .await?;
        let created_at: i64 =
            sqlx::query("SELECT created_at FROM blob_owners WHERE owner = $1 AND sha256 = $2")
                .bind(&owner)
                .bind(&sha256)
                .fetch_one(&mut *transaction)
                .await?
                .try_get(0)?;
        transaction.commit().await?;
        Ok(BlobInfo { sha256: *id, size, created_at })
    }

    /// The blobs `owner` stored, newest first.
    pub async fn owned_blobs(&self, owner: &Pubkey) -> anyhow::Result<Vec<BlobInfo>> {
        let rows = sqlx::query(
            "SELECT o.sha256, b.size, o.created_at FROM blob_owners o
             JOIN blobs b ON b.sha256 = o.sha256 WHERE o.owner = $1
             ORDER BY o.created_at DESC, o.sha256",
        )
        .bind(owner.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let (sha256, size, created_at): (String, i64, i64) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                Ok(BlobInfo { sha256: sha256.parse()?, size: size as u64, created_at })
            })
            .collect()
    }

    pub async fn save_job_output(&self, output: &JobOutput) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO job_outputs (job_id_key, posted_at, root, sha256, size) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (job_id_key, posted_at, root) DO NOTHING",
        )
        .bind(id_key(output.job_id))
        .bind(output.posted_at)
        .bind(&output.root)
        .bind(output.sha256.to_string())
        .bind(to_i64(output.size))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The outputs kept for job `job_id` (every posting of that id), newest first.
    pub async fn job_outputs(&self, job_id: u64) -> anyhow::Result<Vec<JobOutput>> {
        let rows = sqlx::query(
            "SELECT posted_at, root, sha256, size FROM job_outputs WHERE job_id_key = $1
             ORDER BY posted_at DESC, root",
        )
        .bind(id_key(job_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let (posted_at, root, sha256, size): (i64, String, String, i64) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
                Ok(JobOutput {
                    job_id,
                    posted_at,
                    root,
                    sha256: sha256.parse()?,
                    size: size as u64,
                })
            })
            .collect()
    }
}
