//! `GET /v1/audit/checkpoints?cursor=&limit=` (scope `audit:read`): the
//! org's signed audit checkpoints in number order, each as it was
//! published: the exact body text, its signature and the parsed body.
//! Served from the checkpointer's table (`audit_checkpoints`), which proves nothing by itself:
//! a reader checks the signature against the public key it trusts.

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use wavestack_adapters::audit_checkpoints;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{ApiError, Refused, ValidQuery};

use super::params::{after_position, limit};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    /// A `next_cursor`: the checkpoints after it.
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Checkpoint {
    number: i64,
    /// The signed text: verify the signature over its UTF-8 bytes.
    body: String,
    /// Hex Ed25519 signature.
    signature: String,
    /// `body`, parsed.
    #[schema(value_type = Object)]
    checkpoint: serde_json::Value,
    published: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CheckpointPage)]
pub(crate) struct Page {
    checkpoints: Vec<Checkpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/audit/checkpoints",
    tag = "audit",
    params(Params),
    responses((status = 200, description = "The org's signed audit checkpoints (`audit:read`)", body = Page), Refused),
    security(("bearer" = [])),
)]
pub(crate) async fn list(
    State(pool): State<PgPool>,
    Extension(principal): Extension<Principal>,
    ValidQuery(params): ValidQuery<Params>,
) -> Result<Json<Page>, ApiError> {
    let limit = limit(params.limit, 100, 1000)?;
    let after = after_position(params.cursor.as_deref())?;
    let rows = audit_checkpoints::page(&pool, principal.org.as_str(), after, limit).await?;
    let next_cursor = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.number.to_string())).flatten();
    let checkpoints = rows
        .into_iter()
        .map(|stored| Checkpoint {
            number: stored.number,
            checkpoint: serde_json::from_str(&stored.body).unwrap_or(serde_json::Value::Null),
            body: stored.body,
            signature: stored.signature,
            published: stored.published,
        })
        .collect();
    Ok(Json(Page { checkpoints, next_cursor }))
}
