//! All of WaveStack's I/O: the Postgres event store and command bus, the
//! outbox relay to Kafka, Kafka topics and producer, the local broker, the
//! schema registry client, JWT keys, and the HTTP plumbing both APIs share.

pub mod audit_checkpoints;
pub mod auth;
pub mod command_bus;
pub mod community_secrets;
pub mod consumer;
pub mod event_store;
pub mod http;
pub mod idempotency;
pub mod kafka;
pub mod leases;
pub mod media;
pub mod platform_auth;
pub mod platform_connections;
pub mod platform_inbox;
pub mod postgres;
pub mod publishers;
pub mod registry;
pub mod relay;
pub mod sealing;
pub mod status;
pub mod writer;

/// An error and every cause under it, `: `-separated, for a log line.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}
