//! The integration tests of projections, one binary (one link) for them all.

#[path = "../../../adapters/tests/it/support/mod.rs"]
mod support;

mod leaderboard;
mod moderation;
mod read_models;
