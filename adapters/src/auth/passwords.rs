//! Dashboard people's passwords: argon2id hashes in `member_passwords`,
//! checked in the same time whether the person exists or not.

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use sqlx::PgPool;
use wavestack_domain::value::{OrgId, Username};

use super::clients::{generate_secret, hash_secret};

/// Shortest and longest password taken.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
    Length,
}

/// Refuses what is no acceptable password.
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

#[derive(Debug, Clone)]
pub struct MemberPasswords {
    pool: PgPool,
}

/// Verified against when the person is unknown, so that a wrong username
/// costs as long as a wrong password.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_secret(&generate_secret()))
}

impl MemberPasswords {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Stores `password`'s hash for the person, replacing any.
    pub async fn set(&self, org: &OrgId, username: &Username, password: &str) -> anyhow::Result<()> {
        check_password(password)?;
        let password: Arc<str> = password.into();
        let hash = tokio::task::spawn_blocking(move || hash_secret(&password)).await.context("hashing a password")?;
        sqlx::query(
            "INSERT INTO member_passwords (org, username, hash) VALUES ($1, $2, $3)
             ON CONFLICT (org, username) DO UPDATE SET hash = EXCLUDED.hash, set_at = now()",
        )
        .bind(org.as_str())
        .bind(username.as_str())
        .bind(hash)
        .execute(&self.pool)
        .await
        .context("storing a password hash")?;
        Ok(())
    }

    /// Whether `password` is the person's: false for an unknown person,
    /// after the same argon2 work.
    pub async fn verify(&self, org: &OrgId, username: &Username, password: &str) -> anyhow::Result<bool> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT hash FROM member_passwords WHERE org = $1 AND username = $2")
                .bind(org.as_str())
                .bind(username.as_str())
                .fetch_optional(&self.pool)
                .await
                .context("reading a password hash")?;
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| decoy().to_owned());
        let password: Arc<str> = password.into();
        let matches = tokio::task::spawn_blocking(move || super::argon2_memory::verify(&hash, password.as_bytes()))
            .await
            .context("verifying a password")?;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_twelve_to_256_characters() {
        assert_eq!(check_password("short"), Err(PasswordError::Length));
        assert!(check_password("correct horse battery").is_ok());
        assert_eq!(check_password(&"é".repeat(257)), Err(PasswordError::Length));
    }
}
