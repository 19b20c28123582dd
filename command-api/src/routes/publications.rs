//! Publications: created, rescheduled and cancelled by dashboards and bots
//! (`publications:write`); attempted and reported by the publisher workers
//! (`publications:work`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use wavestack_adapters::http::{ApiError, Refused, ValidJson};
use wavestack_api_types::publications::{
    AssetReadyBody, AttemptBody, CreateBody, FailedBody, PublicationAccepted, PublishedBody, RescheduleBody,
};
use wavestack_domain::clip;
use wavestack_domain::publication::{self, CreatePublication, PublicationCommand};
use wavestack_domain::value::{
    Asset, AssetUrl, Caption, ClipId, FailureReason, Hashtag, Hashtags, MediaUri, OrgId, PostId, PublicationId,
    TargetPlatform, Targets, Title,
};

use super::clips::derived_id;
use crate::command_error::command_error;
use crate::edge::{accepted_body, field, no_fields, now, optional_timestamp, AcceptedResponse, Caller};
use crate::idempotency::UsedKey;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/v1/publications",
    tag = "publications",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe; the publication id derives from it")),
    request_body = CreateBody,
    responses((status = 202, description = "The publication queued", body = PublicationAccepted), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    key: Option<Extension<UsedKey>>,
    ValidJson(body): ValidJson<CreateBody>,
) -> Result<Response, ApiError> {
    let key = key.map(|Extension(UsedKey(key))| key);
    let publication_id = match &key {
        Some(key) => PublicationId::from_uuid(derived_id(&caller.principal.org, "publication", key.as_str())),
        None => PublicationId::new_random(),
    };
    let org = &caller.principal.org;
    let asset = match (body.asset.clip_id, body.asset.url) {
        (Some(clip), None) => {
            Asset::Clip(ClipId::parse(&clip).map_err(|e| ApiError::invalid_value("asset.clip_id", &e))?)
        }
        (None, Some(url)) => Asset::Url(field("asset.url", AssetUrl::parse(url))?),
        _ => return Err(ApiError::invalid_field("asset", "give exactly one of `clip_id` or `url`")),
    };
    let mut targets = Vec::with_capacity(body.targets.len());
    for (i, raw) in body.targets.iter().enumerate() {
        let target = field(format!("targets[{i}]"), TargetPlatform::parse(raw))?;
        if let Err(refused) = state.tenancy.targets.check(org, target) {
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, refused.code(), refused.to_string())
                .with_field(format!("targets[{i}]")));
        }
        targets.push(target);
    }
    check_asset(&state, org, &asset).await?;
    let mut hashtags = Vec::with_capacity(body.hashtags.len());
    for (i, raw) in body.hashtags.iter().enumerate() {
        hashtags.push(field(format!("hashtags[{i}]"), Hashtag::parse(raw))?);
    }
    let command = CreatePublication {
        publication_id,
        asset,
        targets: field("targets", Targets::parse(targets))?,
        title: field("title", Title::parse_required(body.title))?,
        caption: field("caption", Caption::parse(body.caption))?,
        hashtags: field("hashtags", Hashtags::parse(hashtags))?,
        scheduled_at: optional_timestamp("scheduled_at", body.scheduled_at.as_deref())?,
        idempotency_key: key,
    };
    let command = PublicationCommand::CreatePublication(command);
    execute_on(&state, &caller, publication_id, command).await
}

/// A clip must be the caller's org's own (another org's is as absent as
/// one that never was: 404); a URL of ours must come as that clip's id.
async fn check_asset(state: &AppState, org: &OrgId, asset: &Asset) -> Result<(), ApiError> {
    match asset {
        Asset::Clip(clip_id) => {
            let clip = state.bus.clip.load(&clip::stream_id(org, *clip_id)).await.map_err(command_error)?;
            if clip.status().is_none() {
                return Err(
                    ApiError::new(StatusCode::NOT_FOUND, "clip_not_found", "no such clip").with_field("asset.clip_id")
                );
            }
        }
        Asset::Url(url) => {
            let ours = state.tenancy.clips_public_base.as_deref().is_some_and(|base| {
                let (url, base) = (url.as_str().to_ascii_lowercase(), base.to_ascii_lowercase());
                url.strip_prefix(base.trim_end_matches('/'))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            });
            if ours {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "asset_url_is_a_clip",
                    "this URL is one of WaveStack's rendered clips: publish it by its `clip_id`",
                )
                .with_field("asset.url"));
            }
        }
    }
    Ok(())
}

#[utoipa::path(
    post,
    path = "/v1/publications/{publication_id}/reschedule",
    tag = "publications",
    params(("publication_id" = uuid::Uuid, Path, description = "The publication's UUID")),
    request_body = RescheduleBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn reschedule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<RescheduleBody>,
) -> Result<Response, ApiError> {
    let scheduled_at = optional_timestamp("scheduled_at", Some(&body.scheduled_at))?.expect("given");
    let command = PublicationCommand::Reschedule { scheduled_at };
    execute(&state, &caller, &id, command).await
}

#[utoipa::path(
    post,
    path = "/v1/publications/{publication_id}/cancel",
    tag = "publications",
    params(("publication_id" = uuid::Uuid, Path, description = "The publication's UUID")),
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    no_fields(&body)?;
    execute(&state, &caller, &id, PublicationCommand::Cancel).await
}

#[utoipa::path(
    post,
    path = "/v1/publications/{publication_id}/asset-ready",
    tag = "publications",
    params(("publication_id" = uuid::Uuid, Path, description = "The publication's UUID")),
    request_body = AssetReadyBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn asset_ready(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<AssetReadyBody>,
) -> Result<Response, ApiError> {
    let command =
        PublicationCommand::MarkAssetReady { media_uri: field("media_uri", MediaUri::parse(body.media_uri))? };
    execute(&state, &caller, &id, command).await
}

#[utoipa::path(
    post,
    path = "/v1/publications/{publication_id}/attempts",
    tag = "publications",
    params(("publication_id" = uuid::Uuid, Path, description = "The publication's UUID")),
    request_body = AttemptBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn start_attempt(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<AttemptBody>,
) -> Result<Response, ApiError> {
    let command = PublicationCommand::StartAttempt {
        target: field("target", TargetPlatform::parse(&body.target))?,
        at: optional_timestamp("at", body.at.as_deref())?.unwrap_or_else(now),
    };
    execute(&state, &caller, &id, command).await
}

#[utoipa::path(
    post,
    path = "/v1/publications/{publication_id}/published",
    tag = "publications",
    params(("publication_id" = uuid::Uuid, Path, description = "The publication's UUID")),
    request_body = PublishedBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn published(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<PublishedBody>,
) -> Result<Response, ApiError> {
    let command = PublicationCommand::RecordPublished {
        target: field("target", TargetPlatform::parse(&body.target))?,
        post_id: field("post_id", PostId::parse(body.post_id))?,
        url: body.url.map(|url| field("url", AssetUrl::parse(url))).transpose()?,
    };
    execute(&state, &caller, &id, command).await
}

#[utoipa::path(
    post,
    path = "/v1/publications/{publication_id}/failed",
    tag = "publications",
    params(("publication_id" = uuid::Uuid, Path, description = "The publication's UUID")),
    request_body = FailedBody,
    responses(AcceptedResponse, Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn failed(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<FailedBody>,
) -> Result<Response, ApiError> {
    let command = PublicationCommand::RecordFailure {
        target: field("target", TargetPlatform::parse(&body.target))?,
        error: field("error", FailureReason::parse(body.error))?,
        retryable: body.retryable,
        next_retry_at: optional_timestamp("next_retry_at", body.next_retry_at.as_deref())?,
    };
    execute(&state, &caller, &id, command).await
}

async fn execute(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    command: PublicationCommand,
) -> Result<Response, ApiError> {
    // A malformed id names no publication: 404, like another org's.
    let id = PublicationId::parse(raw_id).map_err(|_| ApiError::not_found("no such publication"))?;
    execute_on(state, caller, id, command).await
}

async fn execute_on(
    state: &AppState,
    caller: &Caller,
    publication_id: PublicationId,
    command: PublicationCommand,
) -> Result<Response, ApiError> {
    let id = publication::stream_id(&caller.principal.org, publication_id);
    let accepted = state.bus.publication.execute(&id, command, &caller.metadata).await.map_err(command_error)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PublicationAccepted { publication_id: publication_id.as_uuid(), accepted: accepted_body(accepted) }),
    )
        .into_response())
}
