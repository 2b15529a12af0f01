use anyhow::{bail, Result};
use ignis_client::instructions::{self as ix, Protocol};
use serde_json::json;

use super::{chain_now, when};
use crate::{args::RewardsCommand, context::Context, output::Report};
use ignis_client::events::RewardsClaimed;

pub async fn stake(ctx: &Context, text: &str) -> Result<Report> {
    let config = ctx.config().await?;
    let units = ctx.parse_ign(&config, text)?;
    if units == 0 {
        bail!("stake a positive amount of IGN");
    }
    let balance = ctx.my_balance(&config).await?;
    if units > balance {
        bail!(
            "you have {} and cannot stake {}",
            ctx.ign(&config, balance),
            ctx.ign(&config, units)
        );
    }
    let protocol = Protocol::from_config(&config);
    let signature =
        ctx.send(&[protocol.stake(ctx.me()?, ctx.my_token_account(&config)?, units)]).await?;
    // A deposit is bonded in a later slot than its own, once every shard was synced
    // after it, so that it earns nothing of a fee or slash from before it: bond it as
    // soon as it may be.
    ignis_client::bootstrap::wait_until_bondable(&ctx.client, &protocol, ctx.signer()?, &ctx.me()?)
        .await?;
    ctx.send(&[ix::activate_stake(ctx.me()?)]).await?;
    let staked = ctx.client.stake(&ctx.me()?).await?.map_or(0, |s| s.amount);
    Ok(Report::new(
        json!({ "staked": units, "total": staked, "signature": signature }),
        [format!(
            "staked {}; your bonded stake is now {}",
            ctx.ign(&config, units),
            ctx.ign(&config, staked)
        )],
    ))
}

pub async fn unstake(ctx: &Context, text: &str) -> Result<Report> {
    let config = ctx.config().await?;
    let units = ctx.parse_ign(&config, text)?;
    let bonded = ctx.client.stake(&ctx.me()?).await?.map_or(0, |s| s.amount);
    if units == 0 || units > bonded {
        bail!(
            "your stake is {}: you can unstake between a base unit and all of it",
            ctx.ign(&config, bonded)
        );
    }
    let signature = ctx.send(&[ix::request_unstake(ctx.me()?, units)]).await?;
    let stake = ctx.client.stake(&ctx.me()?).await?.expect("just unstaked");
    Ok(Report::new(
        json!({ "unbonding": stake.unbonding_amount, "unlock_at": stake.unlock_at, "signature": signature }),
        [
            format!(
                "{} is unbonding (stake left: {})",
                ctx.ign(&config, stake.unbonding_amount),
                ctx.ign(&config, stake.amount)
            ),
            format!(
                "withdraw it with `ignis withdraw` {}",
                when(stake.unlock_at, &config, chain_now(ctx, &config).await?.0)
            ),
        ],
    ))
}

pub async fn withdraw(ctx: &Context) -> Result<Report> {
    let config = ctx.config().await?;
    let Some(stake) = ctx.client.stake(&ctx.me()?).await? else {
        bail!("you have never staked: nothing to withdraw");
    };
    if stake.unbonding_amount == 0 {
        bail!("nothing is unbonding: start with `ignis unstake AMOUNT`");
    }
    if let Some(worker) = ctx.client.worker(&ctx.me()?).await?.filter(|w| w.active_jobs > 0) {
        bail!(
            "your worker still has {} live job(s): stake backing live jobs stays until they settle; \
             withdraw once they have (see `ignis worker show`)",
            worker.active_jobs
        );
    }
    let protocol = Protocol::from_config(&config);
    let signature =
        ctx.send(&[protocol.withdraw(ctx.me()?, ctx.my_token_account(&config)?)]).await?;
    Ok(Report::new(
        json!({ "withdrawn": stake.unbonding_amount, "signature": signature }),
        [format!("withdrew {}", ctx.ign(&config, stake.unbonding_amount))],
    ))
}

pub async fn close_stake(ctx: &Context) -> Result<Report> {
    let config = ctx.config().await?;
    let Some(stake) = ctx.client.stake(&ctx.me()?).await? else {
        bail!("you have no stake account: nothing to close");
    };
    if !stake.is_empty(config.rewards.reward_per_share)? {
        bail!(
            "your stake still holds {} bonded, {} activating and {} unbonding: unstake, withdraw and \
             `ignis rewards claim` first",
            ctx.ign(&config, stake.amount),
            ctx.ign(&config, stake.activating_amount),
            ctx.ign(&config, stake.unbonding_amount)
        );
    }
    if ctx.client.worker(&ctx.me()?).await?.is_some_and(|w| w.registered) {
        bail!("your worker is still registered: `ignis worker deregister` first");
    }
    let signature = ctx.send(&[ix::close_stake(ctx.me()?)]).await?;
    Ok(Report::new(
        json!({ "closed": true, "signature": signature }),
        ["closed your stake account; its rent came back".to_string()],
    ))
}

pub async fn rewards(ctx: &Context, command: RewardsCommand) -> Result<Report> {
    let config = ctx.config().await?;
    let stake = ctx.client.stake(&ctx.me()?).await?;
    match command {
        RewardsCommand::Show => {
            let Some(stake) = stake else {
                return Ok(Report::new(
                    json!({ "staked": 0 }),
                    ["you have not staked yet: `ignis stake AMOUNT`".to_string()],
                ));
            };
            let (wall_now, _) = chain_now(ctx, &config).await?;
            // What a claim pays now: rewards booked to the accumulator (the crank books
            // emission and fees every few seconds).
            let claimable = stake.claimable_now(&config).unwrap_or(stake.pending_rewards);
            let mut text = vec![
                format!("staked      {}", ctx.ign(&config, stake.amount)),
                format!(
                    "claimable   {} (claimed so far {})",
                    ctx.ign(&config, claimable),
                    ctx.ign(&config, stake.claimed_total)
                ),
            ];
            if stake.unbonding_amount > 0 {
                text.push(format!(
                    "unbonding   {} (withdrawable {})",
                    ctx.ign(&config, stake.unbonding_amount),
                    when(stake.unlock_at, &config, wall_now)
                ));
            }
            Ok(Report::new(
                json!({
                    "staked": stake.amount,
                    "unbonding": stake.unbonding_amount,
                    "unlock_at": stake.unlock_at,
                    "claimable": claimable,
                    "claimed": stake.claimed_total,
                    "slashed": stake.slashed_total,
                }),
                text,
            ))
        }
        RewardsCommand::Claim => {
            if stake.is_none() {
                bail!("you have not staked, so there is nothing to claim: `ignis stake AMOUNT`");
            }
            let protocol = Protocol::from_config(&config);
            // Fees wait in the shards until synced (the crank does it every few
            // seconds): sync those holding some first, so the claim gets them now.
            let holding_fees = ctx.client.shards().await?;
            let holding_fees = holding_fees.iter().filter(|s| s.fees_pending > 0).map(|s| s.index);
            for batch in protocol.sync_shards(holding_fees) {
                ctx.send(&batch).await?;
            }
            let signature = ctx
                .send(&[protocol.claim_rewards(ctx.me()?, ctx.my_token_account(&config)?)])
                .await?;
            // The program's own account of the claim: other payouts may land alike.
            let events: Vec<RewardsClaimed> =
                ctx.client.transaction_events(&signature.parse()?).await?;
            let claimed: u64 = events.iter().map(|event| event.amount).sum();
            Ok(Report::new(
                json!({ "claimed": claimed, "signature": signature }),
                [format!("claimed {}", ctx.ign(&config, claimed))],
            ))
        }
    }
}
