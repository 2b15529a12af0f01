//! The job history database, on embedded SQLite and on a real PostgreSQL server (from
//! Debian's package, started here): the same queries give the same answers on both.

use anchor_lang::prelude::Pubkey;
use ignis::state::{Job, JobKind, JobStatus};
use ignis_client::{
    events::JobPosted,
    history::{JobEvent, JobRecord},
};
use ignis_orchestrator::store::{ClosedJob, JobFilter, Store};
use ignis_test_support::postgres::Postgres;

fn job(id: u64, poster: Pubkey, posted_at: i64, status: JobStatus, reward: u64) -> Job {
    let posted = JobEvent::Posted(JobPosted {
        job_id: id,
        poster,
        kind: JobKind::Pow { difficulty: 8 },
        reward,
        replicas: 1,
        expires_at: posted_at + 600,
        posted_at,
    });
    let mut job = JobRecord::apply(None, &posted, 1).expect("a record").job;
    job.status = status;
    job
}

fn ids(page: &[ClosedJob]) -> Vec<(i64, u64)> {
    page.iter().map(ClosedJob::cursor).collect()
}

/// Everything the orchestrator asks of the database, against one backend.
async fn the_history_behaves(url: &str) {
    let store = Store::open(url).await.expect("the database opens");
    let mint = Pubkey::new_unique();
    store.bind_deployment(&mint).await.unwrap();
    store.bind_deployment(&mint).await.expect("the same deployment again");
    let other = store.bind_deployment(&Pubkey::new_unique()).await.unwrap_err().to_string();
    assert!(other.contains("another deployment"), "{other}");

    let (alice, bob) = (Pubkey::new_unique(), Pubkey::new_unique());
    let closed: Vec<ClosedJob> = [
        job(7, alice, 100, JobStatus::Completed, 5),
        job(3, bob, 100, JobStatus::Refunded, 11),
        job(u64::MAX, alice, 100, JobStatus::Completed, 2),
        job(9, bob, 150, JobStatus::Cancelled, 13),
        // Id 7 again, posted after the first closed.
        job(7, bob, 200, JobStatus::Completed, 17),
    ]
    .into_iter()
    .enumerate()
    .map(|(slot, job)| ClosedJob { job, slot: 10 + slot as u64 })
    .collect();
    assert_eq!(store.save_closed(&closed).await.unwrap(), 5);
    assert_eq!(store.save_closed(&closed[1..3]).await.unwrap(), 0, "saved once");

    let totals = store.totals().await.unwrap();
    let counts = &totals.by_status;
    assert_eq!((counts.completed, counts.refunded, counts.cancelled, counts.open), (3, 1, 1, 0));
    assert_eq!(totals.volume, 5 + 2 + 17, "completed rewards only, each once");

    // Pages of two, newest posted first, ids (all of u64) in order within a time.
    let mut all = vec![];
    let mut before = None;
    loop {
        let page = store.page(JobFilter { before, ..JobFilter::default() }, 2).await.unwrap();
        all.extend(ids(&page));
        if page.len() < 2 {
            break;
        }
        before = page.last().map(ClosedJob::cursor);
    }
    assert_eq!(all, vec![(200, 7), (150, 9), (100, u64::MAX), (100, 7), (100, 3)]);

    let by_poster = JobFilter { poster: Some(alice), ..JobFilter::default() };
    assert_eq!(ids(&store.page(by_poster, 10).await.unwrap()), vec![(100, u64::MAX), (100, 7)]);
    let by_status = JobFilter { status: Some(JobStatus::Completed), ..JobFilter::default() };
    assert_eq!(
        ids(&store.page(by_status, 10).await.unwrap()),
        vec![(200, 7), (100, u64::MAX), (100, 7)]
    );
    let latest = store.job(7).await.unwrap().expect("job 7");
    assert_eq!((latest.job.posted_at, latest.job.poster, latest.slot), (200, bob, 14));
    assert!(store.job(8).await.unwrap().is_none());

    // The scan position and the records of jobs open at it.
    assert!(store.scan_state().await.unwrap().newest_signature.is_none());
    let open = JobRecord { job: job(40, alice, 300, JobStatus::Open, 3), closed: false, slot: 33 };
    store.save_scan("5sig", std::slice::from_ref(&open)).await.unwrap();
    store.save_scan("6sig", std::slice::from_ref(&open)).await.unwrap();
    let scan = store.scan_state().await.unwrap();
    assert_eq!(scan.newest_signature.as_deref(), Some("6sig"));
    assert_eq!(scan.open_records.len(), 1);
    assert_eq!((scan.open_records[0].job.id, scan.open_records[0].slot), (40, 33));

    // Another connection (a restart, or another orchestrator) sees all of it.
    let again = Store::open(url).await.unwrap();
    again.bind_deployment(&mint).await.unwrap();
    assert_eq!(again.totals().await.unwrap().volume, 24);
    assert_eq!(again.page(JobFilter::default(), 10).await.unwrap().len(), 5);
}

#[tokio::test]
async fn the_history_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/history.sqlite", dir.path().display());
    the_history_behaves(&url).await;
}

#[tokio::test]
async fn the_history_on_postgres() {
    let postgres = Postgres::start();
    let url = postgres.database("history");
    // Orchestrators that start together create the tables once, without an error.
    let opened = futures::future::join_all((0..4).map(|_| Store::open(&url))).await;
    assert!(opened.iter().all(Result::is_ok), "every one opens");
    the_history_behaves(&url).await;
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_says_which() {
    let Err(err) = Store::open("postgres://ignis:secret@127.0.0.1:9/none").await else {
        panic!("nothing listens on port 9")
    };
    let message = format!("{err:#}");
    assert!(message.contains("cannot open the history database"), "{message}");
    assert!(!message.contains("secret"), "the password stays out of messages: {message}");
}
