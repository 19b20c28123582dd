//! Giveaways, polls and identity links over HTTP (`channels:write`): the
//! dashboard's way to run what moderators run from chat. Every step is an
//! event whose actor is the token's subject; a draw is announced in the
//! giveaway's channels on the bots' feed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_api_types::community::{
    DrawBody, GiveawayBody, OpenGiveawayBody, OpenPollBody, PollBody, RedrawBody, UnlinkedBody, Winner,
};
use wavestack_domain::giveaway::{GiveawayEvent, GiveawayRules, GiveawayState};
use wavestack_domain::poll::{OpenPoll, PollState};
use wavestack_domain::value::{Account, ChannelRef, CommandName, GiveawayId, PollId, UserLevel};

use wavestack_app::community::{giveaways, links, polls};

use crate::command_error::failure_error;
use crate::edge::{field, now, optional_timestamp, Caller};
use crate::state::AppState;

fn giveaway_body(caller: &Caller, done: giveaways::Done) -> GiveawayBody {
    let state: &GiveawayState = &done.state;
    let drawn = done.events.iter().find_map(|e| match e {
        GiveawayEvent::WinnersDrawn(d) => Some(d),
        _ => None,
    });
    GiveawayBody {
        giveaway_id: done.giveaway_id.to_string(),
        aggregate_id: format!("{}/{}", caller.metadata.org, done.giveaway_id),
        sequence: done.sequence,
        phase: state.phase().to_string(),
        entries: state.entries().len(),
        commitment: state.opened().map(|o| o.commitment.clone()).unwrap_or_default(),
        seed: drawn.map(|d| d.seed.clone()),
        winners: drawn
            .map(|d| {
                d.winners
                    .iter()
                    .map(|w| Winner {
                        entry: w.entry,
                        person: w.person.to_string(),
                        account: w.account.to_string(),
                        author: w.author.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn channels(raw: Vec<String>) -> Result<Vec<ChannelRef>, ApiError> {
    raw.iter().map(|c| field("channels", ChannelRef::parse(c))).collect()
}

fn giveaway_id(raw: &str) -> Result<GiveawayId, ApiError> {
    // An id that is no UUID names no giveaway: 404, as for another org's.
    GiveawayId::parse(raw).map_err(|_| ApiError::not_found("there is no such giveaway"))
}

fn accepted(body: impl Serialize) -> Response {
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

/// Opens a giveaway in one or more of the org's channels; its seed's
/// SHA-256 is published at once (`commitment`).
#[utoipa::path(post, path = "/v1/giveaways", tag = "community", request_body = OpenGiveawayBody,
    responses((status = 202, description = "Opened", body = GiveawayBody), Refused), security(("bearer" = [])))]
pub(crate) async fn open_giveaway(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<OpenGiveawayBody>,
) -> Result<Response, ApiError> {
    let rules = GiveawayRules {
        keyword: field("keyword", CommandName::parse(body.keyword.unwrap_or_else(|| "join".into())))?,
        cost: body.cost,
        min_level: match body.min_level {
            Some(level) => field("min_level", UserLevel::parse_nightbot(&level))?,
            None => UserLevel::Everyone,
        },
        subscriber_luck: body.subscriber_luck.unwrap_or(1),
        closes_at: optional_timestamp("closes_at", body.closes_at.as_deref())?,
    };
    let opening = giveaways::Opening { title: body.title, channels: channels(body.channels)?, rules, at: now() };
    let done = giveaways::open(&state.app, &caller.metadata, opening).await.map_err(failure_error)?;
    Ok(accepted(giveaway_body(&caller, done)))
}

#[utoipa::path(post, path = "/v1/giveaways/{giveaway_id}/close", tag = "community",
    params(("giveaway_id" = String, Path)), responses((status = 202, body = GiveawayBody), Refused), security(("bearer" = [])))]
pub(crate) async fn close_giveaway(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let done = giveaways::close(&state.app, &caller.metadata, giveaway_id(&id)?, now()).await.map_err(failure_error)?;
    Ok(accepted(giveaway_body(&caller, done)))
}

/// Closes if still open and draws: the seed is revealed with the winners.
#[utoipa::path(post, path = "/v1/giveaways/{giveaway_id}/draw", tag = "community", request_body = DrawBody,
    params(("giveaway_id" = String, Path)), responses((status = 202, body = GiveawayBody), Refused), security(("bearer" = [])))]
pub(crate) async fn draw_giveaway(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<DrawBody>,
) -> Result<Response, ApiError> {
    let id = giveaway_id(&id)?;
    let done = giveaways::draw(&state.app, &caller.metadata, id, body.count.unwrap_or(1), now(), None)
        .await
        .map_err(failure_error)?;
    Ok(accepted(giveaway_body(&caller, done)))
}

#[utoipa::path(post, path = "/v1/giveaways/{giveaway_id}/redraw", tag = "community", request_body = RedrawBody,
    params(("giveaway_id" = String, Path)), responses((status = 202, body = GiveawayBody), Refused), security(("bearer" = [])))]
pub(crate) async fn redraw_giveaway(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<RedrawBody>,
) -> Result<Response, ApiError> {
    let id = giveaway_id(&id)?;
    let replace = field("replace", Account::parse(&body.replace))?;
    let done =
        giveaways::redraw(&state.app, &caller.metadata, id, replace, now(), None).await.map_err(failure_error)?;
    Ok(accepted(giveaway_body(&caller, done)))
}

/// Cancels; every entry's price goes back, exactly once.
#[utoipa::path(post, path = "/v1/giveaways/{giveaway_id}/cancel", tag = "community",
    params(("giveaway_id" = String, Path)), responses((status = 202, body = GiveawayBody), Refused), security(("bearer" = [])))]
pub(crate) async fn cancel_giveaway(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let done =
        giveaways::cancel(&state.app, &caller.metadata, giveaway_id(&id)?, now()).await.map_err(failure_error)?;
    Ok(accepted(giveaway_body(&caller, done)))
}

fn poll_body(caller: &Caller, done: polls::Done) -> PollBody {
    let state: &PollState = &done.state;
    PollBody {
        poll_id: done.poll_id.to_string(),
        aggregate_id: format!("{}/{}", caller.metadata.org, done.poll_id),
        sequence: done.sequence,
        phase: state.phase().to_string(),
        options: state.opened().map(|o| o.options.clone()).unwrap_or_default(),
        counts: state.counts().to_vec(),
    }
}

fn poll_id(raw: &str) -> Result<PollId, ApiError> {
    PollId::parse(raw).map_err(|_| ApiError::not_found("there is no such poll"))
}

#[utoipa::path(post, path = "/v1/polls", tag = "community", request_body = OpenPollBody,
    responses((status = 202, body = PollBody), Refused), security(("bearer" = [])))]
pub(crate) async fn open_poll(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<OpenPollBody>,
) -> Result<Response, ApiError> {
    let open = OpenPoll {
        poll_id: PollId::new_random(),
        question: body.question,
        options: body.options,
        channels: channels(body.channels)?,
        duration_seconds: body.duration_seconds,
        allow_change: body.allow_change,
        at: now(),
    };
    let done = polls::open(&state.app, &caller.metadata, open).await.map_err(failure_error)?;
    Ok(accepted(poll_body(&caller, done)))
}

/// Ends voting early; the final counts are announced in its channels.
#[utoipa::path(post, path = "/v1/polls/{poll_id}/close", tag = "community",
    params(("poll_id" = String, Path)), responses((status = 202, body = PollBody), Refused), security(("bearer" = [])))]
pub(crate) async fn close_poll(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let done = polls::close(&state.app, &caller.metadata, poll_id(&id)?, now(), None).await.map_err(failure_error)?;
    Ok(accepted(poll_body(&caller, done)))
}

#[utoipa::path(post, path = "/v1/polls/{poll_id}/cancel", tag = "community",
    params(("poll_id" = String, Path)), responses((status = 202, body = PollBody), Refused), security(("bearer" = [])))]
pub(crate) async fn cancel_poll(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let done = polls::cancel(&state.app, &caller.metadata, poll_id(&id)?, now()).await.map_err(failure_error)?;
    Ok(accepted(poll_body(&caller, done)))
}

/// Takes an account out of its person (the person's root account
/// dissolves it), as `!unlink` does from chat.
#[utoipa::path(delete, path = "/v1/identities/{account}", tag = "community",
    params(("account" = String, Path, description = "platform:user")),
    responses((status = 202, body = UnlinkedBody), Refused), security(("bearer" = [])))]
pub(crate) async fn unlink(
    State(state): State<AppState>,
    caller: Caller,
    Path(account): Path<String>,
) -> Result<Response, ApiError> {
    let account = Account::parse(&account).map_err(|_| ApiError::not_found("there is no such account"))?;
    let root = state.app.person_of(&caller.metadata.org, &account).await.map_err(ApiError::internal)?;
    let unlinked = links::unlink(&state.app, &caller.metadata, &account, &root, now()).await.map_err(failure_error)?;
    Ok(accepted(UnlinkedBody { unlinked: unlinked.iter().map(ToString::to_string).collect() }))
}
