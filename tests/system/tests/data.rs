//! Useful work through the whole network as separate processes: posters upload their
//! data (the digits model and test set, random int8 matrices of awkward shapes) to the
//! data plane and post 200 gemm-i8 and mlp-i8 jobs with one to three replicas; workers download the
//! inputs, compute and commit to the Merkle root of their output; the verifier checks
//! the uploaded outputs and attests. Every output the poster downloads matches a local
//! reference byte for byte, and the network's digit predictions score what the local
//! quantized model scores. A worker that changes one output row is caught and slashed.

use std::{collections::HashMap, sync::Arc, time::Duration};

use anchor_lang::prelude::Pubkey;
use ignis::{
    constants::{KERNEL_GEMM_I8, KERNEL_MLP_I8},
    instructions::PostJobArgs,
    state::{Job, JobKind, JobStatus, TensorSpec, Worker},
};
use ignis_client::blob::{blob_ref, BlobClient, BlobId};
use ignis_kernels::{
    tensor_job::{self, TensorInputs},
    tensors::{self, MatrixI8},
};
use ignis_system_tests::{one_network_at_a_time, wait_for, Network, IGN};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::Value;
use solana_keypair::Keypair;

const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/digits");

fn example(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIGITS}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn random_matrix(rng: &mut StdRng, rows: usize, cols: usize) -> Vec<u8> {
    let data = (0..rows * cols).map(|_| rng.gen()).collect();
    tensors::npy_matrix_i8(&MatrixI8 { rows, cols, data })
}

/// A job to post: its kernel and its two input files.
struct DataJob {
    kernel: u8,
    inputs: [Vec<u8>; 2],
    replicas: u8,
}

impl DataJob {
    fn parsed(&self) -> TensorInputs {
        TensorInputs::parse(self.kernel, [&self.inputs[0], &self.inputs[1]], ["a", "b"])
            .expect("valid inputs")
    }

    /// Uploads the inputs as `poster` and returns the job's spec.
    async fn upload(&self, blobs: &BlobClient) -> TensorSpec {
        for input in &self.inputs {
            blobs.put_bytes(input).await.expect("upload");
        }
        self.parsed().spec([blob_ref(&self.inputs[0]), blob_ref(&self.inputs[1])])
    }
}

/// Posts `jobs` with ids from `first`, uploading their inputs first.
async fn post(
    network: &Network,
    poster: &Keypair,
    first: u64,
    jobs: &[DataJob],
    execution_seconds: i64,
) {
    let blobs = BlobClient::new(&network.api_url, Arc::new(poster.insecure_clone()));
    let mut specs = Vec::new();
    for job in jobs {
        specs.push(job.upload(&blobs).await);
    }
    network
        .post(poster, first, jobs.len() as u64, |id| {
            let index = (id - first) as usize;
            PostJobArgs {
                job_id: id,
                kind: JobKind::Tensor { spec: specs[index] },
                client_seed: [index as u8; 32],
                reward: IGN,
                replicas: jobs[index].replicas,
                execution_seconds,
                ttl_seconds: 3_600,
            }
        })
        .await;
}

/// Downloads job `job`'s output as its poster, checked against the settled root.
async fn download(network: &Network, poster: &Keypair, job: &Job) -> Vec<i32> {
    let JobKind::Tensor { spec } = job.kind else { panic!("a tensor job") };
    let outputs: Value = reqwest::get(format!("{}/api/jobs/{}/outputs", network.api_url, job.id))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let root: String = job.result_hash.iter().map(|b| format!("{b:02x}")).collect();
    let sha256: BlobId = outputs
        .as_array()
        .unwrap()
        .iter()
        .find(|output| output["root"] == root.as_str())
        .and_then(|output| output["sha256"].as_str()?.parse().ok())
        .unwrap_or_else(|| panic!("job {} has its output kept: {outputs}", job.id));
    let blobs = BlobClient::new(&network.api_url, Arc::new(poster.insecure_clone()));
    let npy = blobs.get_bytes(&sha256).await.expect("the poster reads its output");
    tensor_job::read_output(&npy, tensor_job::Shape::from(&spec), &job.result_hash)
        .expect("the output checks out")
}

async fn worker_account(network: &Network, operator: &Pubkey) -> Worker {
    network.client.worker(operator).await.unwrap().expect("a worker")
}

#[tokio::test(flavor = "multi_thread")]
async fn posters_data_through_the_network_comes_back_right_and_a_lying_worker_is_slashed() {
    let _turn = one_network_at_a_time().await;
    let dir = tempfile::tempdir().unwrap();
    let mut network = Network::start(3, dir.path()).await;
    let poster = network.poster(10_000).await;
    let mut rng = StdRng::seed_from_u64(14);

    // 200 jobs: the digits test set through the network, slices of it, and gemm-i8 on
    // random shapes, awkward ones included (m = 1, n = 1, k not a multiple of 4), with
    // one to three replicas.
    let model = example("model.safetensors");
    let digits = tensors::read_npy_matrix_i8("digits", &example("test_inputs.npy")).unwrap();
    let mut jobs = vec![DataJob {
        kernel: KERNEL_MLP_I8,
        inputs: [model.clone(), example("test_inputs.npy")],
        replicas: 2,
    }];
    for _ in 0..19 {
        let rows = rng.gen_range(1..=60);
        let start = rng.gen_range(0..=digits.rows - rows);
        let data = digits.data[start * 64..(start + rows) * 64].to_vec();
        jobs.push(DataJob {
            kernel: KERNEL_MLP_I8,
            inputs: [model.clone(), tensors::npy_matrix_i8(&MatrixI8 { rows, cols: 64, data })],
            replicas: rng.gen_range(1..=3),
        });
    }
    let awkward = [(1, 5, 3), (7, 13, 1), (33, 64, 17), (4, 3, 9), (1, 1, 1), (20, 31, 6)];
    for index in 0..180 {
        let (m, k, n) = awkward.get(index).copied().unwrap_or_else(|| {
            (rng.gen_range(1..=40), rng.gen_range(1..=70), rng.gen_range(1..=40))
        });
        jobs.push(DataJob {
            kernel: KERNEL_GEMM_I8,
            inputs: [random_matrix(&mut rng, m, k), random_matrix(&mut rng, k, n)],
            replicas: rng.gen_range(1..=3),
        });
    }
    assert_eq!(jobs.len(), 200);
    let first = 1_000;
    post(&network, &poster, first, &jobs, 120).await;
    let settled = network.settled(first, jobs.len() as u64, Duration::from_secs(600)).await;
    let by_id: HashMap<u64, &Job> = settled.iter().map(|job| (job.id, job)).collect();
    for (index, data_job) in jobs.iter().enumerate() {
        let job = by_id[&(first + index as u64)];
        assert_eq!(job.status, JobStatus::Completed, "job {} completed", job.id);
        let expected = data_job.parsed().run_reference();
        assert_eq!(
            download(&network, &poster, job).await,
            expected,
            "job {} byte for byte",
            job.id
        );
    }

    // The network's predictions on the digits test set score what the local model does.
    let mlp = by_id[&first];
    let logits = download(&network, &poster, mlp).await;
    let predictions = tensor_job::predictions(&logits, 10);
    let labels: Vec<u8> =
        npyz::NpyFile::new(&example("test_labels.npy")[..]).unwrap().into_vec().unwrap();
    let right = predictions.iter().zip(&labels).filter(|(p, l)| **p == u32::from(**l)).count();
    let reported: Value = serde_json::from_slice(&example("accuracy.json")).unwrap();
    let accuracy = right as f64 / labels.len() as f64;
    assert!((accuracy - reported["quantized_accuracy"].as_f64().unwrap()).abs() < 1e-6);
    eprintln!(
        "digits through the network: {right} of {} right ({:.2}%)",
        labels.len(),
        accuracy * 100.0
    );

    // Nobody else reads the poster's data or output.
    let stranger = BlobClient::new(&network.api_url, Arc::new(Keypair::new()));
    let input = BlobId::of(&jobs[0].inputs[1]);
    assert_eq!(stranger.get_bytes(&input).await.unwrap_err().status(), Some(403));

    // A lying worker: only worker 0 runs, changing one row of each output. Its mlp-i8
    // job has fewer rows than the verifier samples, so the changed row is opened and
    // recomputed (the chance per check for larger batches is the formula's, shown in the
    // kernels' tests); its gemm-i8 job fails Freivalds' test.
    network.kill_worker(1);
    network.kill_worker(2);
    network.restart_worker(0, Some("wrong-row"));
    let liar = network.operators[0];
    let before = worker_account(&network, &liar).await;
    let stake_before = network.client.stake(&liar).await.unwrap().unwrap();
    let small_batch = MatrixI8 { rows: 40, cols: 64, data: digits.data[..40 * 64].to_vec() };
    let lies = [
        DataJob {
            kernel: KERNEL_MLP_I8,
            inputs: [model.clone(), tensors::npy_matrix_i8(&small_batch)],
            replicas: 1,
        },
        DataJob {
            kernel: KERNEL_GEMM_I8,
            inputs: [random_matrix(&mut rng, 16, 24), random_matrix(&mut rng, 24, 8)],
            replicas: 1,
        },
    ];
    let first_lie = 2_000;
    // A short execution window: the liar's last assignment expires soon after it is
    // stopped, and honest workers take the job.
    post(&network, &poster, first_lie, &lies, 20).await;
    let caught = wait_for("both lies disputed", Duration::from_secs(180), async || {
        let worker = network.client.worker(&liar).await.ok()??;
        (worker.jobs_disputed >= before.jobs_disputed + 2).then_some(worker)
    })
    .await;
    assert_eq!(caught.jobs_completed, before.jobs_completed, "no lie was paid");
    let stake_after = network.client.stake(&liar).await.unwrap().unwrap();
    assert!(stake_after.amount < stake_before.amount, "the liar's stake was slashed");
    eprintln!(
        "the liar lost {} base units of stake and earned nothing",
        stake_before.amount - stake_after.amount
    );

    // Honest workers take the re-queued jobs and complete them right.
    network.kill_worker(0);
    network.restart_worker(1, None);
    network.restart_worker(2, None);
    let settled = network.settled(first_lie, lies.len() as u64, Duration::from_secs(300)).await;
    for (index, lie) in lies.iter().enumerate() {
        let job = settled.iter().find(|job| job.id == first_lie + index as u64).unwrap();
        assert_eq!(job.status, JobStatus::Completed);
        assert_eq!(download(&network, &poster, job).await, lie.parsed().run_reference());
    }
    network.audit().await;
}
