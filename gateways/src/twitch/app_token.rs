//! The application's own access token (client credentials), which webhook
//! subscriptions are made with: one per process, shared by every channel,
//! asked for when first needed and again whenever Helix refuses it.

use std::sync::RwLock;

use futures::future::BoxFuture;
use tokio::sync::Mutex;
use wavestack_adapters::platform_auth::twitch::TwitchOAuth;

use crate::{Secret, TokenSource};

#[derive(Debug)]
pub struct AppToken {
    oauth: TwitchOAuth,
    /// Empty until first asked for: Helix refuses it, and `renew` asks.
    current: RwLock<Secret>,
    /// One grant at a time: channels refused together share the new token.
    renewing: Mutex<()>,
}

impl AppToken {
    pub fn new(oauth: TwitchOAuth) -> Self {
        Self { oauth, current: RwLock::new(Secret::new("")), renewing: Mutex::new(()) }
    }
}

impl TokenSource for AppToken {
    fn current(&self) -> Secret {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn renew(&self) -> BoxFuture<'_, Result<Secret, String>> {
        let refused = self.current();
        Box::pin(async move {
            let _one = self.renewing.lock().await;
            let now = self.current();
            if now.expose() != refused.expose() {
                // Renewed by another channel while this one waited.
                return Ok(now);
            }
            let granted = self.oauth.app_token().await.map_err(|e| e.to_string())?;
            let token = Secret::new(granted.tokens.access);
            *self.current.write().unwrap_or_else(|p| p.into_inner()) = token.clone();
            tracing::info!("got a Twitch app access token");
            Ok(token)
        })
    }
}
