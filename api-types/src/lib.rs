//! The bodies WaveStack's APIs take and answer, as plain serde types with
//! their OpenAPI schemas. The command API and the query API serve them;
//! a bot written in Rust can depend on this crate alone to speak to them.
//!
//! The bodies move here from the APIs' routes one family at a time; the
//! OpenAPI documents (`/openapi.json` on each API) describe every route.

pub mod chat;
