//! The credentials of connected chat channels (`platform_connections`,
//! this module's table). Tokens are sealed at rest (see [`crate::sealing`])
//! and bound to their row; they leave this module only as [`Tokens`], whose
//! `Debug` prints no token.

use std::fmt;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::sealing::SealingKey;

type PgQuery<'a> = sqlx::query::Query<'a, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// `UPDATE` of one channel's row: `SET` what is given (and `updated_at`),
/// where `$1`–`$3` are the row's key and `extra` narrows it further.
macro_rules! update_row {
    ($set:literal, $extra:literal) => {
        concat!(
            "UPDATE platform_connections SET ",
            $set,
            ", updated_at = now() WHERE org = $1 AND platform = $2 AND channel = $3",
            $extra
        )
    };
}

/// The states a gateway cannot go on from: the channel is not run again
/// until it is connected again. The one list the statements and the
/// routes read.
pub const END_STATES: [&str; 3] = ["token_expired", "token_revoked", "missing_scope"];

/// The sealing key's purpose: bumped if the sealed format changes.
const PURPOSE: &str = "wavestack platform tokens v1";

/// An OAuth access token and the refresh token that renews it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tokens([redacted])")
    }
}

/// One connected channel, as the gateways act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub org: String,
    pub platform: String,
    pub channel: String,
    pub platform_channel_id: String,
    pub bot_user_id: String,
    pub bot_login: String,
    pub scopes: Vec<String>,
    pub tokens: Tokens,
    pub expires_at: OffsetDateTime,
    pub validated_at: OffsetDateTime,
    pub state: String,
}

impl Connection {
    /// Whether the channel is in an end state (`END_STATES`).
    pub fn has_ended(&self) -> bool {
        END_STATES.contains(&self.state.as_str())
    }

    /// `org/platform/channel`: the name its lease and logs use.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.org, self.platform, self.channel)
    }
}

/// The table, with the key that seals its tokens.
#[derive(Debug, Clone)]
pub struct PlatformConnections {
    pool: PgPool,
    key: SealingKey,
}

type Row =
    (String, String, String, String, String, String, Vec<String>, Vec<u8>, OffsetDateTime, OffsetDateTime, String);

const COLUMNS: &str = "org, platform, channel, platform_channel_id, bot_user_id, bot_login, scopes, sealed_tokens, \
                       expires_at, validated_at, state";

fn row_id(org: &str, platform: &str, channel: &str) -> Vec<u8> {
    format!("{org}\0{platform}\0{channel}").into_bytes()
}

impl PlatformConnections {
    /// `secret`: the deployment's `platform-tokens` secret.
    pub fn new(pool: PgPool, secret: &[u8; 32]) -> Self {
        Self { pool, key: SealingKey::derive(secret, PURPOSE) }
    }

    /// Stores a connection, replacing the channel's previous one.
    pub async fn save(&self, c: &Connection) -> sqlx::Result<()> {
        let sealed = self.seal(&c.org, &c.platform, &c.channel, &c.tokens);
        sqlx::query(&format!(
            "INSERT INTO platform_connections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (org, platform, channel) DO UPDATE SET
               platform_channel_id = EXCLUDED.platform_channel_id, bot_user_id = EXCLUDED.bot_user_id,
               bot_login = EXCLUDED.bot_login, scopes = EXCLUDED.scopes, sealed_tokens = EXCLUDED.sealed_tokens,
               expires_at = EXCLUDED.expires_at, validated_at = EXCLUDED.validated_at, state = EXCLUDED.state,
               updated_at = now()"
        ))
        .bind(&c.org)
        .bind(&c.platform)
        .bind(&c.channel)
        .bind(&c.platform_channel_id)
        .bind(&c.bot_user_id)
        .bind(&c.bot_login)
        .bind(&c.scopes)
        .bind(sealed)
        .bind(c.expires_at)
        .bind(c.validated_at)
        .bind(&c.state)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// New tokens after a refresh.
    pub async fn renew(
        &self,
        org: &str,
        platform: &str,
        channel: &str,
        tokens: &Tokens,
        expires_at: OffsetDateTime,
    ) -> sqlx::Result<()> {
        let sealed = self.seal(org, platform, channel, tokens);
        let sql = update_row!("sealed_tokens = $4, expires_at = $5, state = 'connected'", "");
        self.update_row(sql, [org, platform, channel], |q| q.bind(sealed).bind(expires_at)).await
    }

    /// The token was found valid now (Twitch asks for an hourly check).
    pub async fn validated(&self, org: &str, platform: &str, channel: &str, at: OffsetDateTime) -> sqlx::Result<()> {
        self.update_row(update_row!("validated_at = $4", ""), [org, platform, channel], |q| q.bind(at)).await
    }

    /// What the dashboard shows: the running gateway's `connecting`,
    /// `connected` or `reconnecting`, or why it cannot go on
    /// (`token_expired`, `token_revoked`, `missing_scope`; such a channel is
    /// not run again until it is connected again).
    pub async fn set_state(&self, org: &str, platform: &str, channel: &str, state: &str) -> sqlx::Result<()> {
        self.update_row(update_row!("state = $4", ""), [org, platform, channel], |q| q.bind(state)).await
    }

    /// A running gateway's live state (`connecting`, `connected`,
    /// `reconnecting`). Never overwrites an end state: a write that comes
    /// late, after the channel's token died, must not make it runnable again.
    pub async fn show_live_state(&self, org: &str, platform: &str, channel: &str, state: &str) -> sqlx::Result<()> {
        let sql = update_row!("state = $4", " AND state <> ALL($5)");
        self.update_row(sql, [org, platform, channel], |q| q.bind(state).bind(&END_STATES[..])).await
    }

    /// Runs an `update_row!` statement on one channel's row: `$1`–`$3` are
    /// its key, `bind` adds the rest.
    async fn update_row<'a>(
        &self,
        sql: &'static str,
        [org, platform, channel]: [&'a str; 3],
        bind: impl FnOnce(PgQuery<'a>) -> PgQuery<'a>,
    ) -> sqlx::Result<()> {
        bind(sqlx::query(sql).bind(org).bind(platform).bind(channel)).execute(&self.pool).await?;
        Ok(())
    }

    /// Forgets the channel's credentials (after revoking them).
    pub async fn remove(&self, org: &str, platform: &str, channel: &str) -> sqlx::Result<bool> {
        let done = sqlx::query("DELETE FROM platform_connections WHERE org = $1 AND platform = $2 AND channel = $3")
            .bind(org)
            .bind(platform)
            .bind(channel)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn one(&self, org: &str, platform: &str, channel: &str) -> sqlx::Result<Option<Connection>> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM platform_connections WHERE org = $1 AND platform = $2 AND channel = $3"
        ))
        .bind(org)
        .bind(platform)
        .bind(channel)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| self.open(row)).transpose()
    }

    /// An org's connections, for its dashboard.
    pub async fn of_org(&self, org: &str) -> sqlx::Result<Vec<Connection>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM platform_connections WHERE org = $1 ORDER BY platform, channel"
        ))
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|row| self.open(row)).collect()
    }

    /// Every org's connections on `platform` that a gateway can run. A row
    /// whose tokens do not open (sealed by another deployment's secret) is
    /// logged and left out: one bad row must not stop every channel.
    pub async fn runnable(&self, platform: &str) -> sqlx::Result<Vec<Connection>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM platform_connections
              WHERE platform = $1 AND state <> ALL($2)
              ORDER BY org, channel"
        ))
        .bind(platform)
        .bind(&END_STATES[..])
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                self.open(row).map_err(|e| tracing::error!(error = %e, "a connection that cannot be run")).ok()
            })
            .collect())
    }

    fn seal(&self, org: &str, platform: &str, channel: &str, tokens: &Tokens) -> Vec<u8> {
        let plain = serde_json::to_vec(tokens).expect("tokens serialize");
        self.key.seal(&row_id(org, platform, channel), &plain)
    }

    fn open(&self, row: Row) -> sqlx::Result<Connection> {
        let (
            org,
            platform,
            channel,
            platform_channel_id,
            bot_user_id,
            bot_login,
            scopes,
            sealed,
            expires_at,
            validated_at,
            state,
        ) = row;
        let unsealed = self.key.open(&row_id(&org, &platform, &channel), &sealed).ok_or_else(|| {
            sqlx::Error::Protocol(format!(
                "the tokens of {org}/{platform}/{channel} do not open with this deployment's platform-tokens secret"
            ))
        })?;
        let tokens: Tokens = serde_json::from_slice(&unsealed)
            .map_err(|_| sqlx::Error::Protocol("sealed tokens that are not tokens".into()))?;
        Ok(Connection {
            org,
            platform,
            channel,
            platform_channel_id,
            bot_user_id,
            bot_login,
            scopes,
            tokens,
            expires_at,
            validated_at,
            state,
        })
    }
}
