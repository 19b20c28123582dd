//! The axum write API: commands from bots and dashboards, platform webhooks,
//! token issuing and the JWKS.
//!
//! Built in the command API issue; today commands enter through
//! `wavestack_adapters::command_bus::CommandBus`, which this API will wrap.
