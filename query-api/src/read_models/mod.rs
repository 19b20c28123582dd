//! Read-model routes; each needs the `read` scope and sees only the token's org.

mod leaderboard;
mod read_your_writes;

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use sqlx::PgPool;
use wavestack_adapters::auth::Scope;
use wavestack_adapters::http::require_scope;

pub(crate) fn routes(pool: PgPool) -> Router {
    Router::new()
        .route("/v1/channels/{channel}/leaderboard", get(leaderboard::leaderboard))
        .route_layer(from_fn_with_state(Scope::Read, require_scope))
        .with_state(pool)
}
