//! The integration tests of command-api, one binary (one link) for them all.

#[path = "../../../adapters/tests/it/support/mod.rs"]
mod log_support;
mod support;

mod bot;
mod channel_support;
mod chat;
mod community;
mod idempotency;
mod load;
mod moderation;
mod operations;
mod refusals;
mod tenancy;
mod tokens;
mod workflow;
