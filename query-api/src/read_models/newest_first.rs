//! A page of a newest-first list (clips, publications): its size and the
//! cursor it continues from, refused with the field at fault, and a
//! connection lent once the read model has caught up as asked.

use sqlx::pool::PoolConnection;
use sqlx::Postgres;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::ApiError;
use wavestack_projections::cursor::Cursor;
use wavestack_projections::{ProjectionKind, SchemaName};

use super::params::{cursor, limit};
use super::read_your_writes::{caught_up, Consistency};
use super::waiters::Waiters;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

pub(crate) struct NewestFirst {
    pub limit: i64,
    pub after: Option<Cursor>,
    pub schema: SchemaName,
    pub conn: PoolConnection<Postgres>,
}

impl NewestFirst {
    pub(crate) async fn open(
        waiters: &Waiters,
        principal: &Principal,
        consistency: &Consistency,
        model: ProjectionKind,
        (raw_limit, raw_cursor): (Option<i64>, Option<&str>),
    ) -> Result<Self, ApiError> {
        let limit = limit(raw_limit, DEFAULT_LIMIT, MAX_LIMIT)?;
        let after = cursor(raw_cursor)?;
        let schema = model.live_schema();
        let conn = caught_up(waiters, &schema, principal, consistency).await?;
        Ok(Self { limit, after, schema, conn })
    }
}
