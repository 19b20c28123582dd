//! Query-string values shared by the read-model routes, each refused with
//! the field at fault.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use wavestack_adapters::http::ApiError;
use wavestack_domain::value::ChannelId;
use wavestack_projections::cursor::Cursor;

/// `limit`: `default` when absent, at most `max`.
pub(crate) fn limit(raw: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = raw.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(
            ApiError::invalid_field("limit", format!("must be between 1 and {max}")).with_reason("out_of_range")
        );
    }
    Ok(limit)
}

/// An RFC 3339 instant such as `2026-11-22T10:00:00Z`.
pub(crate) fn instant(field: &'static str, raw: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    raw.map(|raw| {
        OffsetDateTime::parse(raw, &Rfc3339)
            .map_err(|_| ApiError::invalid_field(field, "must be an RFC 3339 instant").with_reason("invalid_format"))
    })
    .transpose()
}

/// One of `allowed`, as given.
pub(crate) fn one_of(field: &'static str, raw: Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match raw {
        Some(value) if !allowed.contains(&value.as_str()) => {
            Err(ApiError::invalid_field(field, format!("must be one of: {}", allowed.join(", ")))
                .with_reason("unknown_variant"))
        }
        other => Ok(other),
    }
}

pub(crate) fn channel(field: &'static str, raw: Option<String>) -> Result<Option<String>, ApiError> {
    raw.map(|raw| ChannelId::parse(raw).map(|c| c.to_string()).map_err(|e| ApiError::invalid_value(field, &e)))
        .transpose()
}

/// A `next_cursor` that is a position in an ordered list (a rank, a log
/// position): the items after it come next; 0 when absent.
pub(crate) fn after_position(raw: Option<&str>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(0),
        Some(raw) => raw.parse::<i64>().ok().filter(|p| *p >= 0).ok_or_else(not_a_cursor),
    }
}

/// A `next_cursor` of a list of newest-first items.
pub(crate) fn cursor(raw: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    raw.map(|raw| Cursor::parse(raw).ok_or_else(not_a_cursor)).transpose()
}

fn not_a_cursor() -> ApiError {
    ApiError::invalid_field("cursor", "not a cursor from this endpoint").with_reason("invalid_cursor")
}
