//! The data plane over real HTTP with signed requests, on two real backends: a local
//! directory with SQLite records, and an S3-compatible server (s3s-fs, started here)
//! with PostgreSQL records. Every bad request gets its named error and loses nothing.

use std::sync::Arc;

use ignis_client::blob::{BlobClient, BlobError, BlobId, RequestAuth};
use ignis_orchestrator::{
    blobs::{open_object_store, routes, BlobLimits, BlobStore},
    store::Store,
};
use ignis_test_support::{postgres::Postgres, s3::S3Server};
use object_store::ObjectStore;
use solana_keypair::Keypair;
use solana_signer::Signer;

const CHUNK: u64 = 64 << 10;
const LIMITS: BlobLimits =
    BlobLimits { max_blob_bytes: 1 << 20, quota_bytes: 1_200_000, chunk_bytes: CHUNK };

/// Serves the blob API on a free port; returns its base URL.
async fn serve(objects: Arc<dyn ObjectStore>, records_url: &str) -> String {
    let records = Store::open(records_url).await.expect("records open");
    let blobs = Arc::new(BlobStore::new(objects, records, LIMITS));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, routes::router(blobs, Arc::new(|_, _| false))).await
    });
    base
}

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn client(base: &str, keypair: &Arc<Keypair>) -> BlobClient {
    BlobClient::new(base, keypair.clone())
}

fn status(err: BlobError) -> (u16, String) {
    match err {
        BlobError::Api { status, message } => (status, message),
        other => panic!("expected a refusal, got {other}"),
    }
}

/// Everything a user of the data plane meets, against one backend.
async fn the_data_plane_behaves(base: &str) {
    let (alice, bob) = (Arc::new(Keypair::new()), Arc::new(Keypair::new()));
    let (as_alice, as_bob) = (client(base, &alice), client(base, &bob));
    let dir = tempfile::tempdir().unwrap();

    // A three-chunk file goes up with progress, comes back identical, and is listed.
    let data = bytes(150_000, 1);
    let file = dir.path().join("input.npy");
    std::fs::write(&file, &data).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let report = as_alice
        .put_file(&file, &|done, total| seen.lock().unwrap().push((done, total)))
        .await
        .expect("the upload succeeds");
    let id = BlobId::of(&data);
    assert_eq!((report.info.sha256, report.info.size), (id, 150_000));
    assert_eq!((report.chunks_sent, report.chunks_total), (3, 3));
    assert_eq!(seen.lock().unwrap().last(), Some(&(150_000, 150_000)));
    assert_eq!(as_alice.get_bytes(&id).await.unwrap(), data);
    let out = dir.path().join("copy.npy");
    assert_eq!(as_alice.get_file(&id, &out, &|_, _| {}).await.unwrap(), 150_000);
    assert_eq!(std::fs::read(&out).unwrap(), data);
    let listed = as_alice.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].sha256, listed[0].size), (id, 150_000));

    // Idempotent: the same file again sends nothing.
    let again = as_alice.put_file(&file, &|_, _| {}).await.unwrap();
    assert_eq!(again.chunks_sent, 0);

    // Knowing a hash does not let Bob read it, nor own it without sending the bytes.
    let (code, message) = status(as_bob.get_bytes(&id).await.unwrap_err());
    assert_eq!(code, 403, "{message}");
    assert!(message.contains("may not read"), "{message}");
    let state = as_bob.begin_upload(id, 150_000).await.unwrap();
    assert!(!state.complete, "Bob must send the bytes");
    let (code, message) = status(as_bob.complete_upload(&id).await.unwrap_err());
    assert_eq!(code, 409, "{message}");
    assert!(message.contains("[0, 1, 2]"), "{message}");

    // Resumable: an upload cut off after one chunk sends only the other two.
    let big = bytes(200_000, 2);
    let big_id = BlobId::of(&big);
    let state = as_bob.begin_upload(big_id, 200_000).await.unwrap();
    assert_eq!(state.received, Vec::<u64>::new());
    as_bob
        .put_chunk(&big_id, 1, big[CHUNK as usize..2 * CHUNK as usize].to_vec().into())
        .await
        .unwrap();
    let resumed = as_bob.put_bytes(&big).await.unwrap();
    assert_eq!((resumed.chunks_sent, resumed.chunks_total), (3, 4));
    assert_eq!(as_bob.get_bytes(&big_id).await.unwrap(), big);

    // A chunk of the wrong length, or past the end, is refused before it is stored.
    let other = bytes(100_000, 3);
    let other_id = BlobId::of(&other);
    as_bob.begin_upload(other_id, 100_000).await.unwrap();
    let (code, message) =
        status(as_bob.put_chunk(&other_id, 1, vec![0; 10].into()).await.unwrap_err());
    assert_eq!(code, 400);
    assert!(message.contains("must hold 34464 bytes, not 10"), "{message}");
    let (code, message) =
        status(as_bob.put_chunk(&other_id, 2, vec![0; 10].into()).await.unwrap_err());
    assert_eq!(code, 400);
    assert!(message.contains("past the end"), "{message}");

    // Corrupt: chunks whose bytes are not the named blob are discarded; what is stored
    // (Alice's blob, with the same size) is untouched.
    let corrupt = bytes(150_000, 9);
    let state = as_bob.begin_upload(id, 150_000).await.unwrap();
    for index in 0..3u64 {
        let start = (index * CHUNK) as usize;
        let end = (start + CHUNK as usize).min(corrupt.len());
        as_bob.put_chunk(&id, index, corrupt[start..end].to_vec().into()).await.unwrap();
    }
    assert!(!state.complete);
    let (code, message) = status(as_bob.complete_upload(&id).await.unwrap_err());
    assert_eq!(code, 422, "{message}");
    assert!(message.contains(&BlobId::of(&corrupt).to_string()), "{message}");
    assert_eq!(as_alice.get_bytes(&id).await.unwrap(), data, "the stored blob is intact");
    let (code, _) = status(as_bob.complete_upload(&id).await.unwrap_err());
    assert_eq!(code, 404, "the corrupt upload is gone");
    // Bob uploading the real bytes then owns it too.
    as_bob.put_bytes(&data).await.unwrap();
    assert_eq!(as_bob.get_bytes(&id).await.unwrap(), data);

    // Oversize and over quota: refused before any byte is sent.
    let (code, message) =
        status(as_alice.begin_upload(BlobId::of(b"x"), 2 << 20).await.unwrap_err());
    assert_eq!(code, 413);
    assert!(message.contains("at most 1048576 bytes"), "{message}");
    // Bob holds 150,000 + 200,000 and has 100,000 in progress: 1,000,000 more is too much.
    let (code, message) =
        status(as_bob.begin_upload(BlobId::of(b"y"), 1_000_000).await.unwrap_err());
    assert_eq!(code, 403);
    assert!(message.contains("quota (450000 of 1200000 bytes in use)"), "{message}");
    // A claimed size that differs from the stored blob's.
    let (code, _) = status(as_bob.begin_upload(id, 149_999).await.unwrap_err());
    assert_eq!(code, 400);

    // Unknown and malformed hashes.
    let unknown = BlobId::of(b"never stored");
    let (code, message) = status(as_alice.get_bytes(&unknown).await.unwrap_err());
    assert_eq!(code, 404);
    assert!(message.contains("no blob has SHA-256"), "{message}");
    let http = reqwest::Client::new();
    let signed = |keypair: &Keypair, path: &str, now: i64| {
        let auth = RequestAuth::sign(keypair, "GET", path, b"", now);
        let mut request = http.get(format!("{base}{path}"));
        for (name, value) in auth.headers() {
            request = request.header(name, value);
        }
        request
    };
    let now = ignis_client::blob::unix_now();
    let response = signed(&alice, "/api/blobs/not-a-hash", now).send().await.unwrap();
    assert_eq!(response.status(), 400);

    // Unsigned, stale, and signed by one key while claiming another: 401.
    let path = format!("/api/blobs/{id}");
    let response = http.get(format!("{base}{path}")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("not signed"));
    let response = signed(&alice, &path, now - 3_600).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("clock"));
    let mallory = Keypair::new();
    let mut forged = RequestAuth::sign(&mallory, "GET", &path, b"", now);
    forged.signer = alice.pubkey();
    let mut request = http.get(format!("{base}{path}"));
    for (name, value) in forged.headers() {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_data_plane_on_a_local_directory_and_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}/objects", dir.path().display());
    let objects = open_object_store(&url, &[]).expect("the directory opens");
    let records = format!("sqlite://{}/records.sqlite", dir.path().display());
    let base = serve(objects, &records).await;
    the_data_plane_behaves(&base).await;

    // Bit rot on disk: the download is refused and nothing is written.
    let keypair = Arc::new(Keypair::new());
    let data = bytes(1_000, 5);
    let id = client(&base, &keypair).put_bytes(&data).await.unwrap().info.sha256;
    std::fs::write(dir.path().join(format!("objects/blobs/{id}")), bytes(1_000, 6)).unwrap();
    let out = dir.path().join("rotten");
    let err = client(&base, &keypair).get_file(&id, &out, &|_, _| {}).await.unwrap_err();
    assert!(matches!(err, BlobError::HashMismatch { expected, .. } if expected == id), "{err}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| { e.as_ref().unwrap().file_name().to_string_lossy().contains("partial") })
            .count(),
        0,
        "no partial download left behind"
    );
}

#[tokio::test]
async fn the_data_plane_on_s3_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = S3Server::start(dir.path(), &["ignis-blobs"]).await;
    let objects =
        open_object_store("s3://ignis-blobs/deployment-a", &s3.options()).expect("S3 opens");
    let postgres = Postgres::start();
    let base = serve(objects, &postgres.database("blobs")).await;
    the_data_plane_behaves(&base).await;
    // The blobs really are in the S3 server's bucket, under the prefix.
    let stored = std::fs::read_dir(dir.path().join("ignis-blobs/deployment-a/blobs"))
        .unwrap()
        .filter(|entry| {
            entry.as_ref().unwrap().file_name().to_string_lossy().parse::<BlobId>().is_ok()
        })
        .count();
    assert_eq!(stored, 2, "Alice's and Bob's blobs, each once");
}
