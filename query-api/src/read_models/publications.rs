//! `GET /v1/publications?status=&platform=&channel=&limit=&cursor=` (newest
//! first; each publication with its targets that match) and
//! `GET /v1/publications/{id}` (with every target).

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{ApiError, Refused};
use wavestack_domain::publication;
use wavestack_domain::value::{OrgId, PublicationId, TargetPlatform, ValueError};
use wavestack_projections::queue::{self, Publication, PublicationFilter};
use wavestack_projections::ProjectionKind;

use super::newest_first::NewestFirst;
use super::one_row::{OneRow, RowKind};
use super::params::{channel, one_of};
use super::read_your_writes::{Consistency, ReadQuery};
use super::waiters::Waiters;

/// Of a target.
pub(crate) const STATUSES: [&str; 6] = ["pending", "attempting", "failed", "published", "gave_up", "cancelled"];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PublicationPage)]
pub(crate) struct Page {
    #[schema(value_type = Vec<Object>)]
    publications: Vec<Publication>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/publications",
    tag = "read models",
    params(ListParams, Consistency),
    responses((status = 200, description = "Publications with their targets", body = Page), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list(
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    ReadQuery(params, consistency): ReadQuery<ListParams>,
) -> Result<Json<Page>, ApiError> {
    let platform = params
        .platform
        .map(|raw| {
            TargetPlatform::parse(&raw).map(|p| p.to_string()).map_err(|e| ApiError::invalid_value("platform", &e))
        })
        .transpose()?;
    let filter = PublicationFilter {
        status: one_of("status", params.status, &STATUSES)?,
        platform,
        channel: channel("channel", params.channel)?,
    };
    let bounds = (params.limit, params.cursor.as_deref());
    let NewestFirst { limit, after, schema, mut conn } =
        NewestFirst::open(&waiters, &principal, &consistency, ProjectionKind::Queue, bounds).await?;
    let page = queue::publications(&mut conn, &schema, principal.org.as_str(), &filter, after, limit)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Page { publications: page.publications, next_cursor: page.next.map(|c| c.encode()) }))
}

#[utoipa::path(
    get,
    path = "/v1/publications/{id}",
    tag = "read models",
    params(("id" = uuid::Uuid, Path, description = "The publication's UUID"), Consistency),
    responses((status = 200, description = "One publication", body = Object), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn one(row: OneRow<OnePublication>) -> Result<Json<Publication>, ApiError> {
    let OneRow { id, org, schema, mut conn } = row;
    OneRow::<OnePublication>::found(queue::publication(&mut conn, &schema, org.as_str(), id.as_uuid()).await)
}

/// A publication with every target, by its id.
pub(crate) struct OnePublication;

impl RowKind for OnePublication {
    type Id = PublicationId;
    const MISSING: &'static str = "no such publication";
    const MODEL: ProjectionKind = ProjectionKind::Queue;
    const PARSE: fn(&str) -> Result<PublicationId, ValueError> = PublicationId::parse;
    const STREAM: fn(&OrgId, PublicationId) -> String = |org, id| publication::stream_id(org, id).into();
}
