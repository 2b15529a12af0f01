//! The job history database: jobs whose accounts were closed, the totals of their
//! statuses, and where the scan of the program's transactions stopped. One query layer
//! (`sqlx::Any`) over embedded SQLite, the default, and PostgreSQL, which several
//! orchestrators can share. Every write is idempotent (a job is keyed by its id and
//! posting time), so orchestrators sharing a database may write the same job.

use anchor_lang::{prelude::Pubkey, AccountSerialize, AnchorDeserialize};
use anyhow::{bail, Context};
use ignis::state::{Job, JobStatus};
use ignis_client::{accounts::decode, history::JobRecord};
use sqlx::{
    any::{AnyPoolOptions, AnyRow},
    AnyPool, AssertSqlSafe, Row,
};

use crate::views::JobsByStatus;

mod blob_records;
pub use blob_records::JobOutput;

/// A closed job's last state, and the slot it was seen in.
#[derive(Clone, Debug)]
pub struct ClosedJob {
    pub job: Job,
    pub slot: u64,
}

impl ClosedJob {
    /// The order pages follow: newest posted first.
    pub fn cursor(&self) -> (i64, u64) {
        (self.job.posted_at, self.job.id)
    }
}

/// What a page of closed jobs is filtered by.
#[derive(Clone, Copy, Debug, Default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub poster: Option<Pubkey>,
    /// Strictly older than this (posted_at, id).
    pub before: Option<(i64, u64)>,
}

impl JobFilter {
    pub fn matches(&self, job: &Job) -> bool {
        self.status.is_none_or(|status| job.status == status)
            && self.poster.is_none_or(|poster| job.poster == poster)
            && self.before.is_none_or(|before| (job.posted_at, job.id) < before)
    }
}

/// Counts and volume of closed jobs.
#[derive(Clone, Debug, Default)]
pub struct ClosedTotals {
    pub by_status: JobsByStatus,
    /// Sum of the rewards of completed jobs.
    pub volume: u128,
}

impl ClosedTotals {
    pub fn add(&mut self, job: &Job) {
        self.by_status.add(job.status, 1);
        if job.status == JobStatus::Completed {
            self.volume += u128::from(job.reward);
        }
    }
}

/// The scan of the program's transactions so far: the newest transaction read, and the
/// records of jobs that had not closed by then (a later scan goes on from them).
#[derive(Default)]
pub struct ScanState {
    pub newest_signature: Option<String>,
    pub open_records: Vec<JobRecord>,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
}

/// Ids are u64 and SQL integers i64: flipping the top bit keeps their order.
fn id_key(id: u64) -> i64 {
    (id ^ (1 << 63)) as i64
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn account_bytes(job: &Job) -> Vec<u8> {
    let mut data = Vec::new();
    job.try_serialize(&mut data).expect("a job serializes into a Vec");
    data
}

fn status_code(status: JobStatus) -> i64 {
    i64::from(status as u8)
}

/// A `(slot, account)` row.
fn decode_job(row: &AnyRow) -> anyhow::Result<ClosedJob> {
    let (slot, data): (i64, &[u8]) = (row.try_get(0)?, row.try_get(1)?);
    let job: Job = decode(data).map_err(|err| anyhow::anyhow!("a stored job: {err}"))?;
    Ok(ClosedJob { job, slot: u64::try_from(slot).unwrap_or_default() })
}

impl Store {
    /// Opens (creating if need be) the database at `url`: `sqlite://PATH` or
    /// `postgres://...`.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let url = if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("cannot create the directory of the database {path}")
                    })?;
                }
            }
            // Created if missing.
            if url.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            }
        } else {
            url.to_string()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            // A server that is down is reported soon, not after sqlx's default 30 s.
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&url)
            .await
            .with_context(|| format!("cannot open the history database {}", redact(&url)))?;
        let store = Store { pool };
        store.create_schema().await.context("cannot create the history tables")?;
        Ok(store)
    }

    async fn create_schema(&self) -> anyhow::Result<()> {
        let mut connection = self.pool.acquire().await?;
        let sqlite = connection.backend_name() == "SQLite";
        let blob = if sqlite { "BLOB" } else { "BYTEA" };
        if sqlite {
            // Readers (the API) go on while the writer writes.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *connection).await?;
        }
        drop(connection);
        let statements = [
            "CREATE TABLE IF NOT EXISTS ignis_deployment (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
                .to_string(),
            format!(
                "CREATE TABLE IF NOT EXISTS closed_jobs (
                    posted_at BIGINT NOT NULL,
                    id_key BIGINT NOT NULL,
                    poster TEXT NOT NULL,
                    status BIGINT NOT NULL,
                    slot BIGINT NOT NULL,
                    account {blob} NOT NULL,
                    PRIMARY KEY (posted_at, id_key))"
            ),
            "CREATE INDEX IF NOT EXISTS closed_jobs_by_id ON closed_jobs (id_key, posted_at)"
                .to_string(),
            "CREATE INDEX IF NOT EXISTS closed_jobs_by_poster ON closed_jobs (poster, posted_at, id_key)"
                .to_string(),
            "CREATE INDEX IF NOT EXISTS closed_jobs_by_status ON closed_jobs (status, posted_at, id_key)"
                .to_string(),
            "CREATE TABLE IF NOT EXISTS closed_totals (status BIGINT PRIMARY KEY, jobs BIGINT NOT NULL, volume BIGINT NOT NULL)"
                .to_string(),
            "CREATE TABLE IF NOT EXISTS history_scan (name TEXT PRIMARY KEY, newest_signature TEXT NOT NULL)"
                .to_string(),
            format!(
                "CREATE TABLE IF NOT EXISTS history_open_records (id_key BIGINT PRIMARY KEY, slot BIGINT NOT NULL, account {blob} NOT NULL)"
            ),
            // The data plane's records (the bytes live in the object store).
            "CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, stored_at BIGINT NOT NULL)"
                .to_string(),
            "CREATE TABLE IF NOT EXISTS blob_owners (owner TEXT NOT NULL, sha256 TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (owner, sha256))"
                .to_string(),
            "CREATE TABLE IF NOT EXISTS job_outputs (job_id_key BIGINT NOT NULL, posted_at BIGINT NOT NULL, root TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (job_id_key, posted_at, root))"
                .to_string(),
            "CREATE TABLE IF NOT EXISTS blob_uploads (owner TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL, started_at BIGINT NOT NULL, PRIMARY KEY (owner, sha256))"
                .to_string(),
        ];
        let mut transaction = self.pool.begin().await?;
        if !sqlite {
            // Orchestrators starting together would race to create the same tables,
            // which PostgreSQL refuses ("already exists"): one at a time.
            sqlx::query("SELECT pg_advisory_xact_lock(7316924040)")
                .execute(&mut *transaction)
                .await?;
        }
        for statement in statements {
            // Fixed text; only the blob type's name varies.
            sqlx::query(AssertSqlSafe(statement)).execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Ties the database to one deployment (its IGN mint): a database that holds another
    /// deployment's history is refused rather than mixed.
    pub async fn bind_deployment(&self, mint: &Pubkey) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO ignis_deployment (key, value) VALUES ('mint', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(mint.to_string())
        .execute(&self.pool)
        .await?;
        let stored: String = sqlx::query("SELECT value FROM ignis_deployment WHERE key = 'mint'")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if stored != mint.to_string() {
            bail!(
                "the history database holds another deployment's jobs (IGN mint {stored}, this one's is {mint}): give this deployment a database of its own (--database-url)"
            );
        }
        Ok(())
    }

    /// Stores closed jobs; ones already stored are left as they are. Returns how many
    /// were new.
    pub async fn save_closed(&self, jobs: &[ClosedJob]) -> anyhow::Result<usize> {
        let mut transaction = self.pool.begin().await?;
        let mut new = 0;
        for closed in jobs {
            let job = &closed.job;
            let inserted = sqlx::query(
                "INSERT INTO closed_jobs (posted_at, id_key, poster, status, slot, account)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (posted_at, id_key) DO NOTHING",
            )
            .bind(job.posted_at)
            .bind(id_key(job.id))
            .bind(job.poster.to_string())
            .bind(status_code(job.status))
            .bind(to_i64(closed.slot))
            .bind(account_bytes(job))
            .execute(&mut *transaction)
            .await?
            .rows_affected();
            if inserted == 0 {
                continue;
            }
            new += 1;
            let volume = if job.status == JobStatus::Completed { to_i64(job.reward) } else { 0 };
            sqlx::query(
                "INSERT INTO closed_totals (status, jobs, volume) VALUES ($1, 1, $2)
                 ON CONFLICT (status) DO UPDATE SET jobs = closed_totals.jobs + 1,
                 volume = closed_totals.volume + excluded.volume",
            )
            .bind(status_code(job.status))
            .bind(volume)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(new)
    }

    pub async fn totals(&self) -> anyhow::Result<ClosedTotals> {
        let rows = sqlx::query("SELECT status, jobs, volume FROM closed_totals")
            .fetch_all(&self.pool)
            .await?;
        let mut totals = ClosedTotals::default();
        for row in rows {
            let code: i64 = row.try_get(0)?;
            let (jobs, volume): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
            let status = u8::try_from(code)
                .ok()
                .and_then(|code| JobStatus::try_from_slice(&[code]).ok())
                .with_context(|| format!("a stored job status {code} this build does not know"))?;
            totals.by_status.add(status, jobs);
            totals.volume += u128::try_from(volume).unwrap_or_default();
        }
        Ok(totals)
    }

    /// Closed jobs matching `filter`, newest posted first, at most `limit`.
    pub async fn page(&self, filter: JobFilter, limit: usize) -> anyhow::Result<Vec<ClosedJob>> {
        let mut conditions = vec![];
        let mut next = 1;
        let mut placeholder = || {
            let text = format!("${next}");
            next += 1;
            text
        };
        if filter.before.is_some() {
            conditions.push(format!(
                "(posted_at, id_key) < ({}, {})",
                placeholder(),
                placeholder()
            ));
        }
        if filter.poster.is_some() {
            conditions.push(format!("poster = {}", placeholder()));
        }
        if filter.status.is_some() {
            conditions.push(format!("status = {}", placeholder()));
        }
        let limit_placeholder = placeholder();
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT slot, account FROM closed_jobs {filter_sql}
             ORDER BY posted_at DESC, id_key DESC LIMIT {limit_placeholder}"
        );
        // Fixed column names and numbered placeholders; every value is bound.
        let mut query = sqlx::query(AssertSqlSafe(sql));
        if let Some((posted_at, id)) = filter.before {
            query = query.bind(posted_at).bind(id_key(id));
        }
        if let Some(poster) = filter.poster {
            query = query.bind(poster.to_string());
        }
        if let Some(status) = filter.status {
            query = query.bind(status_code(status));
        }
        let rows = query.bind(to_i64(limit as u64)).fetch_all(&self.pool).await?;
        rows.iter().map(decode_job).collect()
    }

    /// The most recently posted closed job with this id (an id may be posted again).
    pub async fn job(&self, id: u64) -> anyhow::Result<Option<ClosedJob>> {
        let row = sqlx::query(
            "SELECT slot, account FROM closed_jobs WHERE id_key = $1 ORDER BY posted_at DESC LIMIT 1",
        )
        .bind(id_key(id))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode_job).transpose()
    }

    pub async fn scan_state(&self) -> anyhow::Result<ScanState> {
        let newest_signature =
            sqlx::query("SELECT newest_signature FROM history_scan WHERE name = 'program'")
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get::<String, _>(0))
                .transpose()?;
        let rows = sqlx::query("SELECT slot, account FROM history_open_records")
            .fetch_all(&self.pool)
            .await?;
        let open_records = rows
            .iter()
            .map(|row| {
                let closed = decode_job(row)?;
                Ok(JobRecord { job: closed.job, closed: false, slot: closed.slot })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(ScanState { newest_signature, open_records })
    }

    /// Records a scan that read up to `newest_signature`, with the jobs still open then.
    pub async fn save_scan(
        &self,
        newest_signature: &str,
        open_records: &[JobRecord],
    ) -> anyhow::Result<()> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM history_open_records").execute(&mut *transaction).await?;
        for record in open_records {
            sqlx::query(
                "INSERT INTO history_open_records (id_key, slot, account) VALUES ($1, $2, $3)
                 ON CONFLICT (id_key) DO UPDATE SET slot = excluded.slot, account = excluded.account",
            )
            .bind(id_key(record.job.id))
            .bind(to_i64(record.slot))
            .bind(account_bytes(&record.job))
            .execute(&mut *transaction)
            .await?;
        }
        sqlx::query(
            "INSERT INTO history_scan (name, newest_signature) VALUES ('program', $1)
             ON CONFLICT (name) DO UPDATE SET newest_signature = excluded.newest_signature",
        )
        .bind(newest_signature)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
