//! People's pages: the dashboard (`/app`) and OBS overlays (`/overlay/…`),
//! their files built into the binary, and the routes only they use —
//! logins and sessions (`/app/api/…`), the writes they send on to the
//! command API, and the overlays' reads with overlay keys
//! (`/overlay/api/…`). Every page is sent with a Content-Security-Policy
//! that allows no inline script.

mod account;
mod assets;
mod connections;
mod login_limit;
mod overlay;
mod proxy;
mod recent_chat;
mod session;
mod sign_in;

use std::sync::Arc;

use axum::extract::{Path, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, delete, get, post};
use axum::Router;
use sqlx::PgPool;
use wavestack_adapters::auth::Tokens;
use wavestack_adapters::command_bus::FreshReads;
use wavestack_adapters::http::{ApiError, KeyedLimiter, PasswordGate, PasswordLimits, RateLimit};
use wavestack_domain::team::TeamState;

pub use self::connections::{ConnectionsConfig, TEST_MESSAGE};
use crate::LiveHub;

/// How the pages reach the rest of the stack.
#[derive(Debug, Clone)]
pub struct PagesConfig {
    /// Where the dashboard's writes go (`http://127.0.0.1:8080/`); without
    /// it, the pages read but cannot write.
    pub command_api: Option<url::Url>,
    /// Mark session cookies `Secure` always (TLS ends in front of this
    /// API without saying so in `X-Forwarded-Proto`).
    pub secure_cookies: bool,
    /// In front of `POST /app/api/login`: per address, global, and argon2
    /// verifications at once.
    pub login_limits: PasswordLimits,
    /// Overlay reads and sockets per source address.
    pub overlay_limit: RateLimit,
    /// Connecting channels to their platforms; `None`: not offered.
    pub connections: Option<ConnectionsConfig>,
}

impl Default for PagesConfig {
    fn default() -> Self {
        Self {
            command_api: None,
            secure_cookies: false,
            login_limits: PasswordLimits::default(),
            // A streamer's handful of overlays each read their state at
            // most a few times a second; a burst covers OBS starting them all.
            overlay_limit: RateLimit::new(50, 200),
            connections: None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PagesState {
    pool: PgPool,
    tokens: Arc<Tokens>,
    hub: Arc<LiveHub>,
    /// The teams as their streams hold them, read again when they move on.
    teams: Arc<FreshReads<TeamState>>,
    /// Overlay reads and sockets per source address: each costs a look-up
    /// of the key, and anyone may send junk keys.
    overlay_limit: Arc<KeyedLimiter>,
    login_limit: Arc<login_limit::LoginLimit>,
    /// The cheap per-address and global limits, and argon2's turns.
    login_gate: Arc<PasswordGate>,
    http: reqwest::Client,
    config: PagesConfig,
}

pub(crate) fn routes(pool: PgPool, tokens: Arc<Tokens>, hub: Arc<LiveHub>, config: PagesConfig) -> Router {
    let state = PagesState {
        pool,
        tokens,
        hub,
        teams: Arc::default(),
        overlay_limit: Arc::new(KeyedLimiter::new(config.overlay_limit)),
        login_limit: Arc::default(),
        login_gate: Arc::new(PasswordGate::new("login", config.login_limits)),
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("a plain HTTP client builds"),
        config,
    };
    let api = Router::new()
        .route("/app/api/login", post(account::login))
        .route("/app/api/logout", post(account::logout))
        .route("/app/api/session", get(account::session))
        .route("/app/api/token", post(account::token))
        .route("/app/api/sessions", get(account::sessions))
        .route("/app/api/sessions/{id}", delete(account::revoke_session))
        .route("/app/api/team", get(account::team))
        .route("/app/api/overlay-keys", get(account::overlay_keys))
        .route("/app/api/command/{*path}", any(proxy::forward))
        .route("/app/api/connections", get(connections::list))
        .route("/app/api/connections/twitch/start", post(connections::start_twitch))
        .route("/app/api/connections/{platform}/{channel}/disconnect", post(connections::disconnect_channel))
        .route("/app/api/connections/{platform}/{channel}/test-message", post(connections::send_test_message))
        .route("/app/connections/twitch/callback", get(connections::twitch_callback))
        .route("/app/api/login/twitch", post(sign_in::start_sign_in))
        .route("/app/api/account/twitch", get(sign_in::linked).delete(sign_in::unlink))
        .route("/app/api/account/twitch/link", post(sign_in::start_link))
        .route("/overlay/api/state", get(overlay::overlay_state))
        .route("/overlay/api/live", get(overlay::overlay_live))
        .layer(from_fn(private))
        .with_state(state);
    let pages = Router::new()
        .route("/app", get(|| async { assets::APP_INDEX.response() }))
        .route("/app/", get(|| async { Redirect::permanent("/app") }))
        .route("/app/{file}", get(app_file))
        .route("/overlay/{name}", get(overlay_file))
        .layer(from_fn(page_headers));
    api.merge(pages)
}

async fn app_file(Path(file): Path<String>) -> Response {
    match assets::find(&assets::APP, &file) {
        Some(asset) => asset.response(),
        None => ApiError::not_found("no such file").into_response(),
    }
}

/// `/overlay/leaderboard` and the other overlays are one page that reads
/// its kind from the path; `/overlay/overlay.js` and `.css` are its files.
async fn overlay_file(Path(name): Path<String>) -> Response {
    if let Some(asset) = assets::find(&assets::OVERLAY, &name) {
        return asset.response();
    }
    match name.as_str() {
        "leaderboard" | "chat" | "poll" | "giveaway" | "clip" | "alerts" => assets::OVERLAY_INDEX.response(),
        _ => ApiError::not_found("no such overlay: leaderboard, chat, poll, giveaway, clip or alerts").into_response(),
    }
}

/// Every page and file: the CSP, no sniffing, no referrer (an overlay's
/// address holds its key).
async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(assets::CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The pages' own API answers are never cached (they carry CSRF tokens
/// and member data).
async fn private(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
