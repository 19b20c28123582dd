//! Resuming a partition exactly at the stored offset, whatever the broker.
//!
//! A fetch from an offset inside a record batch should return the whole
//! batch, and the client drops the records below the offset. tansu 0.6
//! instead answers with the *next* batch, so a consumer resuming mid-batch
//! would silently skip the rest of that batch (found by the kill test). The
//! guard notices the first record after a (re)assignment landing beyond the
//! stored offset and seeks back further and further until the stored
//! offset is read again; records below it were applied before and are
//! dropped here (the per-aggregate positions would skip them anyway).
//!
//! When the stored offset lies inside the log's *last* batch, tansu has no
//! next batch to answer with: the fetch comes back empty and no record
//! ever says the position is wrong, so the rest of that batch would wait
//! for the next write (a quiet channel's last events, indefinitely; found
//! by the kill test). A watched partition that stays silent is rewound
//! the same way (`stalled`). Should the stored offset simply be the end of
//! the log, that costs reading back to the start of the last batch once:
//! the records found below the offset show the position is right.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// First rewind step; doubled on every retry.
const FIRST_STEP: i64 = 16;

/// How long a watched partition may stay silent before it is rewound: several fetch waits (tansu answers the
/// projections' fetches after 250 ms, the workers' after 250 ms of their 500), so a slow answer is not taken for a
/// skip.
const STALL: Duration = Duration::from_millis(1000);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admit {
    Process,
    /// Already applied: below the stored offset.
    Drop,
    /// The broker skipped past the stored offset: seek here, drop this one.
    Rewind(i64),
}

#[derive(Debug)]
struct Resume {
    expected: i64,
    /// Lowest offset sought so far.
    sought: i64,
    step: i64,
    /// A record at or below `expected` arrived: the fetch position is right.
    reached: bool,
    /// When the partition was assigned or last sought.
    since: Instant,
}

#[derive(Debug, Default)]
pub struct ResumeGuard {
    partitions: HashMap<(String, i32), Resume>,
}

impl ResumeGuard {
    /// Watch a partition assigned at `offset` (the next one to apply).
    pub fn expect(&mut self, topic: &str, partition: i32, offset: i64) {
        self.expect_at(topic, partition, offset, Instant::now());
    }

    fn expect_at(&mut self, topic: &str, partition: i32, offset: i64, now: Instant) {
        let resume = Resume { expected: offset, sought: offset, step: FIRST_STEP, reached: false, since: now };
        self.partitions.insert((topic.to_owned(), partition), resume);
    }

    /// The watched partitions silent for `STALL` since they were assigned
    /// or last sought, with no record at or below the stored offset read
    /// yet, each with the offset to seek back to.
    pub fn stalled(&mut self, now: Instant) -> Vec<(String, i32, i64)> {
        let mut rewinds = Vec::new();
        for ((topic, partition), resume) in &mut self.partitions {
            if !resume.reached && resume.sought > 0 && now.duration_since(resume.since) >= STALL {
                rewinds.push((topic.clone(), *partition, resume.rewind(now)));
            }
        }
        rewinds
    }

    pub fn admit(&mut self, topic: &str, partition: i32, offset: i64) -> Admit {
        let key = (topic.to_owned(), partition);
        let Some(resume) = self.partitions.get_mut(&key) else { return Admit::Process };
        if offset < resume.expected {
            resume.reached = true;
            return Admit::Drop;
        }
        if offset == resume.expected || resume.reached || resume.sought == 0 {
            // At the stored offset; or past it after reading below it (a
            // genuine hole in the log); or nothing lower exists.
            self.partitions.remove(&key);
            return Admit::Process;
        }
        Admit::Rewind(resume.rewind(Instant::now()))
    }
}

impl Resume {
    /// Seeks further back than last time; returns where to.
    fn rewind(&mut self, now: Instant) -> i64 {
        self.sought = (self.sought - self.step).max(0);
        self.step *= 2;
        self.since = now;
        self.sought
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broker_that_honours_the_offset_is_left_alone() {
        let mut guard = ResumeGuard::default();
        guard.expect("t", 0, 70);
        assert_eq!(guard.admit("t", 0, 70), Admit::Process);
        assert_eq!(guard.admit("t", 0, 71), Admit::Process);
        assert_eq!(guard.admit("t", 1, 5), Admit::Process, "unwatched partitions pass");
    }

    #[test]
    fn a_skip_past_the_offset_rewinds_until_it_is_read_again() {
        let mut guard = ResumeGuard::default();
        guard.expect("t", 0, 70);
        assert_eq!(guard.admit("t", 0, 72), Admit::Rewind(54));
        // Records still queued from before the seek.
        assert_eq!(guard.admit("t", 0, 73), Admit::Rewind(22));
        assert_eq!(guard.admit("t", 0, 40), Admit::Drop);
        assert_eq!(guard.admit("t", 0, 69), Admit::Drop);
        assert_eq!(guard.admit("t", 0, 70), Admit::Process);
        assert_eq!(guard.admit("t", 0, 72), Admit::Process);
    }

    #[test]
    fn a_real_hole_after_the_offset_is_accepted() {
        let mut guard = ResumeGuard::default();
        guard.expect("t", 0, 70);
        assert_eq!(guard.admit("t", 0, 69), Admit::Drop);
        assert_eq!(guard.admit("t", 0, 75), Admit::Process);
    }

    #[test]
    fn a_silent_partition_is_rewound_until_the_stored_offset_is_read_again() {
        let start = Instant::now();
        let mut guard = ResumeGuard::default();
        guard.expect_at("t", 0, 70, start);
        assert_eq!(guard.stalled(start + STALL / 2), [], "not silent for long yet");
        assert_eq!(guard.stalled(start + STALL), [("t".to_owned(), 0, 54)]);
        assert_eq!(guard.stalled(start + STALL), [], "given time again after a seek");
        assert_eq!(guard.stalled(start + STALL * 2), [("t".to_owned(), 0, 22)]);
        // The seek lands below the stored offset: the position is right.
        assert_eq!(guard.admit("t", 0, 16), Admit::Drop);
        assert_eq!(guard.stalled(start + STALL * 4), []);
        assert_eq!(guard.admit("t", 0, 70), Admit::Process);
        assert_eq!(guard.stalled(start + STALL * 8), [], "no longer watched");
    }

    #[test]
    fn a_silent_partition_is_not_rewound_past_the_start_of_the_log() {
        let start = Instant::now();
        let mut guard = ResumeGuard::default();
        guard.expect_at("t", 0, 10, start);
        assert_eq!(guard.stalled(start + STALL), [("t".to_owned(), 0, 0)]);
        assert_eq!(guard.stalled(start + STALL * 3), [], "a fetch from 0 has nothing to skip");
    }

    #[test]
    fn rewinding_stops_at_the_start_of_the_log() {
        let mut guard = ResumeGuard::default();
        guard.expect("t", 0, 10);
        assert_eq!(guard.admit("t", 0, 12), Admit::Rewind(0));
        assert_eq!(guard.admit("t", 0, 12), Admit::Process, "nothing below 0: the log starts later");
    }
}
