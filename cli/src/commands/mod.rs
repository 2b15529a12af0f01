//! One module per command group; each returns a report to print.

mod admin;
mod blobs;
mod jobs;
mod network;
mod staking;
mod up;
mod workers;

use anyhow::Result;
use ignis_client::accounts::Config;

use crate::{args::Command, context::Context, output::Report};

pub async fn run(ctx: &Context, keypair_path: &str, command: Command) -> Result<Report> {
    match command {
        Command::Keygen { force } => network::keygen(keypair_path, force),
        Command::Admin(command) => admin::run(ctx, command).await,
        Command::Stake { amount } => staking::stake(ctx, &amount).await,
        Command::Unstake { amount } => staking::unstake(ctx, &amount).await,
        Command::Withdraw => staking::withdraw(ctx).await,
        Command::CloseStake => staking::close_stake(ctx).await,
        Command::Rewards(command) => staking::rewards(ctx, command).await,
        Command::Worker(command) => workers::run(ctx, command).await,
        Command::Job(command) => jobs::run(ctx, command).await,
        Command::Status => network::status(ctx).await,
        Command::Airdrop { sol, to } => network::airdrop(ctx, sol, to).await,
        Command::Up(args) => up::up(args).await,
        Command::Blob(args) => blobs::run(ctx, args).await,
    }
}

/// How long until `unix_time`, for people ("2h 5m").
pub fn until(unix_time: i64, now: i64) -> String {
    let seconds = (unix_time - now).max(0);
    match (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60, seconds % 60) {
        (0, 0, 0, s) => format!("{s}s"),
        (0, 0, m, s) => format!("{m}m {s}s"),
        (0, h, m, _) => format!("{h}h {m}m"),
        (d, h, _, _) => format!("{d}d {h}h"),
    }
}

/// The chain's clocks now: (wall, protocol). Program times (deadlines, unlock times)
/// are on the protocol clock, which stands still while the protocol is paused.
pub async fn chain_now(ctx: &Context, config: &Config) -> Result<(i64, i64)> {
    let (_, wall) = ctx.client.clock().await?;
    Ok((wall, config.clock_at(wall)))
}

/// A protocol-clock time for people: how far off it is, and the UTC date it falls on
/// if the protocol is not paused meanwhile.
pub fn when(at: i64, config: &Config, wall_now: i64) -> String {
    let now = config.clock_at(wall_now);
    let relative = if at >= now {
        format!("in {}", until(at, now))
    } else {
        format!("{} ago", until(now, at))
    };
    let wall = at.saturating_add(wall_now - now);
    match chrono::DateTime::from_timestamp(wall, 0) {
        Some(date) => format!("{relative}, {}", date.format("%Y-%m-%d %H:%M:%S UTC")),
        None => relative,
    }
}
