//! Read models built from the Kafka log. Each projection is a Kafka
//! consumer that applies a batch of events and stores its consumed offsets
//! in the same Postgres transaction, skips events it already applied (the
//! relay delivers at least once), and sends what it cannot decode or apply
//! to its dead-letter topic. Replay and export read the event store too
//! (`store_reader`).

pub mod alerts;
pub mod analytics;
pub mod audit;
mod chat_stream;
pub mod community;
pub mod cursor;
pub mod export;
mod kind;
pub mod leaderboard;
pub mod live;
pub mod moderation;
pub mod queue;
pub mod replay;
pub mod runtime;
mod store_reader;

pub use kind::{run_until_stopped, ProjectionKind, UnknownProjection};
pub use runtime::{supervise, Projection, ProjectionRunner, RunnerConfig, SchemaName};
