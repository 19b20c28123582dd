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

use std::collections::HashMap;

/// First rewind step; doubled on every retry.
const FIRST_STEP: i64 = 16;

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
}

#[derive(Debug, Default)]
pub struct ResumeGuard {
    partitions: HashMap<(String, i32), Resume>,
}

impl ResumeGuard {
    /// Watch a partition assigned at `offset` (the next one to apply).
    pub fn expect(&mut self, topic: &str, partition: i32, offset: i64) {
        let resume = Resume { expected: offset, sought: offset, step: FIRST_STEP, reached: false };
        self.partitions.insert((topic.to_owned(), partition), resume);
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
        resume.sought = (resume.sought - resume.step).max(0);
        resume.step *= 2;
        Admit::Rewind(resume.sought)
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
    fn rewinding_stops_at_the_start_of_the_log() {
        let mut guard = ResumeGuard::default();
        guard.expect("t", 0, 10);
        assert_eq!(guard.admit("t", 0, 12), Admit::Rewind(0));
        assert_eq!(guard.admit("t", 0, 12), Admit::Process, "nothing below 0: the log starts later");
    }
}
