use std::fmt;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::error::ValueError;

/// An instant in UTC with microsecond precision: exactly what Avro's
/// `timestamp-micros` carries, so an event survives the log unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Parses RFC 3339. Impossible dates (`2025-02-30`) and out-of-range
    /// offsets are refused by the parser itself.
    pub fn parse_rfc3339(raw: &str) -> Result<Self, ValueError> {
        OffsetDateTime::parse(raw, &Rfc3339)
            .map(Self::from_datetime)
            .map_err(|_| ValueError::Invalid("must be an RFC 3339 date-time"))
    }

    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let utc = at.to_offset(UtcOffset::UTC);
        let micros_only = utc.nanosecond() / 1_000 * 1_000;
        Self(utc.replace_nanosecond(micros_only).expect("nanosecond stays in range"))
    }

    pub fn from_unix_micros(micros: i64) -> Result<Self, ValueError> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map(Self)
            .map_err(|_| ValueError::Invalid("timestamp out of range"))
    }

    pub fn unix_micros(&self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000) as i64
    }

    pub fn as_datetime(&self) -> OffsetDateTime {
        self.0
    }

    pub fn plus(&self, by: Duration) -> Self {
        Self(self.0 + by)
    }

    pub fn to_rfc3339(&self) -> String {
        self.0.format(&Rfc3339).expect("UTC timestamps always format")
    }
}

impl TryFrom<String> for Timestamp {
    type Error = ValueError;
    fn try_from(raw: String) -> Result<Self, ValueError> {
        Self::parse_rfc3339(&raw)
    }
}

impl From<Timestamp> for String {
    fn from(value: Timestamp) -> String {
        value.to_rfc3339()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_and_malformed_dates_are_refused() {
        assert!(Timestamp::parse_rfc3339("2025-02-30T10:00:00Z").is_err());
        assert!(Timestamp::parse_rfc3339("2025-13-01T10:00:00Z").is_err());
        assert!(Timestamp::parse_rfc3339("tomorrow").is_err());
        assert!(Timestamp::parse_rfc3339("2025-02-28T10:00:00+25:00").is_err());
    }

    #[test]
    fn offsets_normalise_to_utc_and_round_trip_through_micros() {
        let t = Timestamp::parse_rfc3339("2026-11-22T10:00:00.123456789+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-22T08:00:00.123456Z");
        assert_eq!(Timestamp::from_unix_micros(t.unix_micros()).unwrap(), t);
    }
}
