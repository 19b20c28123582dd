//! The axum read API: read models, the WebSocket live feed and the
//! read-only, Confluent-compatible schema registry endpoints.
//!
//! Built in the command API and read-side issues.
