//! Parsing at the edge: raw request fields into domain values, each refusal
//! naming its field; and the metadata every command carries.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use uuid::Uuid;
use wavestack_adapters::auth::Principal;
use wavestack_adapters::command_bus::Accepted;
use wavestack_adapters::http::{parse_json, ApiError, RequestId};
use wavestack_api_types::accepted::{AcceptedBody, Outcome};
use wavestack_domain::metadata::EventMetadata;
use wavestack_domain::value::{Timestamp, ValueError};

/// `field("messages[2].text", ChatText::parse(raw))?`
pub(crate) fn field<T>(name: impl AsRef<str>, parsed: Result<T, ValueError>) -> Result<T, ApiError> {
    parsed.map_err(|e| ApiError::invalid_value(name.as_ref(), &e))
}

pub(crate) fn optional_timestamp(name: &str, raw: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    raw.map(|raw| field(name, Timestamp::parse_rfc3339(raw))).transpose()
}

/// Who is calling and the metadata their command's events carry: who, for
/// which org (the token's, never the body's), in answer to which request.
pub(crate) struct Caller {
    pub principal: Principal,
    pub metadata: EventMetadata,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let principal = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a command route runs without authentication")))?;
        let request_id = parts.extensions.get::<RequestId>().map(|id| id.0.clone());
        let correlation_id = parts
            .headers
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Uuid::parse_str(v).ok())
            .unwrap_or_else(Uuid::new_v4);
        let metadata = EventMetadata {
            org: principal.org.clone(),
            actor: principal.subject.clone(),
            correlation_id,
            causation_id: None,
            request_id,
            occurred_at: now(),
        };
        Ok(Self { principal, metadata })
    }
}

/// For commands without fields: an empty body or `{}`.
pub(crate) fn no_fields(body: &[u8]) -> Result<(), ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Empty {}
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    parse_json::<Empty>(body).map(|_| ())
}

/// The API's clock; the domain has none.
pub(crate) fn now() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// The `202` of a command route, as the OpenAPI documents give it (a type
/// for the document only: its field is never read).
#[derive(Debug, utoipa::IntoResponses)]
#[response(status = 202, description = "Accepted: the aggregate and its sequence after the command")]
#[allow(dead_code)]
pub(crate) struct AcceptedResponse(#[to_schema] pub AcceptedBody);

/// The body of a command's `202`.
pub(crate) fn accepted_body(accepted: Accepted) -> AcceptedBody {
    AcceptedBody {
        outcome: if accepted.events_written == 0 { Outcome::Duplicate } else { Outcome::Accepted },
        aggregate_id: accepted.aggregate_id,
        sequence: accepted.sequence,
        events_written: accepted.events_written,
    }
}

/// A command route's `202`.
pub(crate) fn accepted_response(accepted: Accepted) -> axum::response::Response {
    use axum::response::IntoResponse;
    (axum::http::StatusCode::ACCEPTED, axum::Json(accepted_body(accepted))).into_response()
}
