//! `GET /v1/live`: a WebSocket that pushes read-model changes to dashboards
//! and overlays. Read models announce changes with Postgres notifications
//! (sent when their batch commits); one listener per process fans them out
//! through a bounded broadcast channel. A client that falls behind is
//! disconnected rather than allowed to hold anything up.

mod hub;
mod socket;

pub(crate) use hub::LiveEvent;
pub use hub::LiveHub;
pub(crate) use socket::{close, routes, LiveState, LISTEN_WAIT, MAX_SOCKETS_PER_CALLER, TRY_AGAIN_LATER};
