//! What the worker found, on disk: one small JSON file per job, replaced atomically
//! (write a temp file, fsync, rename), so that a worker killed at any moment restarts
//! with every found nonce and every committed result's salt, and submits them instead
//! of redoing the work or losing it.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub job_id: u64,
    /// The job's seed when the work started: a job re-posted under the same id with
    /// another seed is new work.
    pub seed: [u8; 32],
    pub progress: Progress,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Progress {
    /// Nonces below `next_nonce` hold no answer.
    Searching { next_nonce: u64 },
    /// Found, not yet accepted on chain.
    Found { nonce: u64 },
    /// A kernel result and the salt of its commitment, saved before committing so
    /// that the reveal is never lost.
    Computed { result_hash: [u8; 32], salt: [u8; 32] },
    /// The commitment is on chain; reveal once the job allows it.
    Committed { result_hash: [u8; 32], salt: [u8; 32] },
}

pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the journal directory {}", dir.display()))?;
        Ok(Journal { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, job_id: u64) -> PathBuf {
        self.dir.join(format!("job-{job_id}.json"))
    }

    pub fn get(&self, job_id: u64) -> Result<Option<Entry>> {
        match std::fs::read(self.path(job_id)) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("corrupt journal entry {}", self.path(job_id).display())
            })?)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => {
                Err(err).with_context(|| format!("cannot read {}", self.path(job_id).display()))
            }
        }
    }

    /// Replaces the job's entry; after this returns, the entry survives a crash.
    pub fn save(&self, entry: &Entry) -> Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        file.write_all(&serde_json::to_vec_pretty(entry)?)?;
        file.as_file().sync_all()?;
        file.persist(self.path(entry.job_id))?;
        // The rename itself must reach the disk too.
        std::fs::File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    pub fn remove(&self, job_id: u64) -> Result<()> {
        match std::fs::remove_file(self.path(job_id)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err.into()),
            _ => Ok(()),
        }
    }

    /// Every job with an entry (unreadable files are skipped with a warning).
    pub fn job_ids(&self) -> Result<Vec<u64>> {
        let mut ids = Vec::new();
        for file in std::fs::read_dir(&self.dir)? {
            let name = file?.file_name();
            let name = name.to_string_lossy();
            if let Some(id) = name.strip_prefix("job-").and_then(|rest| rest.strip_suffix(".json"))
            {
                match id.parse() {
                    Ok(id) => ids.push(id),
                    Err(_) => {
                        tracing::warn!(file = %name, "ignoring a file that is not a journal entry")
                    }
                }
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_replace() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        assert_eq!(journal.get(7).unwrap(), None);
        let mut entry = Entry {
            job_id: 7,
            seed: [3; 32],
            progress: Progress::Searching { next_nonce: 1 << 20 },
        };
        journal.save(&entry).unwrap();
        entry.progress = Progress::Found { nonce: 99 };
        journal.save(&entry).unwrap();
        assert_eq!(journal.get(7).unwrap(), Some(entry));
        assert_eq!(journal.job_ids().unwrap(), vec![7]);
        journal.remove(7).unwrap();
        journal.remove(7).unwrap();
        assert!(journal.job_ids().unwrap().is_empty());
    }

    #[test]
    fn a_corrupt_entry_is_an_error_not_a_silent_restart() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path()).unwrap();
        std::fs::write(dir.path().join("job-5.json"), b"{not json").unwrap();
        assert!(journal.get(5).is_err());
    }
}
