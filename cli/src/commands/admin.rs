use anyhow::{bail, Result};
use ignis::state::{EmissionSchedule, Params};
use ignis_client::{
    bootstrap::{self, Genesis},
    pda, token,
};
use serde_json::json;

use crate::{
    amount,
    args::AdminCommand,
    context::{self, Context},
    output::Report,
};

pub async fn run(ctx: &Context, command: AdminCommand) -> Result<Report> {
    match command {
        AdminCommand::Init { decimals, genesis_supply, orchestrator, verifier, token_2022 } => {
            if ctx.client.config().await.is_ok() {
                bail!("Ignis is already initialised on {}: see `ignis status`", ctx.client.url());
            }
            let genesis = amount::parse(&genesis_supply, decimals)?;
            let orchestrator = orchestrator
                .as_deref()
                .map(context::parse_pubkey)
                .transpose()?
                .unwrap_or(ctx.me()?);
            let verifier =
                verifier.as_deref().map(context::parse_pubkey).transpose()?.unwrap_or(ctx.me()?);
            let token_program =
                if token_2022 { token::TOKEN_2022_PROGRAM_ID } else { token::TOKEN_PROGRAM_ID };
            let admin = ctx.me()?;
            let genesis_config = Genesis {
                decimals,
                supply: genesis,
                token_program,
                orchestrator,
                verifier,
                params: Params::default(),
                emission: EmissionSchedule::default(),
            };
            let protocol =
                bootstrap::initialize_protocol(&ctx.client, ctx.signer()?, genesis_config)
                    .await
                    .map_err(context::explain)?;
            let mint = protocol.mint;
            let treasury = token::associated_account(&admin, &mint, &token_program);
            Ok(Report::new(
                json!({
                    "mint": mint.to_string(),
                    "token_program": token_program.to_string(),
                    "config": pda::config().to_string(),
                    "admin": admin.to_string(),
                    "orchestrator": orchestrator.to_string(),
                    "verifier": verifier.to_string(),
                    "genesis_supply": genesis,
                }),
                [
                    format!("Ignis initialised on {}", ctx.client.url()),
                    format!("  IGN mint      {} ({decimals} decimals)", mint),
                    format!("  genesis       {} IGN in {treasury}", amount::format(genesis, decimals)),
                    format!("  orchestrator  {orchestrator}"),
                    format!("  verifier      {verifier}"),
                    "next: stake with `ignis stake AMOUNT`, or fund others with `ignis admin transfer`".into(),
                ],
            ))
        }
        AdminCommand::Transfer { to, amount: text } => {
            let config = ctx.config().await?;
            let to = context::parse_pubkey(&to)?;
            let units = ctx.parse_ign(&config, &text)?;
            let balance = ctx.my_balance(&config).await?;
            if units > balance {
                bail!(
                    "you have {}, not enough to send {}",
                    ctx.ign(&config, balance),
                    ctx.ign(&config, units)
                );
            }
            let destination = token::associated_account(&to, &config.mint, &config.token_program);
            let ixs = [
                token::create_associated_account(
                    &ctx.me()?,
                    &to,
                    &config.mint,
                    &config.token_program,
                ),
                token::transfer(
                    &config.token_program,
                    &ctx.my_token_account(&config)?,
                    &config.mint,
                    &destination,
                    &ctx.me()?,
                    units,
                    config.decimals,
                ),
            ];
            let signature = ctx.send(&ixs).await?;
            Ok(Report::new(
                json!({ "to": to.to_string(), "amount": units, "signature": signature }),
                [format!("sent {} to {to}", ctx.ign(&config, units))],
            ))
        }
    }
}
