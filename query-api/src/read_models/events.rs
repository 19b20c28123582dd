//! `GET /v1/events?aggregate_id=&actor=&type=&from=&to=&limit=&cursor=`
//! (scope `audit:read`): the org's events in log order. The cursor is the
//! `position` of the last event read; a reader following it sees each
//! event once, including those appended meanwhile.

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{ApiError, Refused, ValidQuery};
use wavestack_projections::audit::{self, EventFilter, LoggedEvent};
use wavestack_projections::ProjectionKind;

use super::params::{after_position, instant, limit};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    #[serde(default)]
    aggregate_id: Option<String>,
    #[serde(default)]
    actor: Option<String>,
    #[serde(default, rename = "type")]
    event_type: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = EventPage)]
pub(crate) struct Page {
    #[schema(value_type = Vec<Object>)]
    events: Vec<LoggedEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "audit",
    params(Params),
    responses((status = 200, description = "The org's events in log order (`audit:read`)", body = Page), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list(
    State(pool): State<PgPool>,
    Extension(principal): Extension<Principal>,
    ValidQuery(params): ValidQuery<Params>,
) -> Result<Json<Page>, ApiError> {
    let filter = EventFilter {
        aggregate_id: params.aggregate_id,
        actor: params.actor,
        event_type: params.event_type,
        from: instant("from", params.from.as_deref())?,
        to: instant("to", params.to.as_deref())?,
    };
    let limit = limit(params.limit, 100, 1000)?;
    let after = after_position(params.cursor.as_deref())?;
    let page = audit::read(&pool, &ProjectionKind::Audit.live_schema(), principal.org.as_str(), &filter, after, limit)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Page { events: page.events, next_cursor: page.next.map(|p| p.to_string()) }))
}
