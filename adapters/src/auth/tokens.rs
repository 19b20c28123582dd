//! Issuing and checking access tokens. Only RS256 with a key from our own
//! key store is accepted: `alg: none`, HMAC signed with the public key and
//! unknown key ids are refused before any signature check.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use wavestack_domain::value::{ActorId, OrgId};

use super::keys::KeyStore;
use super::scope::ScopeSet;

/// Clock skew tolerated between issuer and verifier.
const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    /// Lifetime of issued tokens.
    pub ttl: Duration,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self { issuer: "wavestack".into(), audience: "wavestack".into(), ttl: Duration::from_secs(15 * 60) }
    }
}

/// The JWT claims WaveStack writes and requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub org_id: String,
    /// Space-separated scopes (RFC 8693 §4.2).
    pub scope: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub aud: String,
    pub iss: String,
    pub jti: String,
}

/// Who is calling, checked: the org always comes from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: ActorId,
    pub org: OrgId,
    pub scopes: ScopeSet,
    /// When the token stops being valid (Unix seconds): a live socket
    /// opened with it is closed then, unless the client re-authenticates.
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
    pub scopes: ScopeSet,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("only RS256 tokens are accepted")]
    UnsupportedAlgorithm,
    #[error("the token names no key id (kid)")]
    MissingKeyId,
    #[error("the token was signed with an unknown key")]
    UnknownKey,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is for another audience")]
    WrongAudience,
    #[error("the token was issued by someone else")]
    WrongIssuer,
    #[error("the token's claims are invalid: {0}")]
    InvalidClaims(String),
}

impl TokenError {
    /// Stable code for the 401 body, saying what to fix.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Expired => "token_expired",
            TokenError::NotYetValid => "token_not_yet_valid",
            _ => "invalid_token",
        }
    }
}

#[derive(Debug)]
pub struct Tokens {
    keys: Arc<KeyStore>,
    settings: TokenSettings,
}

impl Tokens {
    pub fn new(keys: Arc<KeyStore>, settings: TokenSettings) -> Self {
        Self { keys, settings }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// Signs a token for `subject` in `org` with the active key.
    pub fn issue(&self, subject: &ActorId, org: &OrgId, scopes: &ScopeSet) -> anyhow::Result<IssuedToken> {
        self.issue_with_ttl(subject, org, scopes, self.settings.ttl)
    }

    pub fn issue_with_ttl(
        &self,
        subject: &ActorId,
        org: &OrgId,
        scopes: &ScopeSet,
        ttl: Duration,
    ) -> anyhow::Result<IssuedToken> {
        let key = self.keys.active();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            sub: subject.to_string(),
            org_id: org.to_string(),
            scope: scopes.to_string(),
            iat: now,
            nbf: now,
            exp: now + ttl.as_secs() as i64,
            aud: self.settings.audience.clone(),
            iss: self.settings.issuer.clone(),
            jti: Uuid::new_v4().to_string(),
        };
        let header = Header { kid: Some(key.kid.clone()), ..Header::new(Algorithm::RS256) };
        let access_token = jsonwebtoken::encode(&header, &claims, &key.encoding)?;
        Ok(IssuedToken { access_token, expires_in: ttl.as_secs(), scopes: scopes.clone() })
    }

    /// Checks signature, key, algorithm, time window, audience and issuer.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::UnsupportedAlgorithm);
        }
        let kid = header.kid.ok_or(TokenError::MissingKeyId)?;
        let key = self.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.settings.audience]);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "aud", "iss", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation).map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidAudience => TokenError::WrongAudience,
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
            ErrorKind::InvalidAlgorithm => TokenError::UnsupportedAlgorithm,
            ErrorKind::MissingRequiredClaim(claim) => TokenError::InvalidClaims(format!("`{claim}` is missing")),
            ErrorKind::Json(_) => TokenError::InvalidClaims("claims do not have the expected types".into()),
            _ => TokenError::Malformed,
        })?;
        let claims = data.claims;
        Ok(Principal {
            subject: ActorId::parse(claims.sub).map_err(|e| TokenError::InvalidClaims(format!("sub {e}")))?,
            org: OrgId::parse(claims.org_id).map_err(|e| TokenError::InvalidClaims(format!("org_id {e}")))?,
            scopes: ScopeSet::parse_lenient(&claims.scope),
            expires_at: claims.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    fn tokens() -> (tempfile::TempDir, Tokens) {
        let dir = tempfile::tempdir().unwrap();
        let keys = Arc::new(KeyStore::open(dir.path()).unwrap());
        (dir, Tokens::new(keys, TokenSettings::default()))
    }

    #[test]
    fn an_issued_token_verifies_to_its_principal() {
        let (_dir, tokens) = tokens();
        let scopes: ScopeSet = [Scope::ChatWrite, Scope::Read].into_iter().collect();
        let issued = tokens.issue(&ActorId::parse("bot").unwrap(), &OrgId::parse("acme").unwrap(), &scopes).unwrap();
        let principal = tokens.verify(&issued.access_token).unwrap();
        assert_eq!(principal.subject.as_str(), "bot");
        assert_eq!(principal.org.as_str(), "acme");
        assert_eq!(principal.scopes, scopes);
        assert_eq!(issued.expires_in, 900);
    }

    #[test]
    fn another_deployments_audience_is_refused() {
        let (dir, tokens) = tokens();
        let issued = tokens
            .issue(&ActorId::parse("bot").unwrap(), &OrgId::parse("acme").unwrap(), &ScopeSet::default())
            .unwrap();
        let keys = Arc::new(KeyStore::open(dir.path()).unwrap());
        let other = Tokens::new(keys, TokenSettings { audience: "elsewhere".into(), ..TokenSettings::default() });
        assert_eq!(other.verify(&issued.access_token), Err(TokenError::WrongAudience));
    }
}
