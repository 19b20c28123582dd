//! An index tansu 0.6's SQLite storage lacks. Its `header` table has none,
//! and a fetch looks up each record's headers, so every record read scanned
//! every header ever written. The relay writes two headers per record, so
//! reading cost more the longer the log; on this machine a consumer reading
//! a 30,000-record backlog got 355 records/s without the index and 23,900/s
//! with it (BENCHMARKS.md, issue 6).
//!
//! SQLite re-plans prepared statements when the schema changes, so the
//! running broker uses the index from its next fetch on.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

const HEADER_INDEX: &str = "CREATE INDEX IF NOT EXISTS wavestack_header_by_record ON header (topition, offset_id)";

/// Adds the index to the broker's database, waiting for tansu to have
/// created its tables.
pub(super) fn add_missing_indexes(database: &Path, within: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        match try_add(database) {
            Ok(()) => return Ok(()),
            Err(error) if started.elapsed() < within => {
                tracing::debug!(error = format!("{error:#}"), "the broker's tables are not there yet");
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(error) => return Err(error),
        }
    }
}

fn try_add(database: &Path) -> anyhow::Result<()> {
    let connection = rusqlite::Connection::open(database)
        .with_context(|| format!("opening the local broker's database {}", database.display()))?;
    // tansu writes meanwhile; wait for its write lock rather than fail.
    connection.busy_timeout(Duration::from_secs(30))?;
    connection.execute(HEADER_INDEX, []).context("indexing the local broker's record headers")?;
    Ok(())
}
