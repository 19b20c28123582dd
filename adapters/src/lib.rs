//! All of WaveStack's I/O: the Postgres event store and command bus, the
//! outbox relay to Kafka, Kafka topics and producer, the local broker, the
//! schema registry client, JWT keys, and the HTTP plumbing both APIs share.

pub mod auth;
pub mod command_bus;
pub mod http;
pub mod idempotency;
pub mod kafka;
pub mod media;
pub mod postgres;
pub mod publishers;
pub mod registry;
pub mod relay;
pub mod status;
