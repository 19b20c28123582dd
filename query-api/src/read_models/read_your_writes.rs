//! Read-your-writes: the command API answered with an aggregate id and the
//! sequence it wrote; a query given both waits until the read model has
//! applied that sequence, or answers 504 after a bounded wait.

use std::time::Duration;

use axum::http::StatusCode;
use sqlx::PgPool;
use wavestack_adapters::http::ApiError;
use wavestack_domain::value::OrgId;
use wavestack_projections::runtime::applied_sequence;

const DEFAULT_WAIT_MS: u64 = 5_000;
const MAX_WAIT_MS: u64 = 30_000;
const POLL: Duration = Duration::from_millis(10);

#[derive(Debug, Default)]
pub(crate) struct Consistency {
    /// The aggregate id from the command API's 202.
    pub aggregate_id: Option<String>,
    /// The sequence from the command API's 202.
    pub min_sequence: Option<u64>,
    /// How long to wait for it, at most 30 000 ms.
    pub wait_ms: Option<u64>,
}

pub(crate) async fn wait_for(
    pool: &PgPool,
    schema: &str,
    org: &OrgId,
    consistency: &Consistency,
) -> Result<(), ApiError> {
    let (aggregate_id, sequence) = match (&consistency.aggregate_id, consistency.min_sequence) {
        (None, None) => return Ok(()),
        (Some(id), Some(seq)) => (id, seq),
        (None, Some(_)) => return Err(ApiError::invalid_field("aggregate_id", "required with min_sequence")),
        (Some(_), None) => return Err(ApiError::invalid_field("min_sequence", "required with aggregate_id")),
    };
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
    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait_ms);
    loop {
        let applied = applied_sequence(pool, schema, aggregate_id).await.map_err(ApiError::internal)?;
        if applied >= sequence {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "not_caught_up",
                format!("the read model has applied {aggregate_id} up to {applied}, not yet {sequence}; retry"),
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}
