//! One dataset's files: `personalize-dataset.csv`, `personalize-dataset.parquet`,
//! `schema.avsc`, written as rows arrive and committed together.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::BufWriter;
use std::sync::Arc;

use super::{Destination, SinkError, StagedObject, avro, stage_bytes};
use crate::manifest::DatasetSpec;

pub const CSV_FILE: &str = "personalize-dataset.csv";
pub const PARQUET_FILE: &str = "personalize-dataset.parquet";
pub const SCHEMA_FILE: &str = "schema.avsc";

type CsvWriter = arrow_csv::Writer<BufWriter<Box<dyn StagedObject>>>;

pub struct DatasetWriter {
    name: String,
    spec: DatasetSpec,
    csv: CsvWriter,
    parquet: ArrowWriter<Box<dyn StagedObject>>,
    rows: u64,
}

/// A dataset whose files are complete but not yet visible.
pub struct StagedDataset {
    pub name: String,
    pub rows: u64,
    objects: Vec<Box<dyn StagedObject>>,
}

impl StagedDataset {
    pub fn commit(self) -> Result<(), SinkError> {
        self.objects.into_iter().try_for_each(|o| o.commit())
    }
}

impl DatasetWriter {
    pub fn create(destination: &dyn Destination, spec: &DatasetSpec) -> Result<Self, SinkError> {
        let name = spec.name.clone();
        let csv_object = destination.create(&format!("{name}/{CSV_FILE}"))?;
        // Personalize's CSV dialect: quote only when needed, escape `"` as `\"` (and `\` as
        // `\\`, done in `escape_backslashes` since the csv crate only escapes quotes).
        let csv = arrow_csv::WriterBuilder::new()
            .with_header(true)
            .with_double_quote(false)
            .with_escape(b'\\')
            .build(BufWriter::with_capacity(1 << 20, csv_object));
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let parquet_object = destination.create(&format!("{name}/{PARQUET_FILE}"))?;
        let parquet = ArrowWriter::try_new(parquet_object, spec.written_schema(), Some(properties))
            .map_err(|e| encode_error(&name, "Parquet", e))?;
        Ok(Self {
            name,
            spec: spec.clone(),
            csv,
            parquet,
            rows: 0,
        })
    }

    /// Appends rows (the dataset's written columns, in order).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.csv
            .write(&escape_backslashes(batch))
            .map_err(|e| encode_error(&self.name, "CSV", e))?;
        self.parquet
            .write(batch)
            .map_err(|e| encode_error(&self.name, "Parquet", e))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Finishes and seals every file (schema included) without making any of them visible.
    pub fn finish(mut self, destination: &dyn Destination) -> Result<StagedDataset, SinkError> {
        if self.rows == 0 {
            // An empty dataset still gets its header row.
            let empty = RecordBatch::new_empty(self.spec.written_schema());
            self.csv
                .write(&empty)
                .map_err(|e| encode_error(&self.name, "CSV", e))?;
        }
        let name = self.name;
        let mut csv = self
            .csv
            .into_inner()
            .into_inner()
            .map_err(|e| SinkError::Io {
                path: destination.location(&format!("{name}/{CSV_FILE}")),
                source: e.into_error(),
            })?;
        csv.seal()?;
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
            objects: vec![csv, parquet, schema],
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
            let escaped: StringArray = array
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(|s| s.replace('\\', "\\\\")))
                .collect();
            Arc::new(escaped) as ArrayRef
        })
        .collect();
    RecordBatch::try_new(batch.schema(), columns).expect("same schema, same lengths")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::LocalDir;

    #[test]
    fn csv_follows_personalize_quoting_rules() {
        let dir = tempfile::tempdir().unwrap();
        let destination = LocalDir::new(dir.path());
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
