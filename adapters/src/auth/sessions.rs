//! Dashboard sessions: a random token in an HttpOnly cookie, stored only
//! as its SHA-256, and a CSRF token derived from it that the page sends
//! back on every write (stored nowhere). A session ends at logout, when revoked (an owner's session
//! list), after `IDLE` without use, or `LIFETIME` after login.

use std::time::Duration;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use wavestack_domain::value::{OrgId, Username};

/// A session unused this long ends.
pub const IDLE: Duration = Duration::from_secs(12 * 3600);
/// And any session ends this long after login.
pub const LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The CSRF token of a session, derived from its cookie's token, so that
/// a page loaded later (a reload, a second tab) can be given it again
/// while nothing but the cookie's hash is stored. It proves what a cross-site page cannot
/// have: a read of this origin's answer, which only the cookie's own
/// origin gets (SameSite=Strict cookie, no CORS).
pub fn csrf_of(token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"wavestack-dashboard-csrf\0");
    hasher.update(token.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// What login hands out: the cookie's value and the CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

/// A live session, as a request finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Session {
    /// A public name for the session (for the list and revoking): the
    /// first 16 hex digits of its hash, which give nothing of the token.
    pub id: String,
    pub org: String,
    pub username: String,
    pub user_agent: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
}

/// Whether `presented` is the CSRF token of the session whose cookie holds
/// `token` (constant time).
pub fn csrf_matches(token: &str, presented: &str) -> bool {
    csrf_of(token).as_bytes().ct_eq(presented.as_bytes()).into()
}

#[derive(Debug, Clone)]
pub struct Sessions {
    pool: PgPool,
}

const COLUMNS: &str =
    "substr(encode(id_hash, 'hex'), 1, 16) AS id, org, username, user_agent, created_at, last_seen_at";

impl Sessions {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn open(&self, org: &OrgId, username: &Username, user_agent: &str) -> anyhow::Result<NewSession> {
        let token = random_token();
        let csrf = csrf_of(&token);
        let user_agent: String = user_agent.chars().take(200).collect();
        sqlx::query(
            "INSERT INTO dashboard_sessions (id_hash, org, username, user_agent, expires_at)
             VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second')",
        )
        .bind(digest(&token))
        .bind(org.as_str())
        .bind(username.as_str())
        .bind(user_agent)
        .bind(LIFETIME.as_secs() as f64)
        .execute(&self.pool)
        .await
        .context("opening a session")?;
        Ok(NewSession { token, csrf })
    }

    /// The live session of a cookie's token, marked as used now; none when
    /// unknown, revoked, idle too long or past its lifetime.
    pub async fn find(&self, token: &str) -> anyhow::Result<Option<Session>> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM dashboard_sessions
              WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > now()
                AND last_seen_at > now() - $2 * interval '1 second'"
        ))
        .bind(digest(token))
        .bind(IDLE.as_secs() as f64)
        .fetch_optional(&self.pool)
        .await
        .context("finding a session")
    }

    /// Keeps a session from going idle: only once its member was found
    /// still to be one (a removed member's session is not kept alive).
    pub async fn touch(&self, token: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE dashboard_sessions SET last_seen_at = now() WHERE id_hash = $1 AND revoked_at IS NULL")
            .bind(digest(token))
            .execute(&self.pool)
            .await
            .context("keeping a session alive")?;
        Ok(())
    }

    /// Ends the session of a cookie's token (logout).
    pub async fn close(&self, token: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE dashboard_sessions SET revoked_at = now() WHERE id_hash = $1 AND revoked_at IS NULL")
            .bind(digest(token))
            .execute(&self.pool)
            .await
            .context("closing a session")?;
        Ok(())
    }

    /// The org's live sessions, newest first.
    pub async fn list(&self, org: &OrgId) -> anyhow::Result<Vec<Session>> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM dashboard_sessions
              WHERE org = $1 AND revoked_at IS NULL AND expires_at > now()
                AND last_seen_at > now() - $2 * interval '1 second'
              ORDER BY created_at DESC"
        ))
        .bind(org.as_str())
        .bind(IDLE.as_secs() as f64)
        .fetch_all(&self.pool)
        .await
        .context("listing sessions")
    }

    /// Revokes one of the org's sessions by its public id; false when the
    /// org has no such live session (another org's is never touched).
    pub async fn revoke(&self, org: &OrgId, id: &str) -> anyhow::Result<bool> {
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        let revoked = sqlx::query(
            "UPDATE dashboard_sessions SET revoked_at = now()
              WHERE org = $1 AND substr(encode(id_hash, 'hex'), 1, 16) = lower($2) AND revoked_at IS NULL",
        )
        .bind(org.as_str())
        .bind(id)
        .execute(&self.pool)
        .await
        .context("revoking a session")?;
        Ok(revoked.rows_affected() > 0)
    }

    /// Ends every session of one person (removed, or their role changed).
    pub async fn revoke_person(&self, org: &OrgId, username: &Username) -> anyhow::Result<u64> {
        let revoked = sqlx::query(
            "UPDATE dashboard_sessions SET revoked_at = now() WHERE org = $1 AND username = $2 AND revoked_at IS NULL",
        )
        .bind(org.as_str())
        .bind(username.as_str())
        .execute(&self.pool)
        .await
        .context("revoking a person's sessions")?;
        Ok(revoked.rows_affected())
    }
}
