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
mod newest_first;
mod one_row;
mod params;
mod publications;
mod read_your_writes;
mod viewer;
mod waiters;

pub(crate) use waiters::MAX_WAITS_PER_CALLER;

use std::collections::BTreeMap;

use axum::extract::FromRef;
use axum::middleware::from_fn_with_state;
use axum::Router;
use sqlx::PgPool;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;
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

/// The read routes with the scope each needs: the one table the router and
/// the OpenAPI document both come from.
fn table() -> Vec<(Scope, UtoipaMethodRouter<ReadState>)> {
    vec![
        (Scope::Read, routes!(leaderboard::leaderboard)),
        (Scope::Read, routes!(analytics::analytics)),
        (Scope::Read, routes!(commands::commands)),
        (Scope::Read, routes!(commands::recent)),
        (Scope::Read, routes!(viewer::viewer)),
        (Scope::Read, routes!(moderation::log)),
        (Scope::Read, routes!(moderation::standing)),
        (Scope::Read, routes!(clips::list)),
        (Scope::Read, routes!(clips::one)),
        (Scope::Read, routes!(publications::list)),
        (Scope::Read, routes!(publications::one)),
        (Scope::Read, routes!(community::people_leaderboard)),
        (Scope::Read, routes!(community::person)),
        (Scope::Read, routes!(community::giveaways)),
        (Scope::Read, routes!(community::giveaway)),
        (Scope::Read, routes!(community::polls)),
        (Scope::Read, routes!(community::poll)),
        (Scope::AuditRead, routes!(events::list)),
        (Scope::AuditRead, routes!(checkpoints::list)),
    ]
}

/// The read routes' part of the document.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    table().into_iter().fold(OpenApiRouter::new(), |router, (_, routes)| router.routes(routes)).split_for_parts().1
}

pub(crate) fn routes(pool: PgPool, max_waits_per_caller: usize) -> Router {
    let mut by_scope: BTreeMap<Scope, OpenApiRouter<ReadState>> = BTreeMap::new();
    for (scope, routes) in table() {
        let group = by_scope.remove(&scope).unwrap_or_default();
        by_scope.insert(scope, group.routes(routes));
    }
    let router = by_scope.into_iter().fold(Router::new(), |router, (scope, group)| {
        router.merge(group.split_for_parts().0.route_layer(from_fn_with_state(scope, require_scope)))
    });
    let waiters = waiters::Waiters::new(pool.clone(), max_waits_per_caller);
    router.with_state(ReadState { pool, waiters })
}
