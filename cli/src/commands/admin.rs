use anyhow::{bail, Result};
use ignis::state::{EmissionSchedule, Params};
use ignis_client::{instructions::Protocol, pda, token};
use serde_json::json;
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::{amount, args::AdminCommand, context::{self, Context}, output::Report};

pub async fn run(ctx: &Context, command: AdminCommand) -> Result<Report> {
    match command {
        AdminCommand::Init { decimals, genesis_supply, orchestrator, verifier, token_2022 } => {
            if ctx.client.config().await.is_ok() {
                bail!("Ignis is already initialised on {}: see `ignis status`", ctx.client.url());
            }
            let genesis = amount::parse(&genesis_supply, decimals)?;
            let orchestrator = orchestrator.as_deref().map(context::parse_pubkey).transpose()?.unwrap_or(ctx.me()?);
            let verifier = verifier.as_deref().map(context::parse_pubkey).transpose()?.unwrap_or(ctx.me()?);
            let token_program = if token_2022 { token::TOKEN_2022_PROGRAM_ID } else { token::TOKEN_PROGRAM_ID };
            let mint = Keypair::new();
            let admin = ctx.me()?;
            let treasury = token::associated_account(&admin, &mint.pubkey(), &token_program);
            let rent = ctx.client.rpc().get_minimum_balance_for_rent_exemption(token::MINT_LEN as usize).await?;

            // The mint, the admin's genesis supply, then the mint authority to the protocol.
            let mut setup = token::create_mint(&admin, &mint.pubkey(), &admin, decimals, &token_program, rent);
            setup.push(token::create_associated_account(&admin, &admin, &mint.pubkey(), &token_program));
            if genesis > 0 {
                setup.push(token::mint_to(&token_program, &mint.pubkey(), &treasury, &admin, genesis));
            }
            setup.push(token::set_mint_authority(&token_program, &mint.pubkey(), &admin, &pda::emission()));
            ctx.client.send(&setup, &[ctx.signer()?, &mint]).await.map_err(context::explain)?;

            let protocol = Protocol::new(mint.pubkey(), token_program);
            let init = protocol.initialize(admin, Params::default(), EmissionSchedule::default(), orchestrator, verifier);
            let signature = ctx.send(&[init]).await?;
            Ok(Report::new(
                json!({
                    "mint": mint.pubkey().to_string(),
                    "token_program": token_program.to_string(),
                    "config": pda::config().to_string(),
                    "admin": admin.to_string(),
                    "orchestrator": orchestrator.to_string(),
                    "verifier": verifier.to_string(),
                    "genesis_supply": genesis,
                    "signature": signature,
                }),
                [
                    format!("Ignis initialised on {}", ctx.client.url()),
                    format!("  IGN mint      {} ({decimals} decimals)", mint.pubkey()),
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
                bail!("you have {}, not enough to send {}", ctx.ign(&config, balance), ctx.ign(&config, units));
            }
            let destination = token::associated_account(&to, &config.mint, &config.token_program);
            let ixs = [
                token::create_associated_account(&ctx.me()?, &to, &config.mint, &config.token_program),
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

