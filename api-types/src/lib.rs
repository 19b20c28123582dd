//! The bodies WaveStack's command API takes and answers, as plain serde
//! types with their OpenAPI schemas: the command API serves them, the
//! bench and the end-to-end tests send them, and a bot written in Rust can
//! depend on this crate alone to speak to the API. Every body both
//! serializes and deserializes, so a client and the server share one type.
//!
//! The query API's pages are the read models' rows, typed in
//! `wavestack-projections`; both APIs' OpenAPI documents (`/openapi.json`)
//! describe every route.

pub mod accepted;
pub mod broadcast;
pub mod channels;
pub mod chat;
pub mod clips;
pub mod community;
pub mod error;
pub mod moderation;
pub mod publications;
pub mod replies;
pub mod team;
pub mod token;
