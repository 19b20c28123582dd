//! Read-model routes; each sees only the token's org. The event log and
//! the audit checkpoints need the `audit:read` scope, the others `read`.

mod analytics;
mod checkpoints;
mod clips;
mod commands;
mod community;
mod events;
mod leaderboard;
mod moderation;
mod params;
mod publications;
mod read_your_writes;
mod viewer;
mod waiters;

pub(crate) use waiters::MAX_WAITS_PER_CALLER;

use axum::extract::FromRef;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use sqlx::PgPool;
use wavestack_adapters::auth::Scope;
use wavestack_adapters::http::require_scope;

/// What read routes share: the pool, and the read-your-writes waits.
#[derive(Clone)]
struct ReadState {
    pool: PgPool,
    waiters: waiters::Waiters,
}

impl FromRef<ReadState> for PgPool {
    fn from_ref(state: &ReadState) -> Self {
        state.pool.clone()
    }
}

impl FromRef<ReadState> for waiters::Waiters {
    fn from_ref(state: &ReadState) -> Self {
        state.waiters.clone()
    }
}

/// The read routes, from their handlers' attributes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    leaderboard::leaderboard,
    community::people_leaderboard,
    community::person,
    community::giveaways,
    community::giveaway,
    community::polls,
    community::poll,
    analytics::analytics,
    commands::commands,
    commands::recent,
    viewer::viewer,
    moderation::log,
    moderation::standing,
    clips::list,
    clips::one,
    publications::list,
    publications::one,
    events::list,
    checkpoints::list,
))]
pub(crate) struct ReadModelsDoc;

pub(crate) fn routes(pool: PgPool, max_waits_per_caller: usize) -> Router {
    let read = Router::new()
        .route("/v1/channels/{channel}/leaderboard", get(leaderboard::leaderboard))
        .route("/v1/channels/{channel}/analytics", get(analytics::analytics))
        .route("/v1/channels/{platform}/{channel}/commands", get(commands::commands))
        .route("/v1/channels/{platform}/{channel}/commands/recent", get(commands::recent))
        .route("/v1/channels/{platform}/{channel}/viewers/{user_id}", get(viewer::viewer))
        .route("/v1/channels/{platform}/{channel}/moderation", get(moderation::log))
        .route("/v1/channels/{platform}/{channel}/viewers/{user_id}/standing", get(moderation::standing))
        .route("/v1/clips", get(clips::list))
        .route("/v1/clips/{id}", get(clips::one))
        .route("/v1/publications", get(publications::list))
        .route("/v1/publications/{id}", get(publications::one))
        .route("/v1/leaderboard", get(community::people_leaderboard))
        .route("/v1/people/{account}", get(community::person))
        .route("/v1/giveaways", get(community::giveaways))
        .route("/v1/giveaways/{id}", get(community::giveaway))
        .route("/v1/polls", get(community::polls))
        .route("/v1/polls/{id}", get(community::poll))
        .route_layer(from_fn_with_state(Scope::Read, require_scope));
    let audit = Router::new()
        .route("/v1/events", get(events::list))
        .route("/v1/audit/checkpoints", get(checkpoints::list))
        .route_layer(from_fn_with_state(Scope::AuditRead, require_scope));
    let waiters = waiters::Waiters::new(pool.clone(), max_waits_per_caller);
    read.merge(audit).with_state(ReadState { pool, waiters })
}
