//! `GET /.well-known/jwks.json`: every key a valid token may be signed with.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;

use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "auth",
    responses((status = 200, description = "The JSON Web Key Set (RFC 7517) that verifies tokens", body = Object))
)]
pub(crate) async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    // Short cache: verifiers pick up a rotated key within a minute.
    ([(header::CACHE_CONTROL, "public, max-age=60")], Json(state.tokens.keys().jwks()))
}
