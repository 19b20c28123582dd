//! One Avro object container file of one aggregate and UTC date: the
//! records exactly as the log carries them, in the same (latest) schema,
//! which the file's header holds. Written to a temporary name and renamed
//! into place when finished.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::Context;
use apache_avro::{Codec, DeflateSettings, Writer};
use wavestack_schemas::{latest_schema, AggregateKind, LogEnvelope};

pub(super) struct AvroFile {
    writer: Writer<'static, BufWriter<File>>,
    temporary: PathBuf,
    path: PathBuf,
}

impl AvroFile {
    pub(super) fn create(kind: AggregateKind, path: PathBuf) -> anyhow::Result<Self> {
        let temporary = path.with_extension("avro.tmp");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let file = File::create(&temporary).with_context(|| format!("creating {}", temporary.display()))?;
        let codec = Codec::Deflate(DeflateSettings::default());
        let writer = Writer::with_codec(latest_schema(kind)?, BufWriter::new(file), codec)?;
        Ok(Self { writer, temporary, path })
    }

    pub(super) fn push(&mut self, envelope: &LogEnvelope) -> anyhow::Result<()> {
        self.writer.append_value(envelope.to_avro()).context("writing an Avro record")?;
        Ok(())
    }

    pub(super) fn finish(self) -> anyhow::Result<PathBuf> {
        let mut file = self.writer.into_inner().context("finishing an Avro file")?;
        std::io::Write::flush(&mut file)?;
        drop(file);
        std::fs::rename(&self.temporary, &self.path).with_context(|| format!("renaming to {}", self.path.display()))?;
        Ok(self.path)
    }
}
