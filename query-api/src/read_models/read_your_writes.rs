//! Read-your-writes: the command API answered with an aggregate id and the
//! sequence it wrote; a query given both waits until the read model has
//! applied that sequence, or answers 504 after a bounded wait.
//!
//! Every read route takes `aggregate_id`, `min_sequence` and `wait_ms`
//! beside its own parameters; `ReadQuery` splits them off the query string
//! (serde cannot flatten query strings), so that each route's own struct
//! still refuses parameters it does not know.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sqlx::pool::PoolConnection;
use sqlx::Postgres;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::http::{parse_query, ApiError};

use super::waiters::Waiters;

const DEFAULT_WAIT_MS: u64 = 5_000;
const MAX_WAIT_MS: u64 = 30_000;
/// Longer than any stream id WaveStack writes (`org/platform/channel/user`).
const MAX_AGGREGATE_ID_BYTES: usize = 512;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Consistency {
    /// The aggregate id from the command API's 202.
    pub aggregate_id: Option<String>,
    /// The sequence from the command API's 202.
    pub min_sequence: Option<u64>,
    /// How long to wait for it, at most 30 000 ms.
    pub wait_ms: Option<u64>,
}

impl Consistency {
    /// `min_sequence` alone waits for `own`: the stream the route reads.
    pub(crate) fn or_stream(mut self, own: impl FnOnce() -> String) -> Self {
        if self.min_sequence.is_some() && self.aggregate_id.is_none() {
            self.aggregate_id = Some(own());
        }
        self
    }
}

/// Waits as asked, then lends a connection to read the model with.
pub(crate) async fn caught_up(
    waiters: &Waiters,
    schema: &str,
    caller: &Principal,
    consistency: &Consistency,
) -> Result<PoolConnection<Postgres>, ApiError> {
    wait_for(waiters, schema, caller, consistency).await?;
    waiters.pool().acquire().await.map_err(|e| ApiError::internal(e.into()))
}

const CONSISTENCY_KEYS: [&str; 3] = ["aggregate_id", "min_sequence", "wait_ms"];

/// A read route's own query parameters, and the read-your-writes ones.
pub(crate) struct ReadQuery<T>(pub T, pub Consistency);

impl<S, T> FromRequestParts<S> for ReadQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let (mut own, mut consistency) =
            (form_urlencoded::Serializer::new(String::new()), form_urlencoded::Serializer::new(String::new()));
        for (key, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
            let target = if CONSISTENCY_KEYS.contains(&key.as_ref()) { &mut consistency } else { &mut own };
            target.append_pair(&key, &value);
        }
        Ok(ReadQuery(parse_query(&own.finish())?, parse_query(&consistency.finish())?))
    }
}

/// For routes without parameters of their own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoParams {}

pub(crate) async fn wait_for(
    waiters: &Waiters,
    schema: &str,
    caller: &Principal,
    consistency: &Consistency,
) -> Result<(), ApiError> {
    let org = &caller.org;
    let (aggregate_id, sequence) = match (&consistency.aggregate_id, consistency.min_sequence) {
        (None, None) => return Ok(()),
        (Some(id), Some(seq)) => (id, seq),
        (None, Some(_)) => return Err(ApiError::invalid_field("aggregate_id", "required with min_sequence")),
        (Some(_), None) => return Err(ApiError::invalid_field("min_sequence", "required with aggregate_id")),
    };
    if aggregate_id.len() > MAX_AGGREGATE_ID_BYTES {
        return Err(ApiError::invalid_field("aggregate_id", format!("must be at most {MAX_AGGREGATE_ID_BYTES} bytes"))
            .with_reason("too_long"));
    }
    // Another org's aggregate is invisible, like everything else of theirs.
    if !aggregate_id.strip_prefix(org.as_str()).is_some_and(|rest| rest.starts_with('/')) {
        return Err(ApiError::not_found("no such aggregate"));
    }
    let wait_ms = consistency.wait_ms.unwrap_or(DEFAULT_WAIT_MS);
    if wait_ms > MAX_WAIT_MS {
        return Err(
            ApiError::invalid_field("wait_ms", format!("must be at most {MAX_WAIT_MS}")).with_reason("out_of_range")
        );
    }
    // A sequence its stream has not reached in the event store is no write
    // of the caller's (a 202 only names sequences already written): refused
    // at once rather than waited for until the deadline.
    let written = written_up_to(waiters.pool(), aggregate_id).await?;
    if i64::try_from(sequence).map_or(true, |sequence| sequence > written) {
        return Err(ApiError::invalid_field(
            "min_sequence",
            format!("{aggregate_id} is written up to {written}; no answer of the command API names a later sequence"),
        )
        .with_reason("not_written"));
    }
    let _permit = waiters.admit(&format!("{}/{}", caller.org, caller.subject)).ok_or_else(|| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_waits",
            format!("at most {} read-your-writes waits per caller at once", waiters.max_per_caller()),
        )
        .with_retry_after(Duration::from_secs(1))
    })?;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait_ms);
    match waiters.until_applied(schema, aggregate_id, sequence, deadline).await.map_err(ApiError::internal)? {
        Ok(()) => Ok(()),
        Err(applied) => Err(ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "not_caught_up",
            format!("the read model has applied {aggregate_id} up to {applied}, not yet {sequence}; retry"),
        )),
    }
}

/// The last sequence written to the stream, of whichever aggregate type
/// (0 for none); the type list lets the events' primary key answer it.
async fn written_up_to(pool: &sqlx::PgPool, aggregate_id: &str) -> Result<i64, ApiError> {
    wavestack_adapters::event_store::reads::written_up_to(pool, aggregate_id).await.map_err(ApiError::internal)
}
