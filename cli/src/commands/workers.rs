use anyhow::{bail, Result};
use ignis::{
    constants::{KERNEL_MATMUL_U32, KERNEL_POW_SHA256},
    kernels::{kernel_id, kernel_names, KERNEL_NAMES},
    state::{GpuInfo, Worker, WorkerSettings},
};
use ignis_client::{accounts::Config, instructions as ix, pda};
use serde_json::json;

use crate::{
    args::{WorkerCommand, WorkerFlags},
    context::{self, Context},
    output::Report,
};

fn kernel_mask(names: &[String]) -> Result<u32> {
    names.iter().try_fold(0u32, |mask, name| {
        let Some(id) = kernel_id(name.trim()) else {
            let known: Vec<&str> = KERNEL_NAMES.iter().map(|(_, name)| *name).collect();
            bail!("unknown kernel `{name}`: choose from {}", known.join(", "));
        };
        Ok(mask | 1 << id)
    })
}

/// `base` with every flag that was given applied on top.
fn apply(
    ctx: &Context,
    config: &Config,
    base: WorkerSettings,
    flags: WorkerFlags,
) -> Result<WorkerSettings> {
    let settings = WorkerSettings {
        gpu: GpuInfo {
            model: flags.gpu.unwrap_or(base.gpu.model),
            vram_mb: flags.vram_mb.unwrap_or(base.gpu.vram_mb),
            compute_capability: flags.compute_capability.unwrap_or(base.gpu.compute_capability),
        },
        supported_kernels: match flags.kernels {
            Some(names) => kernel_mask(&names)?,
            None => base.supported_kernels,
        },
        hashrate: flags.hashrate.unwrap_or(base.hashrate),
        min_price: match flags.min_price {
            Some(text) => ctx.parse_ign(config, &text)?,
            None => base.min_price,
        },
        max_concurrent_jobs: flags.max_jobs.unwrap_or(base.max_concurrent_jobs),
        accepting_jobs: flags.accepting.unwrap_or(base.accepting_jobs),
    };
    if settings.supports(KERNEL_MATMUL_U32) && settings.gpu.vram_mb == 0 {
        bail!(
            "this worker would advertise 0 MiB of memory, so no matmul-u32 job would ever \
             fit: pass --vram-mb with the memory it has"
        );
    }
    Ok(settings)
}

fn describe(ctx: &Context, config: &Config, worker: &Worker) -> (serde_json::Value, Vec<String>) {
    let s = &worker.settings;
    (
        json!({
            "address": pda::worker(&worker.operator).to_string(),
            "operator": worker.operator.to_string(),
            "gpu": s.gpu.model, "vram_mb": s.gpu.vram_mb, "compute_capability": s.gpu.compute_capability,
            "kernels": kernel_names(s.supported_kernels), "hashrate": s.hashrate,
            "min_price": s.min_price, "max_concurrent_jobs": s.max_concurrent_jobs, "accepting_jobs": s.accepting_jobs,
            "active_jobs": worker.active_jobs, "jobs_completed": worker.jobs_completed,
            "jobs_missed": worker.jobs_missed, "jobs_disputed": worker.jobs_disputed,
            "slashed_total": worker.slashed_total, "earned_total": worker.earned_total,
            "proven_hashrate": worker.capacity.proven_hashrate,
            "rated_hashrate": worker.effective_hashrate(),
            "uptime_bps": worker.capacity.uptime_bps(),
            "challenges_answered": worker.capacity.challenges_answered,
            "challenges_missed": worker.capacity.challenges_missed,
            "suspended": worker.capacity.suspended(),
            "sla_breaches": worker.capacity.sla_breaches,
            "compute_hours": worker.capacity.compute_hours(),
        }),
        vec![
            format!("worker {} (operator {})", pda::worker(&worker.operator), worker.operator),
            format!(
                "  gpu         {} ({} MiB, cc {})",
                s.gpu.model, s.gpu.vram_mb, s.gpu.compute_capability
            ),
            format!("  kernels     {}", kernel_names(s.supported_kernels).join(", ")),
            format!(
                "  hashrate    claimed {} H/s, proven {} H/s, rated {} H/s (what it is assigned by){}",
                s.hashrate,
                worker.capacity.proven_hashrate,
                worker.effective_hashrate(),
                if worker.capacity.suspended() {
                    "; SUSPENDED: it missed its last 3 challenges"
                } else {
                    ""
                }
            ),
            format!(
                "  uptime      {:.1}% ({} challenges answered, {} missed); {:.2} compute-hours served, {} SLA breaches",
                f64::from(worker.capacity.uptime_bps()) / 100.0,
                worker.capacity.challenges_answered,
                worker.capacity.challenges_missed,
                worker.capacity.compute_hours(),
                worker.capacity.sla_breaches
            ),
            format!(
                "  min price   {} per replica; up to {} jobs at once",
                ctx.ign(config, s.min_price),
                s.max_concurrent_jobs
            ),
            format!("  accepting   {}; active jobs {}", s.accepting_jobs, worker.active_jobs),
            format!(
                "  record      {} completed, {} missed, {} disputed; earned {}, slashed {}",
                worker.jobs_completed,
                worker.jobs_missed,
                worker.jobs_disputed,
                ctx.ign(config, worker.earned_total),
                ctx.ign(config, worker.slashed_total)
            ),
        ],
    )
}

pub async fn run(ctx: &Context, command: WorkerCommand) -> Result<Report> {
    let config = ctx.config().await?;
    match command {
        WorkerCommand::Register(flags) => {
            if ctx.client.worker(&ctx.me()?).await?.is_some() {
                bail!("you already have a worker: change it with `ignis worker update`");
            }
            let staked = ctx.client.stake(&ctx.me()?).await?.map_or(0, |s| s.amount);
            let minimum = config.params.min_worker_stake;
            if staked < minimum {
                bail!(
                    "stake is {}, the minimum to register is {}: run `ignis stake {}`",
                    ctx.ign(&config, staked),
                    ctx.ign(&config, minimum),
                    crate::amount::format(minimum - staked, config.decimals)
                );
            }
            // The program assigns only jobs a worker can finish at its published
            // hashrate and fit in its memory: measure this machine's CPU for what the
            // flags leave out.
            let measure_hashrate = flags.hashrate.is_none();
            let (measured_hashrate, memory_mb) = tokio::task::spawn_blocking(move || {
                let cpu =
                    ignis_kernels::backend::select(ignis_kernels::backend::BackendChoice::Cpu)?;
                let hashrate = measure_hashrate.then(|| {
                    ignis_kernels::bench::measure_hashrate(
                        cpu.as_ref(),
                        std::time::Duration::from_millis(300),
                    )
                });
                Ok::<_, ignis_kernels::backend::KernelError>((hashrate, cpu.info().memory_mb()))
            })
            .await??;
            let hashrate = flags.hashrate.or(measured_hashrate).unwrap_or_default();
            let defaults = WorkerSettings {
                gpu: GpuInfo { model: "cpu".into(), vram_mb: memory_mb, compute_capability: 0 },
                supported_kernels: 1 << KERNEL_POW_SHA256,
                hashrate,
                min_price: 0,
                max_concurrent_jobs: 1,
                accepting_jobs: true,
            };
            let settings = apply(ctx, &config, defaults, flags)?;
            let signature = ctx.send(&[ix::register_worker(ctx.me()?, settings)]).await?;
            let worker = ctx.client.worker(&ctx.me()?).await?.expect("just registered");
            let (mut json, mut text) = describe(ctx, &config, &worker);
            json["signature"] = signature.into();
            text.insert(0, "registered".into());
            Ok(Report::new(json, text))
        }
        WorkerCommand::Update(flags) => {
            let Some(worker) = ctx.client.worker(&ctx.me()?).await? else {
                bail!("you have no worker yet: `ignis worker register`");
            };
            let settings = apply(ctx, &config, worker.settings, flags)?;
            let signature = ctx.send(&[ix::update_worker(ctx.me()?, settings)]).await?;
            let worker = ctx.client.worker(&ctx.me()?).await?.expect("exists");
            let (mut json, text) = describe(ctx, &config, &worker);
            json["signature"] = signature.into();
            Ok(Report::new(json, text))
        }
        WorkerCommand::Deregister => {
            let Some(worker) = ctx.client.worker(&ctx.me()?).await? else {
                bail!("you have no worker to deregister");
            };
            if worker.active_jobs > 0 {
                bail!(
                    "your worker still has {} active job(s): let them finish first",
                    worker.active_jobs
                );
            }
            let signature = ctx.send(&[ix::deregister_worker(ctx.me()?)]).await?;
            Ok(Report::new(
                json!({ "signature": signature }),
                ["worker deregistered: no new jobs; its record stays (`ignis worker close` returns its rent if the record is clean)".to_string()],
            ))
        }
        WorkerCommand::Close => {
            let Some(worker) = ctx.client.worker(&ctx.me()?).await? else {
                bail!("you have no worker to close");
            };
            if worker.registered {
                bail!("your worker is still registered: run `ignis worker deregister` first");
            }
            if worker.check_close().is_err() {
                bail!(
                    "your worker has {} missed, {} disputed job(s) and {} slashed on its record: a worker with faults keeps its account, so the record cannot be wiped",
                    worker.jobs_missed,
                    worker.jobs_disputed,
                    ctx.ign(&config, worker.slashed_total)
                );
            }
            let signature = ctx.send(&[ix::close_worker(ctx.me()?)]).await?;
            Ok(Report::new(
                json!({ "signature": signature }),
                ["worker closed; its rent is back".to_string()],
            ))
        }
        WorkerCommand::Show { operator } => {
            let operator = match operator {
                Some(text) => context::parse_pubkey(&text)?,
                None => ctx.me()?,
            };
            let Some(worker) = ctx.client.worker(&operator).await? else {
                bail!("no worker registered by {operator}");
            };
            let (json, text) = describe(ctx, &config, &worker);
            Ok(Report::new(json, text))
        }
    }
}
