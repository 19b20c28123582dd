//! The gateway role for Twitch: runs every connected Twitch channel that
//! this process holds the lease of, and keeps each one's token alive.
//!
//! - Every few seconds the connections are read again: a channel connected
//!   since is leased (if no other process holds it) and run; a channel
//!   disconnected, or one whose token died, is stopped and let go.
//! - A lease is a Postgres advisory lock on this process's own connection:
//!   a process killed with SIGKILL loses its channels as soon as Postgres
//!   ends its session, and another process takes them at its next look.
//! - Tokens are refreshed ten minutes before they expire and validated
//!   hourly (Twitch requires both); a refused token is renewed at once.
//!   Refreshing changes the token in place: the EventSub session goes on.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use time::OffsetDateTime;
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::leases::Leases;
use wavestack_adapters::platform_auth::twitch::{OAuthError, TwitchOAuth};
use wavestack_adapters::platform_connections::{Connection, PlatformConnections, Tokens};
use wavestack_app::App;
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{ActorId, ChannelId, ChatPlatform, OrgId, Timestamp};

use super::{conduit, Transport, Twitch, TwitchChannel};
use crate::{Brain, ChannelState, Gateway, GatewayError, Secret, TokenSource};

/// How often the connections are read again (and a dead process's
/// channels taken over).
pub const LOOK_EVERY: Duration = Duration::from_secs(5);
/// A token is refreshed this long before it expires.
const REFRESH_AHEAD: Duration = Duration::from_secs(600);
/// Twitch asks apps to validate their tokens hourly.
const VALIDATE_EVERY: Duration = Duration::from_secs(3600);
/// The lease namespace.
const LEASES: &str = "wavestack.gateway:";

/// Everything the role needs.
#[derive(Debug, Clone)]
pub struct TwitchRole {
    pub app: App,
    pub connections: PlatformConnections,
    pub oauth: TwitchOAuth,
    pub twitch: Twitch,
    pub pool: sqlx::PgPool,
}

impl TwitchRole {
    /// Runs until `stop`.
    pub async fn run(self, stop: CancellationToken) -> anyhow::Result<()> {
        let leases = Leases::new(self.pool.clone(), LEASES);
        // Channels heard through the inbox are woken by its doorbells; a
        // conduit's shards run beside the channels.
        let transport = &self.twitch.config.transport;
        let doorbells =
            transport.doorbells().map(|bells| tokio::spawn(bells.clone().listen(self.pool.clone(), stop.clone())));
        let shards = match transport {
            Transport::Conduit(conduit) => {
                let helix = self.twitch.helix(&conduit::app_credentials(conduit));
                let url = self.twitch.session_url();
                Some(tokio::spawn(conduit::run_shards(conduit.clone(), helix, url, self.pool.clone(), stop.clone())))
            }
            _ => None,
        };
        let mut running: HashMap<String, (CancellationToken, JoinHandle<()>)> = HashMap::new();
        loop {
            if !leases.alive().await {
                tracing::warn!("the gateway's leases were lost with their connection; stopping its channels");
                for (_, (cancel, handle)) in running.drain() {
                    cancel.cancel();
                    let _ = handle.await;
                }
            }
            match self.connections.runnable("twitch").await {
                Ok(wanted) => self.look(&leases, &mut running, wanted, &stop).await,
                Err(error) => tracing::warn!(error = %error, "could not read the Twitch connections"),
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(LOOK_EVERY) => {}
            }
        }
        for (_, (cancel, handle)) in running.drain() {
            cancel.cancel();
            let _ = handle.await;
        }
        leases.release_all().await;
        for task in [doorbells, shards].into_iter().flatten() {
            let _ = task.await;
        }
        Ok(())
    }

    async fn look(
        &self,
        leases: &Leases,
        running: &mut HashMap<String, (CancellationToken, JoinHandle<()>)>,
        wanted: Vec<Connection>,
        stop: &CancellationToken,
    ) {
        let keys: HashSet<String> = wanted.iter().map(Connection::key).collect();
        let mut ended = Vec::new();
        for (key, (cancel, handle)) in running.iter() {
            if !keys.contains(key) || handle.is_finished() {
                cancel.cancel();
                ended.push(key.clone());
            }
        }
        for key in ended {
            if let Some((_, handle)) = running.remove(&key) {
                let _ = handle.await;
            }
            if let Err(error) = leases.release(&key).await {
                tracing::warn!(error = %format!("{error:#}"), channel = key, "could not let go of a lease");
            }
        }
        for connection in wanted {
            let key = connection.key();
            if running.contains_key(&key) {
                continue;
            }
            match leases.try_take(&key).await {
                Ok(true) => {
                    tracing::info!(channel = key, "running a Twitch channel");
                    let cancel = stop.child_token();
                    let handle = tokio::spawn(self.clone().run_channel(connection, cancel.clone()));
                    running.insert(key, (cancel, handle));
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(error = %format!("{error:#}"), "could not take a lease"),
            }
        }
    }

    /// One channel until `stop`, or until its token cannot go on.
    async fn run_channel(self, connection: Connection, stop: CancellationToken) {
        let key = connection.key();
        let (Ok(org), Ok(channel)) = (OrgId::parse(&connection.org), ChannelId::parse(&connection.channel)) else {
            tracing::error!(channel = key, "a connection with an org or channel WaveStack cannot name; skipped");
            return;
        };
        let token = Arc::new(StoredToken {
            oauth: self.oauth.clone(),
            store: self.connections.clone(),
            connection: connection.clone(),
            current: RwLock::new((
                connection.tokens.clone(),
                connection.expires_at,
                (connection.expires_at - OffsetDateTime::now_utc()).max(time::Duration::ZERO).unsigned_abs(),
            )),
            renewing: Mutex::new(()),
        });
        let twitch_channel = TwitchChannel::of(&connection, channel.clone(), token.clone());
        let brain = Brain::new(self.app.clone(), org.clone(), ChatPlatform::Twitch);
        let (state_tx, state_rx) = watch::channel(ChannelState::Connecting);
        let local = stop.child_token();
        let keeper = keep_alive(token.clone(), connection.validated_at, local.clone());
        let shown = show_state(self.connections.clone(), connection.clone(), state_rx);
        let gateway = self.twitch.run(twitch_channel, brain, state_tx, local.clone());
        let (ended, dead_token) = tokio::select! {
            ended = gateway => (Some(ended), None),
            dead = keeper => (None, Some(dead)),
        };
        local.cancel();
        shown.abort();
        let _ = shown.await;
        let terminal = match (ended, dead_token) {
            (Some(Err(GatewayError::Revoked(status))), _) => {
                Some(("token_revoked", format!("Twitch revoked the authorization ({status})")))
            }
            (Some(Err(GatewayError::MissingScope(scope))), _) => {
                Some(("missing_scope", format!("the token lacks a scope: {scope}")))
            }
            (Some(Err(GatewayError::Unauthorized(why))), _) | (None, Some(why)) => {
                Some(("token_expired", format!("the token expired and could not be renewed: {why}")))
            }
            (Some(Err(error)), _) => {
                tracing::warn!(channel = key, error = %error, "the Twitch channel stopped; it is run again");
                None
            }
            _ => None,
        };
        if let Some((state, reason)) = terminal {
            tracing::warn!(channel = key, state, reason, "a Twitch channel cannot go on until it is connected again");
            let metadata = EventMetadata::initiated(
                org,
                ActorId::parse("svc:gateway-twitch").expect("an actor id"),
                Timestamp::from_datetime(OffsetDateTime::now_utc()),
            );
            let recorded = wavestack_app::connections::disconnect(
                &self.app,
                &self.connections,
                &metadata,
                ChatPlatform::Twitch,
                &channel,
                &reason,
                Some(state),
            )
            .await;
            if let Err(error) = recorded {
                tracing::error!(channel = key, error = %error, "could not record the channel's disconnection");
            }
        }
    }
}

/// The running channel's state in its row, for the dashboard.
fn show_state(
    store: PlatformConnections,
    connection: Connection,
    mut state: watch::Receiver<ChannelState>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let shown = match &*state.borrow_and_update() {
                ChannelState::Connecting => "connecting",
                ChannelState::Connected => "connected",
                ChannelState::Reconnecting => "reconnecting",
                // The end states are recorded by the runner with the event.
                _ => return,
            };
            let (org, platform, channel) = (&connection.org, &connection.platform, &connection.channel);
            if let Err(error) = store.show_live_state(org, platform, channel, shown).await {
                tracing::warn!(error = %error, "could not show a channel's state");
            }
            if state.changed().await.is_err() {
                return;
            }
        }
    })
}

/// Refreshes the token ahead of its expiry and validates it hourly; ends
/// (with why) only when the token is dead for good.
async fn keep_alive(token: Arc<StoredToken>, mut validated_at: OffsetDateTime, stop: CancellationToken) -> String {
    loop {
        let (_, expires_at, lifetime) = token.current.read().unwrap_or_else(|p| p.into_inner()).clone();
        let now = OffsetDateTime::now_utc();
        // Ten minutes ahead, or half the lifetime of a shorter-lived token.
        let ahead = REFRESH_AHEAD.min(lifetime / 2);
        let refresh_in = (expires_at - now - ahead).max(time::Duration::ZERO);
        let validate_in = (validated_at + VALIDATE_EVERY - now).max(time::Duration::ZERO);
        // At least a second apart, whatever a token's lifetime says.
        let wait = refresh_in.min(validate_in).unsigned_abs().max(Duration::from_secs(1));
        tokio::select! {
            _ = stop.cancelled() => std::future::pending::<()>().await,
            _ = tokio::time::sleep(wait) => {}
        }
        if refresh_in <= validate_in {
            if let Err(why) = token.refresh(None).await {
                return why;
            }
            continue;
        }
        let access = token.current().expose().to_owned();
        match token.oauth.validate(&access).await {
            Ok(_) => {
                validated_at = OffsetDateTime::now_utc();
                let c = &token.connection;
                if let Err(error) = token.store.validated(&c.org, &c.platform, &c.channel, validated_at).await {
                    tracing::warn!(error = %error, "could not record a validation");
                }
            }
            Err(OAuthError::Invalid(_)) => {
                if let Err(why) = token.refresh(Some(&access)).await {
                    return why;
                }
                validated_at = OffsetDateTime::now_utc();
            }
            Err(error) => {
                tracing::warn!(error = %error, "could not validate a Twitch token; trying again in a minute");
                validated_at = OffsetDateTime::now_utc() - VALIDATE_EVERY + Duration::from_secs(60);
            }
        }
    }
}

/// A channel's token as stored, renewed through Twitch's refresh grant.
#[derive(Debug)]
struct StoredToken {
    oauth: TwitchOAuth,
    store: PlatformConnections,
    connection: Connection,
    /// The tokens, when they expire, and how long they lived when granted.
    current: RwLock<(Tokens, OffsetDateTime, Duration)>,
    /// One refresh at a time: a refresh token is good once.
    renewing: Mutex<()>,
}

impl StoredToken {
    /// Refreshes, unless `refused` is given and the token changed since
    /// (another caller refreshed it meanwhile).
    async fn refresh(&self, refused: Option<&str>) -> Result<Secret, String> {
        let _one = self.renewing.lock().await;
        let (tokens, _, _) = self.current.read().unwrap_or_else(|p| p.into_inner()).clone();
        if refused.is_some_and(|refused| refused != tokens.access) {
            return Ok(Secret::new(tokens.access));
        }
        let granted = self.oauth.refresh(&tokens.refresh).await.map_err(|e| e.to_string())?;
        let expires_at = OffsetDateTime::now_utc() + granted.expires_in;
        let c = &self.connection;
        if let Err(error) = self.store.renew(&c.org, &c.platform, &c.channel, &granted.tokens, expires_at).await {
            // Kept in memory: the channel goes on; the next refresh stores it.
            tracing::error!(error = %error, "could not store a refreshed Twitch token");
        }
        let access = granted.tokens.access.clone();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = (granted.tokens, expires_at, granted.expires_in);
        tracing::info!(channel = c.key(), "refreshed a Twitch token");
        Ok(Secret::new(access))
    }
}

impl TokenSource for StoredToken {
    fn current(&self) -> Secret {
        Secret::new(self.current.read().unwrap_or_else(|p| p.into_inner()).0.access.clone())
    }

    fn renew(&self) -> BoxFuture<'_, Result<Secret, String>> {
        let refused = self.current().expose().to_owned();
        Box::pin(async move { self.refresh(Some(&refused)).await })
    }
}
