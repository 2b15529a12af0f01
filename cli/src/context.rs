//! What every command needs: the cluster, the signer, and the deployment it talks to.

use anchor_lang::prelude::Pubkey;
use anyhow::{anyhow, Context as _, Result};
use ignis_client::{
    accounts::Config,
    process::expand_home,
    rpc::{ClientError, ComputeBudget, IgnisClient},
    token,
};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::amount;

pub struct Context {
    pub client: IgnisClient,
    /// Loaded at start, but only required by commands that sign or speak for "you":
    /// reading the network needs no keypair.
    keypair: std::result::Result<Keypair, String>,
}

impl Context {
    pub fn new(url: &str, keypair_path: &str, budget: ComputeBudget) -> Self {
        let path = expand_home(keypair_path);
        let keypair = solana_keypair::read_keypair_file(&path).map_err(|err| {
            format!(
                "cannot read the keypair at {path}: {err}\n\
                 create one with `ignis keygen` (or `solana-keygen new -o {path}`), or pass --keypair FILE"
            )
        });
        Context { client: IgnisClient::new(url).with_compute_budget(budget), keypair }
    }

    /// The signing keypair; an error that says how to get one if there is none.
    pub fn signer(&self) -> Result<&Keypair> {
        self.keypair.as_ref().map_err(|message| anyhow!("{message}"))
    }

    pub fn me(&self) -> Result<Pubkey> {
        Ok(self.signer()?.pubkey())
    }

    /// The protocol's config; a missing one means nobody ran `ignis admin init` here.
    pub async fn config(&self) -> Result<Config> {
        match self.client.config().await {
            Err(ClientError::NotFound { .. }) => Err(anyhow!(
                "the Ignis protocol is not initialised on {}: run `ignis admin init` there first",
                self.client.url()
            )),
            other => Ok(other?),
        }
    }

    /// This signer's IGN token account (its associated token account).
    pub fn my_token_account(&self, config: &Config) -> Result<Pubkey> {
        Ok(token::associated_account(&self.me()?, &config.mint, &config.token_program))
    }

    /// IGN balance of this signer, 0 if it has no token account yet.
    pub async fn my_balance(&self, config: &Config) -> Result<u64> {
        let data = self.client.account_data(&self.my_token_account(config)?).await?;
        Ok(data.as_deref().and_then(token::balance_of).unwrap_or(0))
    }

    pub fn ign(&self, config: &Config, units: u64) -> String {
        format!("{} IGN", amount::format(units, config.decimals))
    }

    pub fn parse_ign(&self, config: &Config, text: &str) -> Result<u64> {
        amount::parse(text, config.decimals)
    }

    pub async fn send(
        &self,
        instructions: &[anchor_lang::solana_program::instruction::Instruction],
    ) -> Result<String> {
        let signature = self.client.send(instructions, &[self.signer()?]).await.map_err(explain)?;
        Ok(signature.to_string())
    }
}

/// Turns a client error into a message that says what to do next.
pub fn explain(err: ClientError) -> anyhow::Error {
    use anchor_lang::error::ErrorCode as Anchor;
    use ignis::errors::IgnisError as E;
    let hint = match (err.ignis_error(), err.anchor_error()) {
        (Some(E::ProtocolPaused), _) => {
            Some("the admin has paused the protocol; try again once it is resumed")
        }
        (Some(E::StakeBelowMinimum), _) => {
            Some("stake more with `ignis stake AMOUNT` (see `ignis status` for the minimum)")
        }
        (Some(E::InsufficientStake), _) => Some("see your stake with `ignis rewards show`"),
        (Some(E::UnbondingNotElapsed), _) => Some("see when it unlocks with `ignis rewards show`"),
        (Some(E::NothingUnbonding), _) => Some("start unbonding first with `ignis unstake AMOUNT`"),
        (Some(E::NothingToClaim), _) => Some("rewards accrue over time while you stake"),
        (Some(E::JobNotOpen | E::JobHasAssignments), _) => {
            Some("see the job's state with `ignis job show ID`")
        }
        (Some(E::NotOrchestrator), _) => {
            Some("only the orchestrator key may assign: pass it with --keypair")
        }
        (_, Some(Anchor::AccountNotInitialized)) => {
            Some("an account this needs does not exist yet (not staked? not registered?)")
        }
        _ => None,
    };
    match hint {
        Some(hint) => anyhow!("{err}\n{hint}"),
        None => anyhow!("{err}"),
    }
}

/// A pubkey argument, with a message a person can act on.
pub fn parse_pubkey(text: &str) -> Result<Pubkey> {
    text.parse().with_context(|| format!("`{text}` is not a Solana address (base58, 32 bytes)"))
}
