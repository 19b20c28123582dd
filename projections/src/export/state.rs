//! `_wavestack_export.json`: what a directory holds an export of, and
//! where in the store's log order it ended. A later export into the
//! directory must ask for the same aggregates, window and formats, so that
//! carrying on from the cursor is carrying on with the same export.

use std::path::Path;

use super::{ExportFormat, ExportOptions};
use crate::store_reader::StoreCursor;
use anyhow::Context;
use serde::{Deserialize, Serialize};

const FILE: &str = "_wavestack_export.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportState {
    pub version: u32,
    pub aggregates: Vec<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    pub formats: Vec<ExportFormat>,
    /// Everything up to here (transaction id, position) is exported.
    pub cursor: StoreCursor,
    /// Events written by every export into the directory so far.
    pub exported: u64,
}

impl ExportState {
    fn of(options: &ExportOptions) -> Self {
        let mut aggregates: Vec<String> = options.aggregates.iter().map(|k| k.aggregate_type().to_owned()).collect();
        aggregates.sort();
        let mut formats = options.formats.clone();
        formats.sort();
        formats.dedup();
        Self {
            version: 1,
            aggregates,
            from: options.from.map(|t| t.to_rfc3339()),
            until: options.until.map(|t| t.to_rfc3339()),
            formats,
            cursor: StoreCursor::default(),
            exported: 0,
        }
    }

    /// The directory's state, or a fresh one; refuses a directory that
    /// holds another export.
    pub fn load_or_new(dir: &Path, options: &ExportOptions) -> anyhow::Result<Self> {
        let wanted = Self::of(options);
        let path = dir.join(FILE);
        let held: Self = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(wanted),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        let same = (&held.aggregates, &held.from, &held.until, &held.formats)
            == (&wanted.aggregates, &wanted.from, &wanted.until, &wanted.formats);
        anyhow::ensure!(
            same,
            "{} holds an export of {:?} from {:?} until {:?} as {:?}; carry it on with the same options, or export into another directory",
            dir.display(),
            held.aggregates,
            held.from,
            held.until,
            held.formats
        );
        Ok(held)
    }

    pub fn advanced(mut self, cursor: StoreCursor, written: u64) -> Self {
        self.cursor = cursor;
        self.exported += written;
        self
    }

    /// Written to a temporary file and renamed over the old one.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let temporary = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&temporary, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&temporary, dir.join(FILE)).context("recording where the export ended")?;
        Ok(())
    }
}
