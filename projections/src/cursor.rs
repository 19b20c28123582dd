//! Keyset cursors for lists ordered newest first: the time and id of the
//! last item of a page. Clients treat them as opaque.

use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: OffsetDateTime,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at.unix_timestamp_nanos() / 1_000, self.id.simple())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (micros, id) = raw.split_once('.')?;
        let micros: i128 = micros.parse().ok()?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(micros.checked_mul(1_000)?).ok()?;
        Some(Self { at, id: Uuid::try_parse(id).ok()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let cursor = Cursor {
            at: OffsetDateTime::from_unix_timestamp_nanos(1_795_000_000_123_456_000).unwrap(),
            id: Uuid::new_v4(),
        };
        assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        for garbage in ["", "12", "x.y", "1.not-a-uuid", "99999999999999999999999999.0"] {
            assert_eq!(Cursor::parse(garbage), None, "{garbage}");
        }
    }
}
