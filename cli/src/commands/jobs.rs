use anyhow::{bail, Result};
use ignis::{
    constants::KERNEL_MATMUL_U32,
    instructions::PostJobArgs,
    state::{Job, JobKind, JobStatus},
};
use ignis_client::{
    accounts::Config,
    instructions::{self as ix, Protocol},
    pda,
    rpc::{ClientError, InstructionError, SystemError, TransactionError},
    token,
};
use serde_json::json;

mod data;

use crate::{
    args::JobCommand,
    context::{self, Context},
    output::Report,
};

pub fn status_name(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Open => "open",
        JobStatus::Running => "running",
        JobStatus::Completed => "completed",
        JobStatus::Cancelled => "cancelled",
        JobStatus::Refunded => "refunded",
        JobStatus::Revealing => "revealing",
        JobStatus::Challenge => "challenge",
    }
}

fn kind_name(kind: JobKind) -> String {
    match kind {
        JobKind::Pow { difficulty } => format!("pow-sha256 difficulty {difficulty}"),
        JobKind::Kernel { size, .. } => format!("matmul-u32 {size}x{size}"),
        JobKind::Tensor { spec } => format!(
            "{} {} rows",
            ignis::kernels::kernel_name(spec.kernel).unwrap_or("tensor"),
            spec.rows
        ),
    }
}

fn job_json(job: &Job) -> serde_json::Value {
    json!({
        "id": job.id,
        "address": pda::job(job.id).to_string(),
        "poster": job.poster.to_string(),
        "kind": kind_name(job.kind),
        "status": status_name(job.status),
        "reward": job.reward,
        "replicas": job.replicas,
        "assigned": job.live_assignments().iter().map(|a| a.worker.to_string()).collect::<Vec<_>>(),
        "posted_at": job.posted_at,
        "expires_at": job.expires_at,
        "completed_at": job.completed_at,
        "result_hash": hex(&job.result_hash),
        "sla": job.sla.map(|sla| json!({
            "compensation_bps": sla.compensation_bps,
            "min_uptime_bps": sla.min_uptime_bps,
            "premium": sla.premium,
        })),
    })
}

/// What an SLA costs and guarantees now, in words (`Config::sla_premium`,
/// `Config::sla_min_compensation`).
fn sla_lines(ctx: &Context, config: &Config, replicas: u8, premium: u64) -> Result<Vec<String>> {
    let params = &config.params;
    Ok(vec![
        format!(
            "SLA: premium {} (priced from the network's {:.2}% challenge uptime), to the stakers",
            ctx.ign(config, premium),
            f64::from(config.network_uptime.uptime_bps) / 100.0
        ),
        format!(
            "  if its worker misses the deadline you receive at least {} per missed replica \
             ({}% of the worker's slash), automatically; {replicas} replica(s)",
            ctx.ign(config, config.sla_min_compensation()?),
            f64::from(params.sla_compensation_bps) / 100.0
        ),
        format!(
            "  only workers that proved their hardware with {:.0}% uptime or more take it",
            f64::from(params.sla_min_uptime_bps) / 100.0
        ),
    ])
}

fn job_line(ctx: &Context, config: &Config, job: &Job) -> String {
    format!(
        "#{:<6} {:<10} {:<28} {:>14}  {}/{} assigned",
        job.id,
        status_name(job.status),
        kind_name(job.kind),
        ctx.ign(config, job.reward),
        job.assigned,
        job.replicas
    )
}

/// Posts `count` copies of `job` (fresh ids, all in one shard), as many to a
/// `post_jobs` as fit a transaction, one transaction after another; a batch whose id
/// is taken (its job account exists) goes again with fresh ids.
async fn post_many(
    ctx: &Context,
    config: &Config,
    protocol: &Protocol,
    job: PostJobArgs,
    count: usize,
) -> Result<Report> {
    let (me, token) = (ctx.me()?, ctx.my_token_account(config)?);
    let budget = ctx.client.compute_budget();
    let with_ids = |ids: Vec<u64>| -> Vec<PostJobArgs> {
        ids.into_iter().map(|job_id| PostJobArgs { job_id, ..job }).collect()
    };
    let batches =
        ignis_client::rpc::batches(&me, &budget, with_ids(ix::fresh_job_ids(count)), |batch| {
            protocol.post_jobs(me, token, batch)
        });
    let (mut ids, mut signatures) = (Vec::with_capacity(count), vec![]);
    for (done, mut batch) in batches.into_iter().enumerate() {
        let mut tries = 0;
        let signature = loop {
            match ctx.client.send(&[protocol.post_jobs(me, token, &batch)], &[ctx.signer()?]).await
            {
                Err(ClientError::Transaction(TransactionError::InstructionError(
                    _,
                    InstructionError::Custom(code),
                ))) if code == SystemError::AccountAlreadyInUse as u32 && tries < 5 => {
                    tracing::debug!("a job id was taken; picking others");
                    tries += 1;
                    batch = with_ids(ix::fresh_job_ids(batch.len()));
                }
                // The batches sent so far stay posted: the error says which.
                Err(err) if ids.is_empty() => return Err(context::explain(err)),
                Err(err) => {
                    return Err(context::explain(err).context(format!(
                        "posted {} of the {count} jobs before this ({ids:?}); they stay posted",
                        ids.len()
                    )))
                }
                Ok(signature) => break signature,
            }
        };
        ids.extend(batch.iter().map(|args| args.job_id));
        signatures.push(signature.to_string());
        tracing::info!(posted = ids.len(), count, transactions = done + 1, "posting");
    }
    let total = job.reward.saturating_mul(count as u64);
    Ok(Report::new(
        json!({
            "ids": ids,
            "signatures": signatures,
            "kind": kind_name(job.kind),
            "reward": job.reward,
        }),
        [
            format!(
                "posted {count} jobs ({}), reward {} each, {} escrowed, in {} transaction(s)",
                kind_name(job.kind),
                ctx.ign(config, job.reward),
                ctx.ign(config, total),
                signatures.len()
            ),
            format!("ids: {}", ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
        ],
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn run(ctx: &Context, command: JobCommand) -> Result<Report> {
    let config = ctx.config().await?;
    let protocol = Protocol::from_config(&config);
    match command {
        JobCommand::Post {
            pow,
            matmul,
            kernel,
            inputs,
            model,
            api,
            replicas,
            reward,
            execution_seconds,
            ttl_seconds,
            count,
            sla,
            dry_run,
        } => {
            let reward = ctx.parse_ign(&config, &reward)?;
            if sla && count > 1 {
                bail!("--sla posts one job at a time: leave out --count, or post without --sla");
            }
            // The SLA's price and guarantee, by the program's own rules, before paying.
            let premium = if sla { config.sla_premium(replicas)? } else { 0 };
            let guarantee = sla.then(|| sla_lines(ctx, &config, replicas, premium)).transpose()?;
            if dry_run {
                let mut text = vec![format!(
                    "posting would escrow {} x {count}{}",
                    ctx.ign(&config, reward),
                    if sla {
                        format!(" and pay a premium of {}", ctx.ign(&config, premium))
                    } else {
                        String::new()
                    }
                )];
                text.extend(guarantee.clone().unwrap_or_default());
                return Ok(Report::new(
                    json!({ "reward": reward, "count": count, "sla_premium": sla.then_some(premium),
                            "sla_min_compensation": sla.then(|| config.sla_min_compensation().unwrap_or(0)) }),
                    text,
                ));
            }
            let balance = ctx.my_balance(&config).await?;
            let total = reward.saturating_mul(u64::from(count)).saturating_add(premium);
            if total > balance && count == 1 {
                bail!(
                    "you have {} and cannot escrow a reward of {}",
                    ctx.ign(&config, balance),
                    ctx.ign(&config, reward)
                );
            }
            if total > balance {
                bail!(
                    "you have {} and cannot escrow {} ({count} jobs at {} each)",
                    ctx.ign(&config, balance),
                    ctx.ign(&config, total),
                    ctx.ign(&config, reward)
                );
            }
            let kind = match (pow, matmul, kernel) {
                (Some(difficulty), _, _) => JobKind::Pow { difficulty },
                (None, Some(size), _) => JobKind::Kernel { kernel: KERNEL_MATMUL_U32, size },
                (None, None, Some(kernel)) => {
                    let spec = data::prepare(ctx, &api, &kernel, &inputs, model.as_deref()).await?;
                    JobKind::Tensor { spec }
                }
                (None, None, None) => bail!(
                    "say what to compute: --pow DIFFICULTY, --matmul N, or --kernel gemm-i8|mlp-i8 with its files"
                ),
            };
            if count > 1 {
                let job = PostJobArgs {
                    job_id: 0,
                    kind,
                    client_seed: rand::random(),
                    reward,
                    replicas,
                    execution_seconds,
                    ttl_seconds,
                };
                return post_many(ctx, &config, &protocol, job, usize::from(count)).await;
            }
            // The poster picks the id; in the unlikely case it is taken, pick another.
            for _ in 0..5 {
                let job_id = ix::fresh_job_id();
                let args = PostJobArgs {
                    job_id,
                    kind,
                    client_seed: rand::random(),
                    reward,
                    replicas,
                    execution_seconds,
                    ttl_seconds,
                };
                let (me, token) = (ctx.me()?, ctx.my_token_account(&config)?);
                let mut instructions = vec![protocol.post_job(me, token, args)];
                if sla {
                    // In the same transaction: bought before anyone can be assigned.
                    instructions.push(protocol.buy_sla(me, job_id, token, premium));
                }
                match ctx.client.send(&instructions, &[ctx.signer()?]).await {
                    // The id is taken (its job account exists): pick another.
                    Err(ClientError::Transaction(TransactionError::InstructionError(
                        _,
                        InstructionError::Custom(code),
                    ))) if code == SystemError::AccountAlreadyInUse as u32 => {
                        tracing::debug!(job_id, "job id taken; picking another");
                        continue;
                    }
                    Err(err) => return Err(context::explain(err)),
                    Ok(signature) => {
                        let job = ctx.client.job(job_id).await?.expect("just posted");
                        let mut json = job_json(&job);
                        json["signature"] = signature.to_string().into();
                        let mut text = vec![format!(
                            "posted job #{job_id}: {}, reward {} escrowed",
                            kind_name(kind),
                            ctx.ign(&config, reward)
                        )];
                        text.extend(guarantee.unwrap_or_default());
                        text.push(format!("follow it with `ignis job show {job_id}`"));
                        return Ok(Report::new(json, text));
                    }
                }
            }
            bail!("other posters kept taking the next job id; try again")
        }
        JobCommand::Result { id, out, api } => data::result(ctx, id, &out, &api).await,
        JobCommand::Cancel { id } => {
            let signature = ctx
                .send(&[protocol.cancel_job(ctx.me()?, id, ctx.my_token_account(&config)?)])
                .await?;
            Ok(Report::new(
                json!({ "id": id, "signature": signature }),
                [format!("cancelled job #{id}; its escrow is back")],
            ))
        }
        JobCommand::Refund { id } => {
            let Some(job) = ctx.client.job(id).await? else { bail!("there is no job #{id}") };
            let poster_token =
                token::associated_account(&job.poster, &config.mint, &config.token_program);
            let signature = ctx.send(&[protocol.refund_job(id, poster_token)]).await?;
            Ok(Report::new(
                json!({ "id": id, "signature": signature }),
                [format!("refunded {} to the poster of job #{id}", ctx.ign(&config, job.reward))],
            ))
        }
        JobCommand::Close { id } => {
            let Some(job) = ctx.client.job(id).await? else {
                bail!("there is no job #{id} (closed already, or never posted)")
            };
            let now = config.clock_at(ctx.client.clock().await?.1);
            if !job.closable_at(now, &config.params) {
                bail!(
                    "job #{id} is {}: a job can be closed {} after it completes, is cancelled or refunded",
                    status_name(job.status),
                    super::until(config.params.job_retention_seconds, 0)
                );
            }
            let signature = ctx.send(&[ix::close_job(id, job.poster)]).await?;
            Ok(Report::new(
                json!({ "id": id, "signature": signature }),
                [format!("closed job #{id}; its rent went back to {}", job.poster)],
            ))
        }
        JobCommand::Decline { id } => {
            let signature = ctx.send(&[ix::decline_assignment(ctx.me()?, id)]).await?;
            Ok(Report::new(
                json!({ "id": id, "signature": signature }),
                [format!(
                    "declined job #{id}: it goes back to the queue, and your stake is untouched"
                )],
            ))
        }
        JobCommand::Show { id } => {
            let Some(job) = ctx.client.job(id).await? else { bail!("there is no job #{id}") };
            let (wall_now, _) = super::chain_now(ctx, &config).await?;
            let mut text = vec![job_line(ctx, &config, &job), format!("  poster {}", job.poster)];
            if job.status == JobStatus::Open {
                text.push(format!("  expires {}", super::when(job.expires_at, &config, wall_now)));
            }
            text.extend(job.live_assignments().iter().map(|a| {
                format!(
                    "  worker {} (deadline {})",
                    a.worker,
                    super::when(a.deadline, &config, wall_now)
                )
            }));
            if job.status == JobStatus::Completed {
                text.push(format!("  result {}", hex(&job.result_hash)));
            }
            Ok(Report::new(job_json(&job), text))
        }
        JobCommand::List { status, poster } => {
            let poster = poster.as_deref().map(context::parse_pubkey).transpose()?;
            // Filter on the poster in getProgramAccounts itself (it follows the id).
            let filters = poster
                .map(|p| vec![ignis_client::rpc::memcmp_after_discriminator(8, p.as_ref())])
                .unwrap_or_default();
            let mut jobs: Vec<Job> =
                ctx.client.all::<Job>(filters).await?.into_iter().map(|(_, job)| job).collect();
            if let Some(wanted) = status {
                jobs.retain(|job| status_name(job.status) == wanted.to_lowercase());
            }
            // Oldest posted first (ids are the posters' random picks, not an order).
            jobs.sort_by_key(|job| (job.posted_at, job.id));
            let text = if jobs.is_empty() {
                vec!["no jobs".to_string()]
            } else {
                jobs.iter().map(|job| job_line(ctx, &config, job)).collect()
            };
            Ok(Report::new(json!(jobs.iter().map(job_json).collect::<Vec<_>>()), text))
        }
        JobCommand::Assign { id, worker } => {
            let operator = context::parse_pubkey(&worker)?;
            if config.orchestrator != ctx.me()? {
                bail!(
                    "only the orchestrator ({}) may assign jobs: pass its keypair with --keypair",
                    config.orchestrator
                );
            }
            let signature = ctx.send(&[ix::assign_job(ctx.me()?, id, operator)]).await?;
            Ok(Report::new(
                json!({ "id": id, "worker": operator.to_string(), "signature": signature }),
                [format!("assigned job #{id} to {operator}")],
            ))
        }
        JobCommand::SubmitPow { id, nonce } => {
            let signature = ctx
                .send(&[protocol.submit_pow(ctx.me()?, id, ctx.my_token_account(&config)?, nonce)])
                .await?;
            let job = ctx.client.job(id).await?.expect("exists");
            Ok(Report::new(
                json!({ "id": id, "nonce": nonce, "hash": hex(&job.result_hash), "signature": signature }),
                [format!("job #{id} completed and paid; hash {}", hex(&job.result_hash))],
            ))
        }
    }
}
