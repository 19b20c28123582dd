//! Routes and the scope each needs.

mod channels;
mod chat;
mod clips;
mod community;
mod jwks;
mod moderation;
mod publications;
mod replies;
mod team;
mod token;

use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use wavestack_adapters::auth::Scope;
use wavestack_adapters::http::require_scope;

use crate::idempotency::idempotent;
use crate::state::AppState;

/// The command API's OpenAPI document, from its handlers' attributes.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "WaveStack command API",
        description = "Chat, clips, publications, channel settings and tokens: commands in, events out."
    ),
    paths(
        chat::post_messages,
        replies::feed,
        replies::socket,
        channels::add_command,
        channels::edit_command,
        channels::delete_command,
        channels::set_points_policy,
        channels::set_prefix,
        channels::add_regular,
        channels::remove_regular,
        channels::configure_builtin,
        channels::say,
        moderation::set_filter,
        moderation::set_escalation,
        moderation::moderate,
        community::open_giveaway,
        community::close_giveaway,
        community::draw_giveaway,
        community::redraw_giveaway,
        community::cancel_giveaway,
        community::open_poll,
        community::close_poll,
        community::cancel_poll,
        community::unlink,
        team::add,
        team::change_role,
        team::remove,
        team::issue_overlay_key,
        team::revoke_overlay_key,
        clips::request,
        clips::start,
        clips::complete,
        clips::fail,
        publications::create,
        publications::reschedule,
        publications::cancel,
        publications::asset_ready,
        publications::start_attempt,
        publications::published,
        publications::failed,
        token::issue,
        jwks::jwks,
    )
)]
pub(crate) struct CommandApiDoc;

/// Routes that need a bearer token.
pub(crate) fn commands(state: &AppState) -> Router {
    Router::new()
        .merge(scoped(
            state,
            Scope::ChatWrite,
            Router::new()
                .route("/v1/chat/messages", post(chat::post_messages))
                .route("/v1/bots/replies", get(replies::feed))
                .route("/v1/bots/replies/socket", get(replies::socket)),
        ))
        .merge(scoped(
            state,
            Scope::ChannelsWrite,
            Router::new()
                .route("/v1/channels/{platform}/{channel}/commands", post(channels::add_command))
                .route(
                    "/v1/channels/{platform}/{channel}/commands/{name}",
                    patch(channels::edit_command).delete(channels::delete_command),
                )
                .route("/v1/channels/{platform}/{channel}/points-policy", put(channels::set_points_policy))
                .route("/v1/channels/{platform}/{channel}/prefix", put(channels::set_prefix))
                .route(
                    "/v1/channels/{platform}/{channel}/regulars/{user_id}",
                    put(channels::add_regular).delete(channels::remove_regular),
                )
                .route("/v1/channels/{platform}/{channel}/builtins/{builtin}", put(channels::configure_builtin))
                .route("/v1/channels/{platform}/{channel}/say", post(channels::say))
                .route("/v1/channels/{platform}/{channel}/filters/{filter}", put(moderation::set_filter))
                .route("/v1/channels/{platform}/{channel}/escalation", put(moderation::set_escalation))
                .route("/v1/channels/{platform}/{channel}/viewers/{user_id}/moderation", post(moderation::moderate))
                .route("/v1/giveaways", post(community::open_giveaway))
                .route("/v1/giveaways/{giveaway_id}/close", post(community::close_giveaway))
                .route("/v1/giveaways/{giveaway_id}/draw", post(community::draw_giveaway))
                .route("/v1/giveaways/{giveaway_id}/redraw", post(community::redraw_giveaway))
                .route("/v1/giveaways/{giveaway_id}/cancel", post(community::cancel_giveaway))
                .route("/v1/polls", post(community::open_poll))
                .route("/v1/polls/{poll_id}/close", post(community::close_poll))
                .route("/v1/polls/{poll_id}/cancel", post(community::cancel_poll))
                .route("/v1/identities/{account}", delete(community::unlink))
                .route("/v1/overlay-keys", post(team::issue_overlay_key))
                .route("/v1/overlay-keys/{id}", delete(team::revoke_overlay_key)),
        ))
        .merge(scoped(
            state,
            Scope::TeamWrite,
            Router::new()
                .route("/v1/team/members", post(team::add))
                .route("/v1/team/members/{username}", patch(team::change_role).delete(team::remove)),
        ))
        .merge(scoped(state, Scope::ClipsWrite, Router::new().route("/v1/clips", post(clips::request))))
        .merge(scoped(
            state,
            Scope::ClipsWork,
            Router::new()
                .route("/v1/clips/{clip_id}/start", post(clips::start))
                .route("/v1/clips/{clip_id}/complete", post(clips::complete))
                .route("/v1/clips/{clip_id}/fail", post(clips::fail)),
        ))
        .merge(scoped(
            state,
            Scope::PublicationsWrite,
            Router::new()
                .route("/v1/publications", post(publications::create))
                .route("/v1/publications/{publication_id}/reschedule", post(publications::reschedule))
                .route("/v1/publications/{publication_id}/cancel", post(publications::cancel)),
        ))
        .merge(scoped(
            state,
            Scope::PublicationsWork,
            Router::new()
                .route("/v1/publications/{publication_id}/asset-ready", post(publications::asset_ready))
                .route("/v1/publications/{publication_id}/attempts", post(publications::start_attempt))
                .route("/v1/publications/{publication_id}/published", post(publications::published))
                .route("/v1/publications/{publication_id}/failed", post(publications::failed)),
        ))
        .with_state(state.clone())
}

/// Routes anyone may call: getting a token, and the keys to check one.
pub(crate) fn auth(state: &AppState) -> Router {
    Router::new()
        .route("/v1/auth/token", post(token::issue).route_layer(from_fn_with_state(state.clone(), token::admit)))
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .with_state(state.clone())
}

/// The scope is checked before the idempotency layer, so a caller without
/// it cannot read answers stored under its org's keys.
fn scoped(state: &AppState, scope: Scope, routes: Router<AppState>) -> Router<AppState> {
    routes
        .route_layer(from_fn_with_state(state.clone(), idempotent))
        .route_layer(from_fn_with_state(scope, require_scope))
}
