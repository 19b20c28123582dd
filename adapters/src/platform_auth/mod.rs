//! Connecting a chat platform's account: each platform's OAuth 2.0
//! authorization-code flow, and keeping its tokens alive (refresh before
//! expiry, validation, revocation). What comes of it is stored sealed by
//! [`crate::platform_connections`].

pub mod state;
pub mod twitch;
