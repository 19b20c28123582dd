//! `GET /v1/clips?status=&channel=&limit=&cursor=` (newest first) and
//! `GET /v1/clips/{id}`: clip jobs as the queue-state read model has them.

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{ApiError, Refused};
use wavestack_domain::clip;
use wavestack_domain::value::{ClipId, OrgId, ValueError};
use wavestack_projections::queue::{self, ClipFilter, ClipJob};
use wavestack_projections::ProjectionKind;

use super::newest_first::NewestFirst;
use super::one_row::{OneRow, RowKind};
use super::params::{channel, one_of};
use super::read_your_writes::{Consistency, ReadQuery};
use super::waiters::Waiters;

pub(crate) const STATUSES: [&str; 5] = ["requested", "rendering", "rendered", "failed", "deleted"];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ClipPage)]
pub(crate) struct Page {
    #[schema(value_type = Vec<Object>)]
    clips: Vec<ClipJob>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/clips",
    tag = "read models",
    params(ListParams, Consistency),
    responses((status = 200, description = "Clip jobs, newest first", body = Page), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list(
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    ReadQuery(params, consistency): ReadQuery<ListParams>,
) -> Result<Json<Page>, ApiError> {
    let filter = ClipFilter {
        status: one_of("status", params.status, &STATUSES)?,
        channel: channel("channel", params.channel)?,
    };
    let bounds = (params.limit, params.cursor.as_deref());
    let NewestFirst { limit, after, schema, mut conn } =
        NewestFirst::open(&waiters, &principal, &consistency, ProjectionKind::Queue, bounds).await?;
    let page = queue::clips(&mut conn, &schema, principal.org.as_str(), &filter, after, limit)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Page { clips: page.clips, next_cursor: page.next.map(|c| c.encode()) }))
}

/// With `min_sequence`, waits for the read model to reach that sequence of
/// this clip (the aggregate id is the clip's own).
#[utoipa::path(
    get,
    path = "/v1/clips/{id}",
    tag = "read models",
    params(("id" = uuid::Uuid, Path, description = "The clip's UUID"), Consistency),
    responses((status = 200, description = "One clip job", body = Object), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn one(row: OneRow<OneClip>) -> Result<Json<ClipJob>, ApiError> {
    let OneRow { id, org, schema, mut conn } = row;
    OneRow::<OneClip>::found(queue::clip(&mut conn, &schema, org.as_str(), id.as_uuid()).await)
}

/// A clip job, by its clip id.
pub(crate) struct OneClip;

impl RowKind for OneClip {
    type Id = ClipId;
    const MISSING: &'static str = "no such clip";
    const MODEL: ProjectionKind = ProjectionKind::Queue;
    const PARSE: fn(&str) -> Result<ClipId, ValueError> = ClipId::parse;
    const STREAM: fn(&OrgId, ClipId) -> String = |org, id| clip::stream_id(org, id).into();
}
