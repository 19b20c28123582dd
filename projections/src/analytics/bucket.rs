//! Time buckets of the analytics: UTC minutes, hours and days.

use time::{Duration, OffsetDateTime, Time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Minute,
    Hour,
    Day,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [Bucket::Minute, Bucket::Hour, Bucket::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Minute => "minute",
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == raw)
    }

    pub fn length(self) -> Duration {
        match self {
            Bucket::Minute => Duration::MINUTE,
            Bucket::Hour => Duration::HOUR,
            Bucket::Day => Duration::DAY,
        }
    }

    /// The start of the bucket holding `at`, in UTC.
    pub fn start_of(self, at: OffsetDateTime) -> OffsetDateTime {
        let at = at.to_offset(time::UtcOffset::UTC);
        let (hour, minute) = (at.hour(), at.minute());
        let time = match self {
            Bucket::Minute => Time::from_hms(hour, minute, 0),
            Bucket::Hour => Time::from_hms(hour, 0, 0),
            Bucket::Day => Time::from_hms(0, 0, 0),
        };
        at.replace_time(time.expect("a valid time of day"))
    }

    /// How many buckets `[from, to)` spans, counting partial ones.
    pub fn count_between(self, from: OffsetDateTime, to: OffsetDateTime) -> i64 {
        if to <= from {
            return 0;
        }
        let from = self.start_of(from);
        let length = self.length().whole_seconds();
        ((to - from).whole_seconds() + length - 1) / length
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn buckets_start_at_utc_boundaries() {
        let at = datetime!(2026-11-22 10:17:42.5 +02:00);
        assert_eq!(Bucket::Minute.start_of(at), datetime!(2026-11-22 08:17 UTC));
        assert_eq!(Bucket::Hour.start_of(at), datetime!(2026-11-22 08:00 UTC));
        assert_eq!(Bucket::Day.start_of(at), datetime!(2026-11-22 00:00 UTC));
    }

    #[test]
    fn counts_partial_buckets() {
        let from = datetime!(2026-11-22 10:17:42 UTC);
        assert_eq!(Bucket::Minute.count_between(from, datetime!(2026-11-22 10:18:00 UTC)), 1);
        assert_eq!(Bucket::Minute.count_between(from, datetime!(2026-11-22 10:18:01 UTC)), 2);
        assert_eq!(Bucket::Hour.count_between(from, datetime!(2026-11-23 10:00 UTC)), 24);
        assert_eq!(Bucket::Day.count_between(from, from), 0);
    }
}
