//! `POST /v1/admin/keys/rotate` (`admin`): a new signing key from now on;
//! tokens signed with the old one stay valid until they expire.

use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use wavestack_adapters::http::ApiError;

use crate::state::AppState;

pub(crate) async fn rotate_key(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    // Twice the longest token lifetime: no token a retired key signed can
    // still be valid.
    let retire_after = state.tokens.settings().ttl * 2 + Duration::from_secs(60);
    let tokens = state.tokens.clone();
    let kid = tokio::task::spawn_blocking(move || tokens.keys().rotate(retire_after))
        .await
        .map_err(|e| ApiError::internal(e.into()))??;
    tracing::info!(kid, "signing key rotated");
    Ok(Json(json!({ "kid": kid })))
}
