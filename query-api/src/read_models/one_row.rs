//! `GET …/{id}` of a read model: one row, by the id in the path. The id
//! is parsed, the read waits as asked (`min_sequence` alone waits for the
//! row's own stream), and a connection is lent; a malformed id, an unknown
//! one and another org's all answer the same 404.

use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::Json;
use sqlx::pool::PoolConnection;
use sqlx::Postgres;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::ApiError;
use wavestack_domain::value::{OrgId, ValueError};
use wavestack_projections::{ProjectionKind, SchemaName};

use super::read_your_writes::{caught_up, NoParams, ReadQuery};
use super::waiters::Waiters;

/// A kind of row served by id.
pub(crate) trait RowKind {
    type Id: Copy + Send;
    /// The 404's message.
    const MISSING: &'static str;
    /// The read model holding the rows.
    const MODEL: ProjectionKind;
    const PARSE: fn(&str) -> Result<Self::Id, ValueError>;
    /// The stream whose events make the row.
    const STREAM: fn(&OrgId, Self::Id) -> String;
}

/// The request for one row of kind `K`, ready to read.
pub(crate) struct OneRow<K: RowKind> {
    pub id: K::Id,
    pub org: OrgId,
    pub schema: SchemaName,
    pub conn: PoolConnection<Postgres>,
}

impl<S, K> FromRequestParts<S> for OneRow<K>
where
    S: Send + Sync,
    Waiters: FromRef<S>,
    K: RowKind,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw): Path<String> =
            Path::from_request_parts(parts, state).await.map_err(|_| ApiError::not_found(K::MISSING))?;
        let ReadQuery(NoParams {}, consistency) = ReadQuery::from_request_parts(parts, state).await?;
        let principal = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a read route without the auth layer")))?;
        let id = (K::PARSE)(&raw).map_err(|_| ApiError::not_found(K::MISSING))?;
        let schema = K::MODEL.live_schema();
        let consistency = consistency.or_stream(|| (K::STREAM)(&principal.org, id));
        let conn = caught_up(&Waiters::from_ref(state), &schema, &principal, &consistency).await?;
        Ok(Self { id, org: principal.org, schema, conn })
    }
}

impl<K: RowKind> OneRow<K> {
    /// What the read found, or the 404.
    pub(crate) fn found<T>(read: anyhow::Result<Option<T>>) -> Result<Json<T>, ApiError> {
        read.map_err(ApiError::internal)?.map(Json).ok_or_else(|| ApiError::not_found(K::MISSING))
    }
}
