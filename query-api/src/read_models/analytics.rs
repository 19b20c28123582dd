//! `GET /v1/channels/{channel}/analytics?from=&to=&bucket=minute|hour|day`:
//! one point per bucket of `[from, to)`, zeros included.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{ApiError, Refused};
use wavestack_domain::value::ChannelId;
use wavestack_projections::analytics::{self, Bucket, Point};
use wavestack_projections::ProjectionKind;

use super::params::instant;
use super::read_your_writes::{wait_for, Consistency, ReadQuery};
use super::waiters::Waiters;

/// A week of minutes.
const MAX_POINTS: i64 = 10_080;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    #[serde(default)]
    bucket: Option<String>,
    /// RFC 3339; default: `to` minus an hour (minute buckets), a day
    /// (hour buckets) or 30 days (day buckets).
    #[serde(default)]
    from: Option<String>,
    /// RFC 3339, exclusive; default: now.
    #[serde(default)]
    to: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Series {
    channel: String,
    bucket: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    to: OffsetDateTime,
    #[schema(value_type = Vec<Object>)]
    points: Vec<Point>,
}

#[utoipa::path(
    get,
    path = "/v1/channels/{channel}/analytics",
    tag = "read models",
    params(("channel" = String, Path, description = "The channel id"), Params, Consistency),
    responses((status = 200, description = "A dense series of buckets: messages, chatters, commands answered and refused, clips, publications", body = Series), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn analytics(
    State(pool): State<PgPool>,
    State(waiters): State<Waiters>,
    Extension(principal): Extension<Principal>,
    Path(channel): Path<String>,
    ReadQuery(params, consistency): ReadQuery<Params>,
) -> Result<Json<Series>, ApiError> {
    let channel = ChannelId::parse(channel).map_err(|e| ApiError::invalid_value("channel", &e))?;
    let bucket = match params.bucket.as_deref() {
        None => Bucket::Minute,
        Some(raw) => Bucket::parse(raw).ok_or_else(|| {
            ApiError::invalid_field("bucket", "must be `minute`, `hour` or `day`").with_reason("unknown_variant")
        })?,
    };
    let to = instant("to", params.to.as_deref())?.unwrap_or_else(OffsetDateTime::now_utc);
    let default_span = match bucket {
        Bucket::Minute => Duration::HOUR,
        Bucket::Hour => Duration::DAY,
        Bucket::Day => Duration::days(30),
    };
    let from = instant("from", params.from.as_deref())?.unwrap_or(to - default_span);
    if from >= to {
        return Err(ApiError::invalid_field("from", "must be before `to`").with_reason("out_of_range"));
    }
    if bucket.count_between(from, to) > MAX_POINTS {
        return Err(ApiError::invalid_field(
            "from",
            format!(
                "the range holds more than {MAX_POINTS} {} buckets; narrow it or use larger buckets",
                bucket.as_str()
            ),
        )
        .with_reason("range_too_large"));
    }
    let schema = ProjectionKind::Analytics.live_schema();
    wait_for(&waiters, &schema, &principal, &consistency).await?;
    let points = analytics::read(&pool, &schema, principal.org.as_str(), channel.as_str(), bucket, from, to)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Series { channel: channel.to_string(), bucket: bucket.as_str(), from, to, points }))
}
