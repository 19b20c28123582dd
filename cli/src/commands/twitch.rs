//! `wavestack twitch connect`: an operator connects a Twitch channel from
//! the command line, as an owner does from the dashboard's Connections
//! page, for a deployment run headless.
//!
//! The command prints Twitch's authorize address and waits on a loopback
//! address for Twitch to send the browser back with the code (the
//! authorization-code flow with `state`; register the loopback URL with the
//! application beside the dashboard's). The account that authorizes is the
//! channel and the bot's voice. The connection is an event of the channel
//! whose actor is `operator:cli`; the tokens go sealed to
//! `platform_connections` with the deployment's secret from the key
//! directory, where `wavestack up` finds them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use tokio::sync::mpsc;
use wavestack_adapters::auth::KeyStore;
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::platform_auth::twitch::TwitchOAuth;
use wavestack_adapters::platform_connections::PlatformConnections;
use wavestack_app::connections::connect_twitch_with_code;
use wavestack_app::App;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, OrgId, Timestamp};

use super::connect_and_migrate;
use crate::config::{DatabaseArgs, KeyArgs, TwitchArgs};

/// How long the command waits for the browser to come back.
const WAIT_FOR_CONSENT: Duration = Duration::from_secs(600);

#[derive(Debug, Subcommand)]
pub enum TwitchCommand {
    /// Connects the channel of the Twitch account that authorizes in the
    /// browser.
    Connect(Box<ConnectArgs>),
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[arg(long)]
    org: String,
    /// Where Twitch sends the browser back: a loopback address this command
    /// listens on, registered with the application as a redirect URL.
    #[arg(long, env = "WAVESTACK_TWITCH_CLI_REDIRECT_URL", default_value = "http://localhost:17563/twitch/callback")]
    redirect_url: reqwest::Url,
    #[command(flatten)]
    twitch: TwitchArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    database: DatabaseArgs,
}

pub async fn run(command: TwitchCommand) -> anyhow::Result<()> {
    let TwitchCommand::Connect(args) = command;
    let args = *args;
    let org = OrgId::parse(args.org.clone()).with_context(|| format!("--org `{}`", args.org))?;
    let client_id = args.twitch.twitch_client_id.clone().context("--twitch-client-id (WAVESTACK_TWITCH_CLIENT_ID)")?;
    let secret =
        args.twitch.twitch_client_secret.as_ref().context("--twitch-client-secret (WAVESTACK_TWITCH_CLIENT_SECRET)")?;
    let host = args.redirect_url.host_str().context("--redirect-url names no host")?;
    anyhow::ensure!(
        matches!(host, "localhost" | "127.0.0.1" | "[::1]"),
        "--redirect-url must be a loopback address: the browser comes back to this command"
    );
    let port = args.redirect_url.port_or_known_default().context("--redirect-url names no port")?;
    let oauth = TwitchOAuth::new(
        args.twitch.twitch_id_url.clone(),
        client_id,
        secret.expose().to_owned(),
        args.redirect_url.clone(),
    );

    let pool = connect_and_migrate(&args.database).await?;
    let dir = args.keys.key_dir();
    let keys = tokio::task::spawn_blocking(move || KeyStore::open(dir)).await??;
    let store = PlatformConnections::new(pool.clone(), &keys.secret("platform-tokens")?);
    let app = App::new(pool.clone(), Arc::new(CommandBus::new(pool.clone(), Policies::default())));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("listening on 127.0.0.1:{port} for Twitch's redirect"))?;
    // Unguessable (the OS's randomness): it ties the redirect to this run.
    let state = uuid::Uuid::new_v4().simple().to_string();
    println!("Open this address in a browser signed in to Twitch as the channel (the bot speaks as it):");
    println!("{}", oauth.authorize_url(&state));
    let code = tokio::time::timeout(WAIT_FOR_CONSENT, back_from_twitch(listener, args.redirect_url.path(), &state))
        .await
        .context("no answer from the browser within ten minutes")??;
    let metadata = EventMetadata::initiated(
        org,
        ActorId::parse("operator:cli").expect("an actor id"),
        Timestamp::from_datetime(time::OffsetDateTime::now_utc()),
    );
    let channel = connect_twitch_with_code(&app, &store, &oauth, &metadata, &code)
        .await
        .map_err(|refused| anyhow::anyhow!("the channel was not connected: {}", refused.code()))?;
    println!("Connected twitch/{channel} for {}. A running `wavestack up` joins it within seconds.", metadata.org);
    pool.close().await;
    Ok(())
}

/// Serves the redirect until one carries `state`: its code, or why Twitch
/// gave none. Other requests (a favicon, a stale tab) are answered 404.
async fn back_from_twitch(listener: tokio::net::TcpListener, path: &str, state: &str) -> anyhow::Result<String> {
    let (tx, mut rx) = mpsc::channel::<Result<String, String>>(1);
    let expected = state.to_owned();
    let route = move |axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>| {
        let (tx, expected) = (tx.clone(), expected.clone());
        async move {
            if query.get("state") != Some(&expected) {
                return (axum::http::StatusCode::BAD_REQUEST, "This is not the authorization this command started.");
            }
            let outcome = match (query.get("code"), query.get("error")) {
                (Some(code), _) => Ok(code.clone()),
                (None, Some(error)) => Err(format!("Twitch answered `{error}`")),
                (None, None) => Err("Twitch sent no code".to_owned()),
            };
            let page = if outcome.is_ok() {
                "Authorized. The command line finishes connecting; you can close this page."
            } else {
                "Not authorized; see the command line."
            };
            let _ = tx.send(outcome).await;
            (axum::http::StatusCode::OK, page)
        }
    };
    let app = axum::Router::new().route(path, axum::routing::get(route));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let outcome = rx.recv().await.context("the redirect listener stopped")?;
    // The page was answered before the outcome was taken; let it finish.
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.abort();
    outcome.map_err(anyhow::Error::msg)
}
