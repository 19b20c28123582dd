//! `spawn_app()`: the command API on port 0 over a fresh database (from
//! `#[sqlx::test]`), with its own key directory and one service client.
#![allow(dead_code)]

use std::num::NonZeroU32;
use std::sync::Arc;

use serde_json::Value;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wavestack_adapters::auth::{hash_secret, ClientConfig, ClientRegistry, KeyStore, ScopeSet, TokenSettings, Tokens};
use wavestack_adapters::command_bus::{CommandBus, Policies};
use wavestack_adapters::http::{serve_with, ServeLimits};
use wavestack_adapters::publishers::{ConfiguredTargets, DestinationConfig, SUPPORTED};
use wavestack_command_api::{router, AppState, Limits, LoadLimits, RateLimit, RateLimits, Tenancy, TokenLimits};
use wavestack_domain::value::{ActorId, OrgId};

pub(crate) const CLIENT_ID: &str = "twitch-bot";
pub(crate) const CLIENT_SECRET: &str = "correct horse battery staple";
pub(crate) const CLIENT_ORG: &str = "acme";
pub(crate) const CLIENT_SCOPES: &[&str] = &["chat:write", "clips:write", "read"];

pub(crate) struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub pool: PgPool,
    pub tokens: Arc<Tokens>,
    pub keys_dir: tempfile::TempDir,
    cancel: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub(crate) struct Options {
    pub limits: Limits,
    /// Per caller; the org's is out of the way.
    pub rate_limit: RateLimit,
    pub tenancy: Tenancy,
    pub token_limits: TokenLimits,
    pub load: LoadLimits,
    pub serve: ServeLimits,
    /// Per caller and per org together, when a test sets both.
    pub rate_limits: Option<RateLimits>,
}

/// acme and rival each publish to a webhook, Discord and YouTube of their own.
pub(crate) fn destinations() -> Vec<DestinationConfig> {
    let mut destinations = Vec::new();
    for org in ["acme", "rival"] {
        for platform in SUPPORTED {
            destinations.push(DestinationConfig {
                org: OrgId::parse(org).unwrap(),
                platform,
                url: Some(format!("https://hooks.example.com/{org}/{platform}").parse().unwrap()),
                secret: Some(format!("{org}-secret")),
                access_token: Some(format!("{org}-token")),
                api_url: None,
                per_minute: None,
            });
        }
    }
    destinations
}

impl Default for Options {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            // High enough that only the rate-limit test meets it.
            rate_limit: RateLimit {
                per_second: NonZeroU32::new(10_000).unwrap(),
                burst: NonZeroU32::new(10_000).unwrap(),
            },
            tenancy: Tenancy { targets: ConfiguredTargets::new(&destinations()), ..Tenancy::default() },
            token_limits: TokenLimits {
                per_address: RateLimit::new(10_000, 10_000),
                global: RateLimit::new(10_000, 10_000),
                ..TokenLimits::default()
            },
            load: LoadLimits::default(),
            serve: ServeLimits::default(),
            rate_limits: None,
        }
    }
}

pub(crate) async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, Options::default()).await
}

pub(crate) async fn spawn_app_with(pool: PgPool, options: Options) -> TestApp {
    let keys_dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(KeyStore::open(keys_dir.path()).unwrap());
    let tokens = Arc::new(Tokens::new(keys, TokenSettings::default()));
    let clients = ClientRegistry::from_config(&[ClientConfig {
        id: CLIENT_ID.into(),
        secret_hash: hash_secret(CLIENT_SECRET),
        org: CLIENT_ORG.into(),
        scopes: CLIENT_SCOPES.iter().map(|s| s.to_string()).collect(),
    }])
    .unwrap();
    let bus = Arc::new(CommandBus::new(pool.clone(), Policies::default()));
    let rate_limits = options
        .rate_limits
        .unwrap_or(RateLimits { per_caller: options.rate_limit, per_org: RateLimit::new(1_000_000, 1_000_000) });
    let state = AppState::new(pool.clone(), bus, tokens.clone(), Arc::new(clients), options.limits, rate_limits)
        .unwrap()
        .with_tenancy(options.tenancy)
        .with_token_limits(options.token_limits)
        .with_load_limits(options.load);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let cancel = CancellationToken::new();
    tokio::spawn(serve_with(listener, router(state), options.serve, cancel.clone()));
    TestApp { url, http: reqwest::Client::new(), pool, tokens, keys_dir, cancel }
}

impl TestApp {
    /// A token for `org` with the given space-separated scopes.
    pub(crate) fn token(&self, org: &str, scopes: &str) -> String {
        self.token_for("tester", org, scopes)
    }

    pub(crate) fn token_for(&self, sub: &str, org: &str, scopes: &str) -> String {
        let scopes = ScopeSet::parse(scopes).unwrap();
        let issued = self.tokens.issue(&ActorId::parse(sub).unwrap(), &OrgId::parse(org).unwrap(), &scopes).unwrap();
        issued.access_token
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// POSTs JSON with a bearer token; returns status, body and headers.
    pub(crate) async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        let response = self.http.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap();
        Answer::read(response).await
    }

    pub(crate) async fn post_with_key(&self, path: &str, token: &str, key: &str, body: &Value) -> Answer {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        Answer::read(response).await
    }

    pub(crate) async fn put(&self, path: &str, token: &str, body: &Value) -> Answer {
        let response = self.http.put(self.url(path)).bearer_auth(token).json(body).send().await.unwrap();
        Answer::read(response).await
    }

    /// A page of the bots' feed; `after` may carry more of the query
    /// (`0.0&wait_seconds=2`).
    pub(crate) async fn feed(&self, token: &str, after: &str) -> Value {
        let url = self.url(&format!("/v1/bots/replies?after={after}"));
        let response = self.http.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub(crate) async fn events_in(&self, aggregate_type: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = $1")
            .bind(aggregate_type)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    pub(crate) async fn all_events(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&self.pool).await.unwrap()
    }
}

#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub(crate) async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Self { status, body, headers }
    }

    /// The stable error code of a refusal.
    pub(crate) fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("<no error code>")
    }

    pub(crate) fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or("<no field>")
    }
}

/// The leaderboard projection's table, holding a viewer as it would once
/// it has applied their first message: how `!give @name` finds them.
pub(crate) async fn known_viewer(pool: &sqlx::PgPool, user: &str, author: &str) {
    let schema = wavestack_projections::runtime::live_schema("leaderboard");
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).execute(pool).await.unwrap();
    let leaderboard = wavestack_projections::leaderboard::Leaderboard;
    for statement in wavestack_projections::Projection::create_tables(&leaderboard, &schema) {
        sqlx::query(&statement).execute(pool).await.unwrap();
    }
    sqlx::query(&format!(
        "INSERT INTO {schema}.rm_leaderboard (org, platform, channel, user_id, author, points, messages, last_seen)
         VALUES ('acme', 'twitch', 'shroud', $1, $2, 0, 1, now())"
    ))
    .bind(user)
    .bind(author)
    .execute(pool)
    .await
    .unwrap();
}

/// A message on twitch/shroud from `user` at `at` (`HH:MM:SS`) on 2026-11-22.
pub(crate) fn said_at(user: &str, author: &str, role: &str, id: &str, text: &str, at: &str) -> Value {
    serde_json::json!({
        "platform": "twitch", "channel": "shroud", "user_id": user, "message_id": id,
        "author": author, "role": role, "text": text, "sent_at": format!("2026-11-22T{at}Z"),
    })
}

pub(crate) fn chat_message(message_id: &str, text: &str) -> Value {
    serde_json::json!({
        "platform": "twitch",
        "channel": "shroud",
        "user_id": "viewer-1",
        "message_id": message_id,
        "author": "Viewer One",
        "text": text,
        "sent_at": "2026-11-22T10:00:00Z",
    })
}

pub(crate) fn clip_request() -> Value {
    serde_json::json!({
        "channel": "shroud",
        "source": "vods/2026-11-22.mkv",
        "start_seconds": 120.5,
        "duration_seconds": 30,
        "title": "the play",
    })
}
