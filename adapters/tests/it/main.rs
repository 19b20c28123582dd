//! The integration tests of adapters, one binary (one link) for them all.

mod support;

mod event_store;
mod fresh_reads;
mod local_broker;
mod platform_connections;
mod publishers;
mod registry;
mod relay;
mod render;
mod sessions;
