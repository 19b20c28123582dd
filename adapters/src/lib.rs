//! All of WaveStack's I/O: the Postgres event store and command bus, the
//! outbox relay to Kafka, Kafka topics and producer, the local broker.

pub mod command_bus;
pub mod kafka;
pub mod postgres;
pub mod relay;
