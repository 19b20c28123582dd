//! Keeps the local broker of `wavestack up` alive. tansu 0.6's SQLite
//! storage can panic under load (`lite.rs`, "more or less than one row",
//! in the idempotent-producer check); the process then keeps accepting
//! connections while every storage request fails, so nothing reaches the
//! log again. Its log survives in SQLite, and clients reconnect by
//! themselves: restarting the process is the whole repair.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::LocalBroker;

/// How often the broker's process and log are looked at.
const EVERY: Duration = Duration::from_secs(1);
/// What a panicking tansu task writes to its log.
const PANIC: &[u8] = b"panicked at";

/// A local broker watched from a thread of its own; dropping it stops the
/// watch and the broker.
#[derive(Debug)]
pub struct WatchedBroker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    bootstrap: String,
    /// The running process's id (0: none), updated on every restart.
    pid: Arc<AtomicU32>,
}

impl WatchedBroker {
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The broker's process id now; it changes when the watch restarts it.
    pub fn pid(&self) -> Option<u32> {
        self.process().pid()
    }

    /// A handle on the broker's process id that outlives borrows of this.
    pub fn process(&self) -> BrokerProcess {
        BrokerProcess(self.pid.clone())
    }
}

/// The watched broker's current process id, shareable.
#[derive(Clone, Debug)]
pub struct BrokerProcess(Arc<AtomicU32>);

impl BrokerProcess {
    pub fn pid(&self) -> Option<u32> {
        Some(self.0.load(Ordering::Relaxed)).filter(|pid| *pid != 0)
    }
}

impl LocalBroker {
    /// Restarts the broker whenever its process exits or its log reports a
    /// panic. Only a broker with durable storage is worth restarting.
    pub fn watched(mut self) -> WatchedBroker {
        let stop = Arc::new(AtomicBool::new(false));
        let bootstrap = self.bootstrap();
        let flag = stop.clone();
        let pid = Arc::new(AtomicU32::new(self.pid().unwrap_or(0)));
        let current = pid.clone();
        let thread = std::thread::spawn(move || {
            let mut log = self.log_path.clone().map(LogTail::from_end);
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(EVERY);
                // No child: the last restart failed, and is tried again.
                let exited = self.child.as_mut().is_none_or(|child| matches!(child.try_wait(), Ok(Some(_))));
                let panicked = log.as_mut().is_some_and(LogTail::saw_panic);
                if !(exited || panicked) || flag.load(Ordering::Relaxed) {
                    continue;
                }
                let why = if exited { "exited" } else { "panicked in its storage" };
                tracing::warn!(bootstrap = %self.bootstrap(), log = ?self.log_path, "the local Kafka broker {why}; restarting it");
                metrics::counter!("wavestack_local_broker_restarts_total").increment(1);
                // The old process is gone before the log's end is taken and
                // the new one starts after: whatever the new one writes is
                // read, even a panic in its first second.
                self.stop();
                log = self.log_path.clone().map(LogTail::from_end);
                if let Err(error) = self.spawn() {
                    tracing::error!(error = format!("{error:#}"), "restarting the local Kafka broker failed; retrying");
                }
                current.store(self.pid().unwrap_or(0), Ordering::Relaxed);
            }
            drop(self);
        });
        WatchedBroker { stop, thread: Some(thread), bootstrap, pid }
    }
}

impl Drop for WatchedBroker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the broker wrote to its log since the watch began.
struct LogTail {
    path: PathBuf,
    read_to: u64,
    /// The end of the last chunk, in case the marker straddles two reads.
    carry: Vec<u8>,
}

impl LogTail {
    fn from_end(path: PathBuf) -> Self {
        let read_to = std::fs::metadata(&path).map_or(0, |m| m.len());
        Self { path, read_to, carry: Vec::new() }
    }

    fn saw_panic(&mut self) -> bool {
        let Ok(mut file) = std::fs::File::open(&self.path) else { return false };
        if file.seek(SeekFrom::Start(self.read_to)).is_err() {
            return false;
        }
        let mut chunk = std::mem::take(&mut self.carry);
        let before = chunk.len();
        if file.read_to_end(&mut chunk).is_err() {
            return false;
        }
        self.read_to += (chunk.len() - before) as u64;
        let found = chunk.windows(PANIC.len()).any(|w| w == PANIC);
        self.carry = chunk[chunk.len().saturating_sub(PANIC.len() - 1)..].to_vec();
        found
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_panic_written_after_the_watch_began_is_seen_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tansu.log");
        std::fs::write(&path, "thread 'x' panicked at old.rs:1\n").unwrap();
        let mut tail = LogTail::from_end(path.clone());
        assert!(!tail.saw_panic(), "what was there before does not count");
        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        // Written in two pieces, split inside the marker.
        file.write_all(b"INFO fetch\nthread 'tokio' pani").unwrap();
        assert!(!tail.saw_panic());
        file.write_all(b"cked at lite.rs:503:13:\nmore or less than one row\n").unwrap();
        assert!(tail.saw_panic());
        assert!(!tail.saw_panic(), "seen once");
    }
}
