//! `ignis blob put|get|ls`: the data plane from the command line, with progress bars.

use std::sync::Arc;

use anyhow::{Context as _, Result};
use ignis_client::blob::{BlobClient, BlobError, BlobId};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::{
    args::{BlobArgs, BlobCommand},
    context::Context,
    output::Report,
};

pub async fn run(ctx: &Context, args: BlobArgs) -> Result<Report> {
    let client = BlobClient::new(&args.api, Arc::new(ctx.signer()?.insecure_clone()));
    let explain = |err: BlobError| {
        match &err {
        BlobError::Http { .. } => anyhow::anyhow!(
            "{err}\nis the orchestrator running? start the network with `ignis up`, or pass --api URL"
        ),
        _ => anyhow::anyhow!(err),
    }
    };
    match args.command {
        BlobCommand::Put { files } => {
            let mut json_rows = Vec::new();
            let mut text = Vec::new();
            for file in files {
                let bar = bytes_bar(&format!("{}", file.display()));
                let report = client
                    .put_file(&file, &|done, total| {
                        bar.set_length(total);
                        bar.set_position(done);
                    })
                    .await
                    .map_err(explain)
                    .with_context(|| format!("uploading {}", file.display()))?;
                bar.finish_and_clear();
                let info = &report.info;
                let how = if report.chunks_total > 0 && report.chunks_sent == 0 {
                    "already stored".to_string()
                } else {
                    format!("{} of {} chunks sent", report.chunks_sent, report.chunks_total)
                };
                text.push(format!(
                    "{}  {}  {} bytes ({how})",
                    info.sha256,
                    file.display(),
                    info.size
                ));
                json_rows.push(json!({
                    "file": file.display().to_string(),
                    "sha256": info.sha256.to_string(),
                    "size": info.size,
                    "chunksSent": report.chunks_sent,
                    "chunksTotal": report.chunks_total,
                }));
            }
            Ok(Report::new(json!(json_rows), text))
        }
        BlobCommand::Get { sha256, out } => {
            let id: BlobId = sha256.parse()?;
            let bar = bytes_bar(&id.to_string()[..12]);
            let size = client
                .get_file(&id, &out, &|done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await
                .map_err(explain)?;
            bar.finish_and_clear();
            Ok(Report::new(
                json!({ "sha256": id.to_string(), "size": size, "out": out.display().to_string() }),
                [format!("wrote {} ({size} bytes, SHA-256 checked)", out.display())],
            ))
        }
        BlobCommand::Ls => {
            let blobs = client.list().await.map_err(explain)?;
            let text = if blobs.is_empty() {
                vec!["no blobs stored by this key: upload one with `ignis blob put FILE`".into()]
            } else {
                blobs
                    .iter()
                    .map(|blob| {
                        let when = chrono::DateTime::from_timestamp(blob.created_at, 0)
                            .map(|date| date.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                            .unwrap_or_default();
                        format!("{}  {:>12} bytes  {when}", blob.sha256, blob.size)
                    })
                    .collect()
            };
            Ok(Report::new(serde_json::to_value(&blobs)?, text))
        }
    }
}

/// A progress bar on stderr (hidden when it is not a terminal).
pub(crate) fn bytes_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    bar
}
