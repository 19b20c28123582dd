//! Where a gateway gets the bot's access token: the current one, and a new
//! one when the platform refuses it (expired before the refresh ran, or
//! refreshed by another process). The supervisor's source refreshes through
//! the platform's OAuth and stores what it got; a fixed token serves tests
//! and self-managed deployments.

use std::fmt;

use futures::future::BoxFuture;

use crate::Secret;

pub trait TokenSource: Send + Sync + fmt::Debug {
    /// The token to call the platform with now.
    fn current(&self) -> Secret;

    /// The platform refused `current()`: a new token, or why there is none
    /// (the refresh token was refused too: the streamer must connect again).
    fn renew(&self) -> BoxFuture<'_, Result<Secret, String>>;
}

/// One token, never renewed.
#[derive(Debug, Clone)]
pub struct FixedToken(pub Secret);

impl TokenSource for FixedToken {
    fn current(&self) -> Secret {
        self.0.clone()
    }

    fn renew(&self) -> BoxFuture<'_, Result<Secret, String>> {
        Box::pin(async { Err("a fixed token cannot be renewed".to_owned()) })
    }
}
