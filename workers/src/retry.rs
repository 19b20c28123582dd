//! Pauses between attempts, and failure reasons cut to fit an event.

use std::time::Duration;

/// `base · 2^(attempt-1)`, at most `cap`, plus up to 25% jitter so that
/// failures that happened together are not retried together.
pub(crate) fn backoff(base: Duration, attempt: u32, cap: Duration) -> Duration {
    let pause = base.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(cap);
    pause + pause.mul_f64(fastrand::f64() * 0.25)
}

/// At most `max` characters, cut on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let base = Duration::from_secs(2);
        for (attempt, floor) in [(1, 2), (2, 4), (3, 8), (10, 60)] {
            let pause = backoff(base, attempt, Duration::from_secs(60));
            let floor = Duration::from_secs(floor);
            assert!(pause >= floor && pause <= floor.mul_f64(1.25), "{attempt}: {pause:?}");
        }
    }

    #[test]
    fn reasons_are_cut_on_character_boundaries() {
        assert_eq!(truncate("ééé", 2), "éé");
        assert_eq!(truncate("short", 500), "short");
    }
}
