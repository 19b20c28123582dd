//! Service clients (bots, dashboards, workers) that may exchange their
//! credentials for a token. Only an argon2 hash of each secret is
//! configured, so the config file is no key to the system.

use std::collections::HashMap;

use anyhow::{bail, Context};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use wavestack_domain::value::{ActorId, OrgId};

use super::scope::ScopeSet;

/// One `[[clients]]` entry of the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub id: String,
    /// PHC string from `wavestack token hash-secret`.
    pub secret_hash: String,
    pub org: String,
    /// The most this client may ask for.
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServiceClient {
    pub id: ActorId,
    pub org: OrgId,
    pub allowed: ScopeSet,
    secret_hash: String,
}

#[derive(Debug, Default)]
pub struct ClientRegistry {
    clients: HashMap<String, ServiceClient>,
    /// Verified against when the client id is unknown, so a wrong id costs
    /// as long as a wrong secret and ids cannot be probed by timing.
    decoy_hash: String,
}

impl ClientRegistry {
    pub fn from_config(configs: &[ClientConfig]) -> anyhow::Result<Self> {
        let mut clients = HashMap::new();
        for config in configs {
            let context = || format!("client `{}`", config.id);
            let id = ActorId::parse(config.id.clone()).with_context(context)?;
            PasswordHash::new(&config.secret_hash)
                .map_err(|e| anyhow::anyhow!("secret_hash is not a PHC string: {e}"))
                .with_context(context)?;
            let client = ServiceClient {
                id,
                org: OrgId::parse(config.org.clone()).with_context(context)?,
                allowed: ScopeSet::parse(&config.scopes.join(" ")).with_context(context)?,
                secret_hash: config.secret_hash.clone(),
            };
            if clients.insert(config.id.clone(), client).is_some() {
                bail!("client `{}` is configured twice", config.id);
            }
        }
        Ok(Self { clients, decoy_hash: hash_secret(&generate_secret()) })
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The client, if the id is known and the secret matches. CPU-bound
    /// (argon2): call it off the async executor.
    pub fn authenticate(&self, id: &str, secret: &str) -> Option<&ServiceClient> {
        let (client, hash) = match self.clients.get(id) {
            Some(client) => (Some(client), client.secret_hash.as_str()),
            None => (None, self.decoy_hash.as_str()),
        };
        let matches = super::argon2_memory::verify(hash, secret.as_bytes());
        client.filter(|_| matches)
    }
}

/// A new random client secret: 32 bytes, URL-safe base64.
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The argon2id PHC string to put in the config for `secret`.
pub fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(secret.as_bytes(), &salt).expect("argon2 with default parameters").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(secret: &str) -> ClientRegistry {
        ClientRegistry::from_config(&[ClientConfig {
            id: "twitch-bot".into(),
            secret_hash: hash_secret(secret),
            org: "acme".into(),
            scopes: vec!["chat:write".into(), "read".into()],
        }])
        .unwrap()
    }

    #[test]
    fn only_the_right_secret_authenticates() {
        let registry = registry("s3cret");
        let client = registry.authenticate("twitch-bot", "s3cret").unwrap();
        assert_eq!(client.org.as_str(), "acme");
        assert_eq!(client.allowed.to_string(), "chat:write read");
        assert!(registry.authenticate("twitch-bot", "guess").is_none());
        assert!(registry.authenticate("nobody", "s3cret").is_none());
    }

    #[test]
    fn bad_config_is_refused_with_the_client_named() {
        let bad =
            ClientConfig { id: "bot".into(), secret_hash: "plaintext".into(), org: "acme".into(), scopes: vec![] };
        let error = ClientRegistry::from_config(&[bad]).unwrap_err();
        assert!(format!("{error:#}").contains("client `bot`"), "{error:#}");
    }
}
