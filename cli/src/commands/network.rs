use std::collections::BTreeMap;

use anyhow::{bail, Result};
use ignis::state::{Job, Worker};
use ignis_client::pda;
use serde_json::json;

use super::jobs::status_name;
use crate::{
    context::{self, Context},
    output::Report,
};

pub async fn status(ctx: &Context) -> Result<Report> {
    let config = ctx.config().await?;
    let workers = ctx.client.all::<Worker>(vec![]).await?;
    let jobs = ctx.client.all::<Job>(vec![]).await?;
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, job) in &jobs {
        *by_status.entry(status_name(job.status)).or_default() += 1;
    }
    let accepting = workers.iter().filter(|(_, w)| w.settings.accepting_jobs).count();
    let (t, r) = (&config.totals, &config.rewards);
    let shards = ctx.client.shard_totals().await?;
    let (_, now) = super::chain_now(ctx, &config).await?;
    // The orchestrator's liveness as the program judges it (`claim_job`'s rule).
    let silent = config.check_orchestrator_silent(now).is_ok();
    let orchestrator = format!(
        "  orchestr.  {} heard {} ago{}",
        config.orchestrator,
        super::until(now, config.orchestrator_seen_at),
        if silent {
            format!(
                ": silent for over {}, so workers claim open jobs themselves",
                super::until(config.params.orchestrator_timeout_seconds, 0)
            )
        } else {
            String::new()
        }
    );
    Ok(Report::new(
        json!({
            "url": ctx.client.url(),
            "config": pda::config().to_string(),
            "mint": config.mint.to_string(),
            "paused": config.paused,
            "orchestrator": config.orchestrator.to_string(),
            "orchestrator_seen_at": config.orchestrator_seen_at,
            "workers_claiming": silent,
            "workers": workers.len(),
            "workers_accepting": accepting,
            "jobs": by_status,
            "staked": t.staked,
            "unbonding": t.unbonding,
            "escrowed": shards.escrowed,
            "fees_pending": shards.fees_pending,
            "emitted": r.accrued,
            "min_worker_stake": config.params.min_worker_stake,
            "protocol_fee_bps": config.params.protocol_fee_bps,
        }),
        [
            format!(
                "Ignis on {}{}",
                ctx.client.url(),
                if config.paused { " (PAUSED)" } else { "" }
            ),
            orchestrator,
            format!("  workers    {} registered, {accepting} accepting jobs", workers.len()),
            format!(
                "  jobs       {}",
                if by_status.is_empty() {
                    "none yet".to_string()
                } else {
                    by_status.iter().map(|(s, n)| format!("{n} {s}")).collect::<Vec<_>>().join(", ")
                }
            ),
            format!(
                "  staked     {} ({} unbonding)",
                ctx.ign(&config, t.staked),
                ctx.ign(&config, t.unbonding)
            ),
            format!(
                "  escrowed   {} in {} shards ({} of fees waiting for the crank)",
                ctx.ign(&config, shards.escrowed),
                ignis::constants::SHARDS,
                ctx.ign(&config, shards.fees_pending)
            ),
            format!(
                "  emitted    {} of {}",
                ctx.ign(&config, r.accrued),
                ctx.ign(&config, config.emission.cap)
            ),
            format!(
                "  min stake  {} to run a worker; protocol fee {}%",
                ctx.ign(&config, config.params.min_worker_stake),
                f64::from(config.params.protocol_fee_bps) / 100.0
            ),
        ],
    ))
}

pub async fn airdrop(ctx: &Context, sol: f64, to: Option<String>) -> Result<Report> {
    let url = ctx.client.url();
    if !(url.contains("127.0.0.1") || url.contains("localhost")) {
        bail!("airdrop is for the local network only; {url} is not local");
    }
    let to = match to {
        Some(text) => context::parse_pubkey(&text)?,
        None => ctx.me()?,
    };
    let lamports = (sol * 1e9) as u64;
    let signature = ctx.client.rpc().request_airdrop(&to, lamports).await?;
    // Wait until it lands so the next command can spend it.
    for _ in 0..50 {
        if ctx.client.rpc().get_balance(&to).await? >= lamports {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Ok(Report::new(
        json!({ "to": to.to_string(), "lamports": lamports, "signature": signature.to_string() }),
        [format!("{sol} SOL sent to {to}")],
    ))
}

pub fn keygen(path: &str, force: bool) -> Result<Report> {
    let path = ignis_client::process::expand_home(path);
    if std::path::Path::new(&path).exists() && !force {
        bail!("{path} already exists: pass --force to replace it (its funds would be lost), or choose another --keypair");
    }
    if let Some(dir) = std::path::Path::new(&path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let keypair = solana_keypair::Keypair::new();
    solana_keypair::write_keypair_file(&keypair, &path)
        .map_err(|err| anyhow::anyhow!("cannot write {path}: {err}"))?;
    let key = solana_signer::Signer::pubkey(&keypair);
    Ok(Report::new(
        json!({ "pubkey": key.to_string(), "path": path }),
        [
            format!("wrote {path}"),
            format!("address {key}"),
            "next: `ignis airdrop` on the localnet".to_string(),
        ],
    ))
}
