//! `wavestack token …`: development tokens, key rotation, client secrets.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use wavestack_adapters::auth::{generate_secret, hash_secret, KeyStore, ScopeSet, Tokens};
use wavestack_domain::value::{ActorId, OrgId};

use crate::config::KeyArgs;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Prints a signed token, for development and scripts.
    Issue(IssueArgs),
    /// Adds a new signing key; tokens signed with older keys stay valid
    /// until they expire, and keys superseded long ago are deleted.
    RotateKey(KeyOnlyArgs),
    /// Prints a new client secret and the hash to configure for it.
    HashSecret(HashSecretArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The org the token acts for.
    #[arg(long)]
    org: String,
    /// Scopes to grant; repeat the flag or separate with spaces.
    #[arg(long = "scope", required = true)]
    scopes: Vec<String>,
    /// The token's subject (who the events will name as actor).
    #[arg(long, default_value = "dev")]
    sub: String,
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Debug, Args)]
pub struct KeyOnlyArgs {
    #[command(flatten)]
    keys: KeyArgs,
}

#[derive(Debug, Args)]
pub struct HashSecretArgs {
    /// Hash this secret instead of generating one.
    #[arg(long, env = "WAVESTACK_CLIENT_SECRET")]
    secret: Option<String>,
}

pub async fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue(args) => {
            let org = OrgId::parse(args.org.clone()).with_context(|| format!("--org `{}`", args.org))?;
            let sub = ActorId::parse(args.sub.clone()).with_context(|| format!("--sub `{}`", args.sub))?;
            let scopes = ScopeSet::parse(&args.scopes.join(" ")).context("--scope")?;
            let tokens = Tokens::new(Arc::new(open_keys(&args.keys).await?), args.keys.token_settings());
            println!("{}", tokens.issue(&sub, &org, &scopes)?.access_token);
        }
        TokenCommand::RotateKey(args) => {
            let keys = open_keys(&args.keys).await?;
            let retire_after = Duration::from_secs(args.keys.token_ttl_seconds * 2 + 60);
            let kid = tokio::task::spawn_blocking(move || keys.rotate(retire_after)).await??;
            println!("{kid}");
        }
        TokenCommand::HashSecret(args) => {
            let secret = args.secret.unwrap_or_else(generate_secret);
            let hash = tokio::task::spawn_blocking(move || (hash_secret(&secret), secret)).await?;
            println!("client_secret = {}", hash.1);
            println!("secret_hash   = {}", hash.0);
        }
    }
    Ok(())
}

async fn open_keys(args: &KeyArgs) -> anyhow::Result<KeyStore> {
    let dir = args.key_dir();
    tokio::task::spawn_blocking(move || KeyStore::open(dir)).await?
}
