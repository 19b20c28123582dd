//! `wavestack export`: the event store's history as files analysts' tools
//! read with no WaveStack code. Hive-partitioned Parquet
//! (`<out>/parquet/<aggregate>/date=<UTC date>/part-….parquet`, one flat
//! column per envelope and payload field: `columns`) and Avro object
//! container files (`<out>/avro/<aggregate>/date=<UTC date>/part-….avro`,
//! the log's own records and schema).
//!
//! Incremental: `<out>/_wavestack_export.json` keeps where the last export
//! ended in the store's log order (read as the relay reads: only settled
//! transactions), and the next export into the same directory writes only
//! what came after, as new files. A run's files are named after the place
//! it started from, so a run that died before recording its end is redone
//! into the same names: nothing is exported twice.

mod avro_file;
pub mod columns;
mod parquet_file;
mod state;

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use wavestack_domain::value::Timestamp;
use wavestack_schemas::{AggregateKind, LogEnvelope};

use crate::store_reader::{spawn_reader, StoreCursor, StoreRead};
pub use columns::{Column, ColumnType, Layout};
pub use parquet_file::message_type;
pub use state::ExportState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Parquet,
    Avro,
}

impl ExportFormat {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        match raw {
            "parquet" => Ok(Self::Parquet),
            "avro" => Ok(Self::Avro),
            other => anyhow::bail!("unknown format `{other}`; known: parquet, avro"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub aggregates: Vec<AggregateKind>,
    /// Only events that occurred at or after this instant.
    pub from: Option<Timestamp>,
    /// Only events that occurred at or before this instant.
    pub until: Option<Timestamp>,
    pub formats: Vec<ExportFormat>,
    pub out: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ExportReport {
    /// Rows read from the store past the last export's end.
    pub read: u64,
    /// Events written (each to every format).
    pub written: u64,
    pub files: Vec<PathBuf>,
    /// Everything up to here is exported.
    pub cursor: StoreCursor,
    pub elapsed: Duration,
}

/// The files one run is writing, by aggregate and UTC date.
struct Partitions {
    out: PathBuf,
    part: String,
    formats: Vec<ExportFormat>,
    layouts: BTreeMap<AggregateKind, Arc<Layout>>,
    parquet: BTreeMap<(AggregateKind, String), parquet_file::ParquetFile>,
    avro: BTreeMap<(AggregateKind, String), avro_file::AvroFile>,
}

impl Partitions {
    fn write(&mut self, envelope: &LogEnvelope) -> anyhow::Result<()> {
        let kind = envelope.event.kind();
        let key = (kind, envelope.metadata.occurred_at.as_datetime().date().to_string());
        // `<out>/<format>/<aggregate>/date=<day>/<part>.<format>`
        let path = |format: &str| -> PathBuf {
            let dir = self.out.join(format).join(kind.aggregate_type()).join(format!("date={}", key.1));
            dir.join(format!("{}.{format}", self.part))
        };
        if self.formats.contains(&ExportFormat::Parquet) {
            let layout = &self.layouts[&kind];
            let file = match self.parquet.entry(key.clone()) {
                Entry::Occupied(file) => file.into_mut(),
                Entry::Vacant(slot) => slot.insert(parquet_file::ParquetFile::create(layout.clone(), path("parquet"))?),
            };
            file.push(layout.row(envelope))?;
        }
        if self.formats.contains(&ExportFormat::Avro) {
            let file = match self.avro.entry(key.clone()) {
                Entry::Occupied(file) => file.into_mut(),
                Entry::Vacant(slot) => slot.insert(avro_file::AvroFile::create(kind, path("avro"))?),
            };
            file.push(envelope)?;
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for (_, file) in self.parquet {
            files.push(file.finish()?);
        }
        for (_, file) in self.avro {
            files.push(file.finish()?);
        }
        Ok(files)
    }
}

/// Exports what the store holds past the last export into `options.out`.
pub async fn export(
    pool: &PgPool,
    options: &ExportOptions,
    mut progress: impl FnMut(u64, u64, Duration),
) -> anyhow::Result<ExportReport> {
    let started = Instant::now();
    anyhow::ensure!(!options.aggregates.is_empty(), "name at least one aggregate");
    anyhow::ensure!(!options.formats.is_empty(), "name at least one format");
    std::fs::create_dir_all(&options.out).with_context(|| format!("creating {}", options.out.display()))?;
    let state = ExportState::load_or_new(&options.out, options)?;
    remove_temporaries(&options.out)?;
    let start = state.cursor;
    let mut layouts = BTreeMap::new();
    for kind in &options.aggregates {
        layouts.insert(*kind, Arc::new(Layout::of(*kind)?));
    }
    let mut partitions = Partitions {
        out: options.out.clone(),
        part: format!("part-{:020}-{:020}", start.transaction_id, start.position),
        formats: options.formats.clone(),
        layouts,
        parquet: BTreeMap::new(),
        avro: BTreeMap::new(),
    };
    let types = options.aggregates.iter().map(|k| k.aggregate_type().to_owned()).collect();
    let conn = pool.acquire().await.context("connecting the export to Postgres")?.detach();
    let (total, mut batches, reader) = spawn_reader(conn, StoreRead { types, after: start, settled_only: true });
    let total = total.await.unwrap_or(0);
    let (mut read, mut written, mut cursor) = (0, 0, start);
    while let Some(batch) = batches.recv().await {
        let (so_far, batch) = batch?;
        read = so_far;
        for (place, envelope) in &batch {
            let at = envelope.metadata.occurred_at;
            if options.from.is_none_or(|from| at >= from) && options.until.is_none_or(|until| at <= until) {
                partitions.write(envelope)?;
                written += 1;
            }
            cursor = *place;
        }
        progress(read, total.max(read), started.elapsed());
    }
    reader.await.context("the store reader stopped")??;
    let files = partitions.finish()?;
    state.advanced(cursor, written).save(&options.out)?;
    progress(read, total.max(read), started.elapsed());
    Ok(ExportReport { read, written, files, cursor, elapsed: started.elapsed() })
}

/// Files a killed run left half-written.
fn remove_temporaries(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            remove_temporaries(&path)?;
        } else if path.extension().is_some_and(|e| e == "tmp") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
