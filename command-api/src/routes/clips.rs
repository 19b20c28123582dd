//! Clips: requested by bots and dashboards (`clips:write`); moved through
//! rendering by the renderer workers (`clips:work`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use uuid::Uuid;
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_adapters::media::{Reservation, SourceRefused};
use wavestack_api_types::clips::{ClipAccepted, CompleteBody, FailBody, RequestClipBody};
use wavestack_domain::clip::{self, ClipCommand, RenderedClip, RequestClip};
use wavestack_domain::value::{
    ChannelId, ClipDuration, ClipId, ClipSource, ClipStart, Container, ContentHash, FailureReason, MediaUri, OrgId,
    Title,
};

use crate::command_error::command_error;
use crate::edge::{accepted_body, field, no_fields, AcceptedResponse, Caller};
use crate::idempotency::UsedKey;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/v1/clips",
    tag = "clips",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe; the clip id derives from it")),
    request_body = RequestClipBody,
    responses((status = 202, description = "The clip requested", body = ClipAccepted), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn request(
    State(state): State<AppState>,
    caller: Caller,
    key: Option<Extension<UsedKey>>,
    ValidJson(body): ValidJson<RequestClipBody>,
) -> Result<Response, ApiError> {
    let clip_id = match key {
        // The same key always names the same clip: a request re-run after
        // a crash finds its clip instead of creating a second one.
        Some(Extension(UsedKey(key))) => ClipId::from_uuid(derived_id(&caller.principal.org, "clip", key.as_str())),
        None => ClipId::new_random(),
    };
    let source = field("source", ClipSource::parse(body.source))?;
    if let Some(policy) = &state.tenancy.sources {
        // Resolving stats the file: off the executor.
        let (policy, org, raw) = (policy.clone(), caller.principal.org.clone(), source.as_str().to_owned());
        let resolved = tokio::task::spawn_blocking(move || policy.resolve(&org, &raw))
            .await
            .map_err(|e| ApiError::internal(e.into()))?;
        if let Err(refused) = resolved {
            if let SourceRefused::Unavailable(reason) = &refused {
                tracing::info!(org = %caller.principal.org, ?reason, "clip source refused");
            }
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, refused.code(), refused.to_string())
                .with_field("source"));
        }
    }
    let command = RequestClip {
        clip_id,
        channel: field("channel", ChannelId::parse(body.channel))?,
        source,
        start: field("start_seconds", ClipStart::from_seconds(body.start_seconds))?,
        duration: field("duration_seconds", ClipDuration::from_seconds(body.duration_seconds))?,
        container: match body.container {
            Some(raw) => field("container", Container::parse(&raw))?,
            None => Container::default(),
        },
        reencode: body.reencode,
        title: field("title", Title::parse(body.title))?,
        requested_by: caller.principal.subject.clone(),
    };
    let id = clip::stream_id(&caller.principal.org, clip_id);
    let reservation = reserve(&state, &caller, clip_id, command.duration).await?;
    let executed = state.bus.clip.execute(&id, ClipCommand::RequestClip(command), &caller.metadata).await;
    if let (Some(quota), Some(reservation)) = (&state.tenancy.render_quota, reservation) {
        let created = executed.as_ref().is_ok_and(|accepted| accepted.events_written > 0);
        quota.settle(clip_id.as_uuid(), reservation, created).await.map_err(ApiError::internal)?;
    }
    let accepted = executed.map_err(command_error)?;
    Ok((StatusCode::ACCEPTED, Json(ClipAccepted { clip_id: clip_id.as_uuid(), accepted: accepted_body(accepted) }))
        .into_response())
}

/// The clip's length out of the org's share of the renderers, or 429.
async fn reserve(
    state: &AppState,
    caller: &Caller,
    clip_id: ClipId,
    duration: ClipDuration,
) -> Result<Option<Reservation>, ApiError> {
    let Some(quota) = &state.tenancy.render_quota else { return Ok(None) };
    let length = std::time::Duration::from_millis(duration.millis());
    match quota.reserve(&caller.principal.org, clip_id.as_uuid(), length).await.map_err(ApiError::internal)? {
        Ok(reservation) => Ok(Some(reservation)),
        Err(exceeded) => {
            Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "render_quota_exceeded", exceeded.to_string())
                .with_retry_after(std::time::Duration::from_secs(30)))
        }
    }
}

#[utoipa::path(
    post,
    path = "/v1/clips/{clip_id}/start",
    tag = "clips",
    params(("clip_id" = uuid::Uuid, Path, description = "The clip's UUID")),
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(clip_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    no_fields(&body)?;
    let command = ClipCommand::StartRendering { worker: caller.principal.subject.clone() };
    execute(&state, &caller, &clip_id, command).await
}

#[utoipa::path(
    post,
    path = "/v1/clips/{clip_id}/complete",
    tag = "clips",
    params(("clip_id" = uuid::Uuid, Path, description = "The clip's UUID")),
    request_body = CompleteBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path(clip_id): Path<String>,
    ValidJson(body): ValidJson<CompleteBody>,
) -> Result<Response, ApiError> {
    let rendered = RenderedClip {
        uri: field("uri", MediaUri::parse(body.uri))?,
        thumbnail_uri: field("thumbnail_uri", MediaUri::parse(body.thumbnail_uri))?,
        duration_ms: body.duration_ms,
        size_bytes: body.size_bytes,
        sha256: field("sha256", ContentHash::parse(body.sha256))?,
    };
    execute(&state, &caller, &clip_id, ClipCommand::CompleteRendering(rendered)).await
}

#[utoipa::path(
    post,
    path = "/v1/clips/{clip_id}/fail",
    tag = "clips",
    params(("clip_id" = uuid::Uuid, Path, description = "The clip's UUID")),
    request_body = FailBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn fail(
    State(state): State<AppState>,
    caller: Caller,
    Path(clip_id): Path<String>,
    ValidJson(body): ValidJson<FailBody>,
) -> Result<Response, ApiError> {
    let command = ClipCommand::FailRendering {
        reason: field("reason", FailureReason::parse(body.reason))?,
        retryable: body.retryable,
    };
    execute(&state, &caller, &clip_id, command).await
}

async fn execute(state: &AppState, caller: &Caller, raw_id: &str, command: ClipCommand) -> Result<Response, ApiError> {
    // A malformed id names no clip: 404, like another org's clip.
    let clip_id = ClipId::parse(raw_id).map_err(|_| ApiError::not_found("no such clip"))?;
    let id = clip::stream_id(&caller.principal.org, clip_id);
    let accepted = state.bus.clip.execute(&id, command, &caller.metadata).await.map_err(command_error)?;
    Ok((StatusCode::ACCEPTED, Json(ClipAccepted { clip_id: clip_id.as_uuid(), accepted: accepted_body(accepted) }))
        .into_response())
}

/// A UUID (v5) determined by org, kind and idempotency key.
pub(crate) fn derived_id(org: &OrgId, kind: &str, key: &str) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x5d1f_0c2e_8a4b_4f7e_9c3d_2b1a_0e6f_7a81);
    Uuid::new_v5(&NAMESPACE, format!("{org}\u{0}{kind}\u{0}{key}").as_bytes())
}
