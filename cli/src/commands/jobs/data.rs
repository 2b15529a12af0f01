//! Jobs on the poster's data: `job post --kernel` checks the files here (a bad file is
//! refused before anything is paid), uploads them to the data plane and names them in
//! the job; `job result` downloads the output and checks it against its hash and the
//! Merkle root the job settled on before writing it.

use std::{path::Path, sync::Arc};

use anyhow::{anyhow, bail, Context as _, Result};
use ignis::{
    constants::{KERNEL_GEMM_I8, KERNEL_MLP_I8},
    state::{JobKind, JobStatus, TensorSpec},
};
use ignis_client::blob::{blob_ref, BlobClient, BlobId};
use ignis_kernels::tensor_job::{self, Shape, TensorInputs};
use serde_json::{json, Value};

use super::{hex, status_name};
use crate::{commands::blobs::bytes_bar, context::Context, output::Report};

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn blob_client(ctx: &Context, api: &str) -> Result<BlobClient> {
    Ok(BlobClient::new(api, Arc::new(ctx.signer()?.insecure_clone())))
}

/// Checks the files of a `--kernel` job, uploads them, and returns the job's spec.
pub async fn prepare(
    ctx: &Context,
    api: &str,
    kernel: &str,
    inputs: &[std::path::PathBuf],
    model: Option<&Path>,
) -> Result<TensorSpec> {
    let files: Vec<&Path> = match (ignis::kernels::kernel_id(kernel), model, inputs) {
        (Some(KERNEL_GEMM_I8), None, [a, b]) => vec![a, b],
        (Some(KERNEL_GEMM_I8), _, _) => {
            bail!("gemm-i8 takes two inputs and no model: --input A.npy --input B.npy")
        }
        (Some(KERNEL_MLP_I8), Some(model), [batch]) => vec![model, batch],
        (Some(KERNEL_MLP_I8), _, _) => {
            bail!("mlp-i8 takes a model and one input: --model model.safetensors --input batch.npy")
        }
        _ => bail!("`{kernel}` is not a kernel that runs on your data: choose gemm-i8 or mlp-i8"),
    };
    let kernel_id = ignis::kernels::kernel_id(kernel).expect("matched above");
    let bytes = [read(files[0])?, read(files[1])?];
    let names = [files[0].display().to_string(), files[1].display().to_string()];
    let parsed = TensorInputs::parse(kernel_id, [&bytes[0], &bytes[1]], [&names[0], &names[1]])?;
    let spec = parsed.spec([blob_ref(&bytes[0]), blob_ref(&bytes[1])]);
    spec.validate().map_err(|err| anyhow!("this job is outside the protocol's bounds: {err}"))?;
    let client = blob_client(ctx, api)?;
    for file in &files {
        let bar = bytes_bar(&file.display().to_string());
        client
            .put_file(file, &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await
            .map_err(|err| anyhow!("uploading {}: {err}", file.display()))?;
        bar.finish_and_clear();
    }
    Ok(spec)
}

/// `ignis job result ID --out FILE`.
pub async fn result(ctx: &Context, id: u64, out: &Path, api: &str) -> Result<Report> {
    let job = ctx.client.job(id).await?.ok_or_else(|| {
        anyhow!("there is no job #{id} on chain (a settled job's account is closed after its retention)")
    })?;
    let JobKind::Tensor { spec } = job.kind else {
        bail!("job #{id} is not a gemm-i8 or mlp-i8 job: it has no output to download");
    };
    if job.status != JobStatus::Completed {
        bail!(
            "job #{id} is {}: its output is ready once it completes (`ignis job show {id}`)",
            status_name(job.status)
        );
    }
    let root = hex(&job.result_hash);
    let url = format!("{}/api/jobs/{id}/outputs", api.trim_end_matches('/'));
    let outputs: Vec<Value> = reqwest::get(&url)
        .await
        .and_then(|response| response.error_for_status())
        .map_err(|err| anyhow!("cannot reach the orchestrator at {api}: {err} (pass --api URL)"))?
        .json()
        .await?;
    let sha256: BlobId = outputs
        .iter()
        .find(|output| output["root"] == root.as_str() && output["postedAt"] == job.posted_at)
        .and_then(|output| output["sha256"].as_str()?.parse().ok())
        .ok_or_else(|| {
            anyhow!("the orchestrator at {api} holds no output of job #{id} with its root {root}: no replica uploaded it there")
        })?;
    let npy = blob_client(ctx, api)?.get_bytes(&sha256).await?;
    let values =
        tensor_job::read_output(&npy, Shape::from(&spec), &job.result_hash).map_err(|err| {
            anyhow!(
                "the downloaded output of job #{id} does not check out: {err}; nothing was written"
            )
        })?;
    std::fs::write(out, &npy).with_context(|| format!("cannot write {}", out.display()))?;
    let cols = spec.row_bytes as usize / 4;
    let mut json = json!({
        "id": id, "out": out.display().to_string(), "sha256": sha256.to_string(),
        "root": root, "rows": spec.rows, "cols": cols,
    });
    let mut text = vec![format!(
        "wrote {} ({} x {} int32; SHA-256 and Merkle root checked)",
        out.display(),
        spec.rows,
        cols
    )];
    if spec.kernel == KERNEL_MLP_I8 {
        let predictions = tensor_job::predictions(&values, cols);
        let mut counts = vec![0u64; cols];
        for class in &predictions {
            counts[*class as usize] += 1;
        }
        json["predictions"] = json!(predictions);
        text.push(format!("predicted classes (count per class): {counts:?}"));
    }
    Ok(Report::new(json, text))
}
