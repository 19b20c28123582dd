//! Routes and the scope each needs.

mod broadcast;
mod channels;
mod chat;
mod clips;
mod community;
mod jwks;
mod moderation;
mod password;
mod publications;
mod replies;
mod support;
mod team;
mod token;

pub(crate) use replies::{FEED_WAITS_PER_CALLER, FEED_WAITS_PER_ORG};

use std::collections::BTreeMap;

use axum::middleware::from_fn_with_state;
use axum::Router;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;
use wavestack_adapters::auth::Scope;
use wavestack_adapters::http::require_scope;

use crate::idempotency::idempotent;
use crate::state::AppState;

/// The command API's OpenAPI document's own part; its paths come from the
/// route table below.
#[derive(utoipa::OpenApi)]
#[openapi(info(
    title = "WaveStack command API",
    description = "Chat, clips, publications, channel settings and tokens: commands in, events out."
))]
pub(crate) struct CommandApiDoc;

/// Every route that needs a bearer token, with the scope it needs: the one
/// table the router and the OpenAPI document both come from. Each path is
/// the one its handler's `#[utoipa::path]` names.
fn scoped_routes() -> Vec<(Scope, UtoipaMethodRouter<AppState>)> {
    vec![
        (Scope::ChatWrite, routes!(chat::post_messages)),
        (Scope::ChatWrite, routes!(broadcast::post_broadcast_event)),
        (Scope::ChatWrite, routes!(replies::feed)),
        (Scope::ChatWrite, routes!(replies::socket)),
        (Scope::ChannelsWrite, routes!(channels::add_command)),
        (Scope::ChannelsWrite, routes!(channels::edit_command, channels::delete_command)),
        (Scope::ChannelsWrite, routes!(channels::set_points_policy)),
        (Scope::ChannelsWrite, routes!(channels::set_prefix)),
        (Scope::ChannelsWrite, routes!(support::set_support_policy)),
        (Scope::ChannelsWrite, routes!(support::configure_alert)),
        (Scope::ChannelsWrite, routes!(channels::add_regular, channels::remove_regular)),
        (Scope::ChannelsWrite, routes!(channels::configure_builtin)),
        (Scope::ChannelsWrite, routes!(channels::say)),
        (Scope::ChannelsWrite, routes!(moderation::set_filter)),
        (Scope::ChannelsWrite, routes!(moderation::set_escalation)),
        (Scope::ChannelsWrite, routes!(moderation::moderate)),
        (Scope::ChannelsWrite, routes!(community::open_giveaway)),
        (Scope::ChannelsWrite, routes!(community::close_giveaway)),
        (Scope::ChannelsWrite, routes!(community::draw_giveaway)),
        (Scope::ChannelsWrite, routes!(community::redraw_giveaway)),
        (Scope::ChannelsWrite, routes!(community::cancel_giveaway)),
        (Scope::ChannelsWrite, routes!(community::open_poll)),
        (Scope::ChannelsWrite, routes!(community::close_poll)),
        (Scope::ChannelsWrite, routes!(community::cancel_poll)),
        (Scope::ChannelsWrite, routes!(community::unlink)),
        (Scope::ChannelsWrite, routes!(team::issue_overlay_key)),
        (Scope::ChannelsWrite, routes!(team::revoke_overlay_key)),
        (Scope::TeamWrite, routes!(team::add)),
        (Scope::TeamWrite, routes!(team::change_role, team::remove)),
        (Scope::TeamWrite, routes!(password::reset)),
        // Every member's token reads; the route itself takes only members.
        (Scope::Read, routes!(password::change_own)),
        (Scope::ClipsWrite, routes!(clips::request)),
        (Scope::ClipsWork, routes!(clips::start)),
        (Scope::ClipsWork, routes!(clips::complete)),
        (Scope::ClipsWork, routes!(clips::fail)),
        (Scope::PublicationsWrite, routes!(publications::create)),
        (Scope::PublicationsWrite, routes!(publications::reschedule)),
        (Scope::PublicationsWrite, routes!(publications::cancel)),
        (Scope::PublicationsWork, routes!(publications::asset_ready)),
        (Scope::PublicationsWork, routes!(publications::start_attempt)),
        (Scope::PublicationsWork, routes!(publications::published)),
        (Scope::PublicationsWork, routes!(publications::failed)),
    ]
}

/// How an open route is let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    Open,
    /// Behind the token endpoint's own gate (per address, global, argon2).
    TokenGate,
}

/// Routes anyone may call: getting a token, and the keys to check one.
fn open_routes() -> Vec<(Door, UtoipaMethodRouter<AppState>)> {
    vec![(Door::TokenGate, routes!(token::issue)), (Door::Open, routes!(jwks::jwks))]
}

/// The document's paths, from the same table as the router.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    let mut router = OpenApiRouter::with_openapi(<CommandApiDoc as utoipa::OpenApi>::openapi());
    for (_, routes) in scoped_routes() {
        router = router.routes(routes);
    }
    for (_, routes) in open_routes() {
        router = router.routes(routes);
    }
    router.split_for_parts().1
}

/// Routes that need a bearer token, each behind its scope.
pub(crate) fn commands(state: &AppState) -> Router {
    let mut by_scope: BTreeMap<Scope, OpenApiRouter<AppState>> = BTreeMap::new();
    for (scope, routes) in scoped_routes() {
        let group = by_scope.remove(&scope).unwrap_or_default();
        by_scope.insert(scope, group.routes(routes));
    }
    by_scope
        .into_iter()
        .fold(Router::new(), |router, (scope, group)| router.merge(scoped(state, scope, group.split_for_parts().0)))
        .with_state(state.clone())
}

/// Routes anyone may call; the token endpoint behind its own gate.
pub(crate) fn auth(state: &AppState) -> Router {
    let mut router = OpenApiRouter::new();
    for (door, (schemas, paths, method)) in open_routes() {
        let method = match door {
            Door::Open => method,
            Door::TokenGate => method.route_layer(from_fn_with_state(state.clone(), token::admit)),
        };
        router = router.routes((schemas, paths, method));
    }
    router.split_for_parts().0.with_state(state.clone())
}

/// The scope is checked before the idempotency layer, so a caller without
/// it cannot read answers stored under its org's keys.
fn scoped(state: &AppState, scope: Scope, routes: Router<AppState>) -> Router<AppState> {
    routes
        .route_layer(from_fn_with_state(state.clone(), idempotent))
        .route_layer(from_fn_with_state(scope, require_scope))
}
