//! Where on the recording's timeline a `!clip [seconds]` lands.

use wavestack_domain::value::Timestamp;

pub(super) const DEFAULT_SECONDS: u64 = 30;
pub(super) const MIN_SECONDS: u64 = 5;
pub(super) const MAX_SECONDS: u64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClipWindow {
    /// Offset into the recording.
    pub start_ms: u64,
    pub duration_ms: u64,
}

/// The window ending at `at`: `args` asks for a length in seconds (a
/// missing or unreadable one means 30; it is held within 5–120), cut short
/// by the start of the recording. `None` before the recording started.
pub fn clip_window(args: &str, recording_started: Timestamp, at: Timestamp) -> Option<ClipWindow> {
    let seconds = args
        .split_whitespace()
        .next()
        .and_then(|first| first.trim_end_matches('s').parse::<u64>().ok())
        .unwrap_or(DEFAULT_SECONDS)
        .clamp(MIN_SECONDS, MAX_SECONDS);
    let end_ms = u64::try_from((at.unix_micros() - recording_started.unix_micros()) / 1000).ok()?;
    if end_ms == 0 {
        return None;
    }
    let start_ms = end_ms.saturating_sub(seconds * 1000);
    Some(ClipWindow { start_ms, duration_ms: end_ms - start_ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_micros(1_800_000_000_000_000 + seconds * 1_000_000).unwrap()
    }

    #[test]
    fn the_window_ends_at_the_message() {
        let started = at(0);
        assert_eq!(clip_window("30", started, at(600)), Some(ClipWindow { start_ms: 570_000, duration_ms: 30_000 }));
        assert_eq!(clip_window("", started, at(600)), Some(ClipWindow { start_ms: 570_000, duration_ms: 30_000 }));
        assert_eq!(clip_window("45s that was nuts", started, at(600)).unwrap().duration_ms, 45_000);
        assert_eq!(clip_window("9000", started, at(600)).unwrap().duration_ms, 120_000, "at most 120 s");
        assert_eq!(clip_window("1", started, at(600)).unwrap().duration_ms, 5_000, "at least 5 s");
        assert_eq!(clip_window("lol", started, at(600)).unwrap().duration_ms, 30_000);
    }

    #[test]
    fn the_recording_bounds_the_window() {
        assert_eq!(clip_window("30", at(0), at(10)), Some(ClipWindow { start_ms: 0, duration_ms: 10_000 }));
        assert_eq!(clip_window("30", at(100), at(50)), None, "before the recording");
        assert_eq!(clip_window("30", at(100), at(100)), None);
    }
}
