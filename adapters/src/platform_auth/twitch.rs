//! Twitch's OAuth (dev.twitch.tv, "Getting OAuth Access Tokens",
//! "Refreshing Access Tokens", "Validating Requests", "Revoking Access
//! Tokens"). The id server's base is configurable so that tests run it
//! against the local fake Twitch.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;
use url::Url;

use crate::platform_connections::Tokens;

/// What a chat bot asks of the channel it joins: reading and sending chat,
/// the bot badge, deleting messages, bans and timeouts, and reading
/// follows, subscriptions, bits and channel-point redemptions (raids need
/// no scope).
pub const CHATBOT_SCOPES: &[&str] = &[
    "user:read:chat",
    "user:write:chat",
    "user:bot",
    "channel:bot",
    "moderator:manage:chat_messages",
    "moderator:manage:banned_users",
    "moderator:read:followers",
    "channel:read:subscriptions",
    "bits:read",
    "channel:read:redemptions",
    "user:manage:whispers",
];

const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The registered application, and where Twitch sends the browser back.
#[derive(Clone)]
pub struct TwitchOAuth {
    http: reqwest::Client,
    /// `https://id.twitch.tv/oauth2/` in production (with the final slash).
    id_base: Url,
    client_id: String,
    client_secret: String,
    redirect_uri: Url,
}

impl fmt::Debug for TwitchOAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwitchOAuth")
            .field("id_base", &self.id_base.as_str())
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish_non_exhaustive()
    }
}

/// Tokens Twitch granted, with what they may do.
#[derive(Debug, Clone)]
pub struct Granted {
    pub tokens: Tokens,
    pub expires_in: Duration,
    pub scopes: Vec<String>,
}

/// What `/oauth2/validate` says of a token.
#[derive(Debug, Clone, Deserialize)]
pub struct Validated {
    pub client_id: String,
    pub login: String,
    pub user_id: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub expires_in: u64,
}

/// Why a call to Twitch's id server failed. Never carries a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OAuthError {
    /// The code, refresh token or access token is not (or no longer) valid.
    #[error("Twitch refused the token or code: {0}")]
    Invalid(String),
    #[error("Twitch answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("Twitch did not answer: {0}")]
    NoAnswer(String),
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    /// None for an app access token (client credentials).
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Vec<String>,
}

impl TwitchOAuth {
    pub fn new(id_base: Url, client_id: String, client_secret: String, redirect_uri: Url) -> Self {
        let http = reqwest::Client::builder().timeout(CALL_TIMEOUT).build().expect("a TLS-capable HTTP client");
        Self { http, id_base, client_id, client_secret, redirect_uri }
    }

    pub fn production(client_id: String, client_secret: String, redirect_uri: Url) -> Self {
        Self::new(Url::parse("https://id.twitch.tv/oauth2/").expect("a URL"), client_id, client_secret, redirect_uri)
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Where to send the streamer's browser to authorize the bot, carrying
    /// `state` (checked on the way back: it ties the answer to this request).
    pub fn authorize_url(&self, state: &str) -> Url {
        let mut url = self.authorize(state, &CHATBOT_SCOPES.join(" "));
        // Always shown: the streamer sees which account the bot becomes.
        url.query_pairs_mut().append_pair("force_verify", "true");
        url
    }

    /// Where to send a member's browser to prove which Twitch account is
    /// theirs (Sign in with Twitch): `openid`, nothing the bot could use.
    pub fn sign_in_url(&self, state: &str) -> Url {
        self.authorize(state, "openid")
    }

    fn authorize(&self, state: &str, scope: &str) -> Url {
        let mut url = self.endpoint("authorize");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", self.redirect_uri.as_str())
            .append_pair("scope", scope)
            .append_pair("state", state);
        url
    }

    /// The authorization code from the redirect, exchanged for tokens.
    pub async fn exchange(&self, code: &str) -> Result<Granted, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", self.redirect_uri.as_str()),
        ];
        self.token(&form).await
    }

    /// New tokens for the refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Granted, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.token(&form).await
    }

    /// An app access token (the client-credentials grant): what webhook
    /// and conduit subscriptions are made with. It has no refresh token;
    /// a new one is asked for when it expires or is refused.
    pub async fn app_token(&self) -> Result<Granted, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
            ("grant_type", "client_credentials"),
        ];
        self.token(&form).await
    }

    /// Whether the access token is still valid, and whose it is.
    pub async fn validate(&self, access_token: &str) -> Result<Validated, OAuthError> {
        let response = self
            .http
            .get(self.endpoint("validate"))
            .header("Authorization", format!("OAuth {access_token}"))
            .send()
            .await
            .map_err(no_answer)?;
        match response.status() {
            StatusCode::OK => response.json().await.map_err(no_answer),
            StatusCode::UNAUTHORIZED => Err(OAuthError::Invalid(message_of(response).await)),
            _ => Err(refused(response).await),
        }
    }

    /// Revokes the access token (disconnecting). An already invalid token
    /// is as good as revoked.
    pub async fn revoke(&self, access_token: &str) -> Result<(), OAuthError> {
        let form = [("client_id", self.client_id.as_str()), ("token", access_token)];
        let response = self.http.post(self.endpoint("revoke")).form(&form).send().await.map_err(no_answer)?;
        match response.status() {
            StatusCode::OK => Ok(()),
            StatusCode::BAD_REQUEST => {
                let message = message_of(response).await;
                if message.to_ascii_lowercase().contains("invalid token") {
                    Ok(())
                } else {
                    Err(OAuthError::Refused { status: 400, message })
                }
            }
            _ => Err(refused(response).await),
        }
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<Granted, OAuthError> {
        let response = self.http.post(self.endpoint("token")).form(form).send().await.map_err(no_answer)?;
        match response.status() {
            StatusCode::OK => {
                let answer: TokenAnswer = response.json().await.map_err(no_answer)?;
                Ok(Granted {
                    tokens: Tokens { access: answer.access_token, refresh: answer.refresh_token },
                    expires_in: Duration::from_secs(answer.expires_in.unwrap_or(0)),
                    scopes: answer.scope,
                })
            }
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED => Err(OAuthError::Invalid(message_of(response).await)),
            _ => Err(refused(response).await),
        }
    }

    fn endpoint(&self, name: &str) -> Url {
        self.id_base.join(name).expect("an id-server path joins its base")
    }
}

fn no_answer(error: reqwest::Error) -> OAuthError {
    OAuthError::NoAnswer(error.without_url().to_string())
}

async fn refused(response: reqwest::Response) -> OAuthError {
    let status = response.status().as_u16();
    OAuthError::Refused { status, message: message_of(response).await }
}

async fn message_of(response: reqwest::Response) -> String {
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(body) => body["message"].as_str().map(str::to_owned).unwrap_or_else(|| text.chars().take(200).collect()),
        Err(_) => text.chars().take(200).collect(),
    }
}
