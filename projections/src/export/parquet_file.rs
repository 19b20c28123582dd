//! One Parquet file of one aggregate and UTC date, written with the
//! low-level writer: rows are buffered and written a row group at a time,
//! to a temporary name, renamed into place when finished.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::columns::{Cell, ColumnType, Layout};

/// Rows per row group.
const ROW_GROUP: usize = 50_000;

pub(super) struct ParquetFile {
    layout: Arc<Layout>,
    writer: SerializedFileWriter<File>,
    rows: Vec<Vec<Cell>>,
    temporary: PathBuf,
    path: PathBuf,
}

/// The Parquet message type of a layout, e.g. `required int64 sequence;`.
pub fn message_type(layout: &Layout) -> String {
    let mut message = format!("message {} {{\n", layout.kind.aggregate_type());
    for column in &layout.columns {
        let repetition = if column.required { "required" } else { "optional" };
        let physical = match column.kind {
            ColumnType::Long => "int64".to_owned(),
            ColumnType::Timestamp => "int64".to_owned(),
            ColumnType::Boolean => "boolean".to_owned(),
            ColumnType::Double => "double".to_owned(),
            ColumnType::Text | ColumnType::Json => "binary".to_owned(),
        };
        let logical = match column.kind {
            ColumnType::Timestamp => " (TIMESTAMP(MICROS,true))",
            ColumnType::Text | ColumnType::Json => " (STRING)",
            _ => "",
        };
        message.push_str(&format!("  {repetition} {physical} {}{logical};\n", column.name));
    }
    message.push('}');
    message
}

impl ParquetFile {
    pub(super) fn create(layout: Arc<Layout>, path: PathBuf) -> anyhow::Result<Self> {
        let schema = Arc::new(parse_message_type(&message_type(&layout)).context("the export's Parquet schema")?);
        let properties = Arc::new(WriterProperties::builder().set_compression(Compression::SNAPPY).build());
        let temporary = path.with_extension("parquet.tmp");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let file = File::create(&temporary).with_context(|| format!("creating {}", temporary.display()))?;
        let writer = SerializedFileWriter::new(file, schema, properties)?;
        Ok(Self { layout, writer, rows: Vec::new(), temporary, path })
    }

    pub(super) fn push(&mut self, row: Vec<Cell>) -> anyhow::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut group = self.writer.next_row_group()?;
        let mut index = 0;
        while let Some(mut column) = group.next_column()? {
            let spec = &self.layout.columns[index];
            let cells = self.rows.iter().map(|row| &row[index]);
            let levels: Vec<i16> = cells.clone().map(|c| i16::from(*c != Cell::Null)).collect();
            let levels = (!spec.required).then_some(levels.as_slice());
            match spec.kind {
                ColumnType::Long | ColumnType::Timestamp => {
                    let values: Vec<i64> =
                        cells.filter_map(|c| if let Cell::Long(n) = c { Some(*n) } else { None }).collect();
                    column.typed::<Int64Type>().write_batch(&values, levels, None)?;
                }
                ColumnType::Boolean => {
                    let values: Vec<bool> =
                        cells.filter_map(|c| if let Cell::Boolean(b) = c { Some(*b) } else { None }).collect();
                    column.typed::<BoolType>().write_batch(&values, levels, None)?;
                }
                ColumnType::Double => {
                    let values: Vec<f64> =
                        cells.filter_map(|c| if let Cell::Double(d) = c { Some(*d) } else { None }).collect();
                    column.typed::<DoubleType>().write_batch(&values, levels, None)?;
                }
                ColumnType::Text | ColumnType::Json => {
                    let values: Vec<ByteArray> = cells
                        .filter_map(|c| if let Cell::Text(s) = c { Some(ByteArray::from(s.as_str())) } else { None })
                        .collect();
                    column.typed::<ByteArrayType>().write_batch(&values, levels, None)?;
                }
            }
            column.close()?;
            index += 1;
        }
        group.close()?;
        self.rows.clear();
        Ok(())
    }

    /// Writes what is buffered and the footer, and moves the file into place.
    pub(super) fn finish(mut self) -> anyhow::Result<PathBuf> {
        self.flush()?;
        self.writer.close()?;
        std::fs::rename(&self.temporary, &self.path).with_context(|| format!("renaming to {}", self.path.display()))?;
        Ok(self.path)
    }
}
