//! One module per command group; each returns a report to print.

mod admin;
mod jobs;
mod network;
mod staking;
mod up;
mod workers;

use anyhow::Result;

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

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
