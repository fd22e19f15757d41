//! CSV files in the Snowplow export format: a header row, TRUE/FALSE/empty booleans,
//! `YYYY-MM-DD HH:MM:SS[.fff]` timestamps, empty = NULL. Only the needed columns are decoded
//! (as text; `normalize` parses them with row-level errors): a stray byte in a column the plugin
//! does not read cannot fail a run, and one in a column it reads is named by column and row.

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType as Arrow, Field, Schema, SchemaRef};
use csv::{ByteRecord, Reader};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::shape::{normalized, project};
use super::{Batches, SourceError};
use crate::manifest::SourceSpec;

fn unreadable(file: &Path, e: impl ToString) -> SourceError {
    SourceError::Unreadable {
        file: file.into(),
        format: "CSV",
        message: e.to_string(),
    }
}

pub fn open(file: &Path, spec: &SourceSpec, batch_size: usize) -> Result<Batches, SourceError> {
    let handle = File::open(file).map_err(|source| SourceError::Io {
        file: file.into(),
        source,
    })?;
    let raw = ProjectedRows::new(
        file,
        BufReader::with_capacity(1 << 20, handle),
        spec,
        batch_size,
    )?;
    let order = raw.order.clone();
    Ok(normalized(file, spec, order, raw, 1))
}

/// Batches of the projected columns as text (NULL for empty fields), decoded field by field.
pub(super) struct ProjectedRows<R> {
    reader: Reader<R>,
    file: PathBuf,
    /// File column positions to decode, ascending.
    columns: Vec<usize>,
    /// For each spec column, its position among `columns`.
    pub(super) order: Vec<usize>,
    schema: SchemaRef,
    batch_size: usize,
    record: ByteRecord,
    /// Data rows read so far (1-based numbers in messages).
    row: u64,
    done: bool,
}

impl<R: Read> ProjectedRows<R> {
    /// Reads the header of `input` (named `file` in messages) and projects `spec`'s columns.
    pub(super) fn new(
        file: &Path,
        input: R,
        spec: &SourceSpec,
        batch_size: usize,
    ) -> Result<Self, SourceError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(input);
        let header = reader.byte_headers().map_err(|e| unreadable(file, e))?;
        if header.is_empty() {
            return Err(SourceError::Empty { file: file.into() });
        }
        // A header name that is not UTF-8 cannot be a manifest column (those are ASCII): it
        // is shown, not refused, so it fails the run only if the plugin needed that column.
        let fields: Vec<Field> = (header.iter())
            .map(|name| Field::new(String::from_utf8_lossy(name), Arrow::Utf8, true))
            .collect();
        let projection = project(file, &Schema::new(fields.clone()), spec)?;
        let projected = projection.columns.iter().map(|&c| fields[c].clone());
        Ok(Self {
            reader,
            file: file.to_path_buf(),
            schema: Arc::new(Schema::new(projected.collect::<Vec<_>>())),
            columns: projection.columns,
            order: projection.order,
            batch_size: batch_size.max(1),
            record: ByteRecord::new(),
            row: 0,
            done: false,
        })
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>, SourceError> {
        let mut builders: Vec<StringBuilder> = (self.columns.iter())
            .map(|_| StringBuilder::with_capacity(self.batch_size, self.batch_size * 16))
            .collect();
        let mut rows = 0;
        while rows < self.batch_size {
            let more = (self.reader.read_byte_record(&mut self.record))
                .map_err(|e| unreadable(&self.file, e))?;
            if !more {
                self.done = true;
                break;
            }
            self.row += 1;
            for (index, (builder, &column)) in builders.iter_mut().zip(&self.columns).enumerate() {
                // The reader refuses records whose length differs from the header's.
                let bytes = self.record.get(column).unwrap_or_default();
                if bytes.is_empty() {
                    builder.append_null();
                    continue;
                }
                let text = std::str::from_utf8(bytes).map_err(|_| SourceError::BadValue {
                    file: self.file.clone(),
                    column: self.schema.field(index).name().clone(),
                    row: self.row,
                    value: String::from_utf8_lossy(bytes).into_owned(),
                    expected: "UTF-8 text",
                })?;
                builder.append_value(text);
            }
            rows += 1;
        }
        if rows == 0 {
            return Ok(None);
        }
        let arrays: Vec<ArrayRef> = (builders.iter_mut())
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)
            .map_err(|e| unreadable(&self.file, e))?;
        Ok(Some(batch))
    }
}

impl<R: Read> Iterator for ProjectedRows<R> {
    type Item = Result<RecordBatch, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let batch = self.next_batch();
        if batch.is_err() {
            self.done = true;
        }
        batch.transpose()
    }
}
