//! One dataset's files: `personalize-dataset.csv`, `personalize-dataset.parquet`,
//! `schema.avsc`, written as rows arrive and committed together.

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::ArrowError;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fmt::Write as _;
use std::sync::Arc;

use super::split::{CsvParts, DEFAULT_MAX_FILE_SIZE, StagedParts};
use super::{Destination, SinkError, StagedObject, avro, stage_bytes};
use crate::manifest::DatasetSpec;

pub const PARQUET_FILE: &str = "personalize-dataset.parquet";
pub const SCHEMA_FILE: &str = "schema.avsc";

pub struct DatasetWriter {
    name: String,
    spec: DatasetSpec,
    csv: CsvParts,
    /// Reused for batches encoded here rather than by [`encode_csv_rows`] in a worker.
    csv_rows: Vec<u8>,
    parquet: ArrowWriter<Box<dyn StagedObject>>,
    rows: u64,
}

/// A dataset whose files are complete but not yet visible.
pub struct StagedDataset {
    pub name: String,
    pub rows: u64,
    csv: StagedParts,
    objects: Vec<Box<dyn StagedObject>>,
}

impl StagedDataset {
    /// Bytes of each CSV part, in order.
    pub fn csv_part_sizes(&self) -> &[u64] {
        &self.csv.sizes
    }

    pub fn commit(self) -> Result<(), SinkError> {
        self.csv.commit()?;
        self.objects.into_iter().try_for_each(|o| o.commit())
    }
}

const PARQUET_ROW_GROUP_ROWS: usize = 128 * 1024;

impl DatasetWriter {
    pub fn create(destination: &dyn Destination, spec: &DatasetSpec) -> Result<Self, SinkError> {
        Self::create_split(destination, spec, DEFAULT_MAX_FILE_SIZE)
    }

    /// A writer whose CSV is split into parts of at most `max_csv_bytes`.
    pub fn create_split(
        destination: &dyn Destination,
        spec: &DatasetSpec,
        max_csv_bytes: u64,
    ) -> Result<Self, SinkError> {
        let name = spec.name.clone();
        // The header row, even for an empty dataset; repeated at the top of every part.
        let mut header = csv_dialect().with_header(true).build(Vec::new());
        header
            .write(&RecordBatch::new_empty(spec.written_schema()))
            .map_err(|e| encode_error(&name, "CSV", e))?;
        let csv = CsvParts::create(
            destination.handle(),
            &name,
            header.into_inner(),
            max_csv_bytes,
        )?;
        // The writer holds a row group, encoded, until it is full: 128k rows bound that
        // buffer (1M, the default, held 60-80 MB of long-id interactions).
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_size(PARQUET_ROW_GROUP_ROWS)
            .build();
        let parquet_object = destination.create(&format!("{name}/{PARQUET_FILE}"))?;
        let parquet = ArrowWriter::try_new(parquet_object, spec.written_schema(), Some(properties))
            .map_err(|e| encode_error(&name, "Parquet", e))?;
        Ok(Self {
            name,
            spec: spec.clone(),
            csv,
            csv_rows: Vec::new(),
            parquet,
            rows: 0,
        })
    }

    /// Appends rows (the dataset's written columns, in order).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        let mut csv_rows = std::mem::take(&mut self.csv_rows);
        csv_rows.clear();
        encode_csv_rows(batch, &mut csv_rows).map_err(|e| encode_error(&self.name, "CSV", e))?;
        let result = self.write_encoded(batch, &csv_rows);
        self.csv_rows = csv_rows;
        result
    }

    /// The dataset's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Appends rows whose CSV form [`encode_csv_rows`] already produced (off this thread).
    pub fn write_encoded(&mut self, batch: &RecordBatch, csv_rows: &[u8]) -> Result<(), SinkError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.csv.write_rows(csv_rows)?;
        self.parquet
            .write(batch)
            .map_err(|e| encode_error(&self.name, "Parquet", e))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Finishes and seals every file (schema included) without making any of them visible.
    pub fn finish(self, destination: &dyn Destination) -> Result<StagedDataset, SinkError> {
        let name = self.name;
        let csv = self.csv.finish()?;
        let mut parquet = self
            .parquet
            .into_inner()
            .map_err(|e| encode_error(&name, "Parquet", e))?;
        parquet.seal()?;
        let schema = serde_json::to_vec_pretty(&avro::schema(&self.spec)).expect("JSON value");
        let schema = stage_bytes(destination, &format!("{name}/{SCHEMA_FILE}"), &schema)?;
        Ok(StagedDataset {
            name,
            rows: self.rows,
            csv,
            objects: vec![parquet, schema],
        })
    }
}

fn encode_error(dataset: &str, format: &'static str, e: impl ToString) -> SinkError {
    SinkError::Encode {
        dataset: dataset.into(),
        format,
        message: e.to_string(),
    }
}

/// Personalize's CSV dialect: quote only when needed, escape `"` as `\"` (and `\` as `\\`,
/// done in `escape_backslashes` since the csv crate only escapes quotes).
fn csv_dialect() -> arrow_csv::WriterBuilder {
    arrow_csv::WriterBuilder::new()
        .with_double_quote(false)
        .with_escape(b'\\')
}

/// Appends the CSV rows of `batch` (no header) to `out`. Each batch encodes independently,
/// so workers encode in parallel and the writer only appends bytes in input order.
pub fn encode_csv_rows(batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), ArrowError> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let mut writer = csv_dialect().with_header(false).build(out);
    writer.write(&escape_backslashes(batch))
}

/// Doubles every `\` in text columns. Cheap when there is none (one scan of each column's
/// bytes, no copy).
fn escape_backslashes(batch: &RecordBatch) -> RecordBatch {
    let needs_escape = |array: &ArrayRef| {
        array.data_type() == &arrow_schema::DataType::Utf8
            && array.as_string::<i32>().value_data().contains(&b'\\')
    };
    if !batch.columns().iter().any(needs_escape) {
        return batch.clone();
    }
    let columns = batch
        .columns()
        .iter()
        .map(|array| {
            if !needs_escape(array) {
                return array.clone();
            }
            let strings = array.as_string::<i32>();
            let mut escaped =
                StringBuilder::with_capacity(strings.len(), strings.value_data().len() * 2);
            for value in strings.iter() {
                let Some(value) = value else {
                    escaped.append_null();
                    continue;
                };
                // Written piecewise into the builder's buffer: no String per value.
                for (i, part) in value.split('\\').enumerate() {
                    if i > 0 {
                        escaped.write_str("\\\\").expect("in memory");
                    }
                    escaped.write_str(part).expect("in memory");
                }
                escaped.append_value("");
            }
            Arc::new(escaped.finish()) as ArrayRef
        })
        .collect();
    RecordBatch::try_new(batch.schema(), columns).expect("same schema, same lengths")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::LocalDir;
    use crate::sink::split::CSV_FILE;
    use arrow_array::StringArray;

    #[test]
    fn csv_follows_personalize_quoting_rules() {
        let dir = tempfile::tempdir().unwrap();
        let destination = LocalDir::open(dir.path()).unwrap();
        let spec = DatasetSpec {
            name: "d".into(),
            kind: crate::manifest::DatasetKind::Other,
            columns: ["K", "V"]
                .map(|name| crate::manifest::ColumnSpec {
                    name: name.into(),
                    data_type: crate::manifest::DataType::Utf8,
                    nullable: true,
                    categorical: false,
                    role: None,
                })
                .to_vec(),
            reduction: crate::manifest::Reduction::Events,
        };
        let mut writer = DatasetWriter::create(&destination, &spec).unwrap();
        let values = StringArray::from(vec![
            Some("plain"),
            Some("a,b"),
            Some("say \"hi\""),
            Some("back\\slash"),
            None,
            Some("two\nlines"),
        ]);
        let keys = StringArray::from(vec!["k"; 6]);
        let batch = RecordBatch::try_new(
            spec.written_schema(),
            vec![Arc::new(keys), Arc::new(values)],
        )
        .unwrap();
        writer.write(&batch).unwrap();
        let staged = writer.finish(&destination).unwrap();
        assert!(
            !dir.path().join("d").join(CSV_FILE).exists(),
            "visible before commit"
        );
        staged.commit().unwrap();
        let csv = std::fs::read_to_string(dir.path().join("d").join(CSV_FILE)).unwrap();
        assert_eq!(
            csv,
            "K,V\nk,plain\nk,\"a,b\"\nk,\"say \\\"hi\\\"\"\nk,\"back\\\\slash\"\nk,\nk,\"two\nlines\"\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("d"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
}
