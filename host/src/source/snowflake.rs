//! Rows straight from Snowflake: the query generated from the manifest (only its columns, only
//! the window), its Arrow result streamed chunk by chunk, Snowflake's encodings made plain, then
//! the same normalisation as files, in batches of the pipeline's size.

use arrow_array::RecordBatch;
use arrow_select::coalesce::BatchCoalescer;
use std::path::PathBuf;

use super::{Batches, SourceError, shape};
use crate::manifest::SourceSpec;
use crate::snowflake::{ConnectionSettings, ResultStream, Snowflake, SnowflakeError};

pub struct SnowflakeSource {
    /// Names the table in messages, where a file source names the file.
    origin: PathBuf,
    spec: SourceSpec,
    rows: ResultStream,
    batch_size: usize,
}

impl SnowflakeSource {
    /// Logs in and runs `query` (from [`crate::sql::snowflake_source_query`]); rows are read
    /// as the batches are consumed.
    pub fn open(
        settings: &ConnectionSettings,
        table: &str,
        query: &str,
        spec: &SourceSpec,
        batch_size: usize,
    ) -> Result<Self, SourceError> {
        let origin = PathBuf::from(format!("snowflake:{table}"));
        let with_table = |error: SnowflakeError| match error {
            SnowflakeError::Query { code, message } => SnowflakeError::Query {
                code,
                message: format!("reading {table}: {message}"),
            },
            other => other,
        };
        let rows = Snowflake::connect(settings)
            .and_then(|session| session.query(query))
            .map_err(with_table)?;
        Ok(Self {
            origin,
            spec: spec.clone(),
            rows,
            batch_size: batch_size.max(1),
        })
    }

    pub fn row_count_hint(&self) -> Option<u64> {
        self.rows.total_rows
    }

    pub fn into_batches(self) -> Batches {
        let SnowflakeSource {
            origin,
            spec,
            rows,
            batch_size,
        } = self;
        let mut next_row = 1u64;
        let shaped_spec = spec.clone();
        let origin_name = origin.clone();
        let shaped = rows.map(move |raw| {
            let raw = raw?;
            let first_row = next_row;
            next_row += raw.num_rows() as u64;
            let plain =
                crate::snowflake::arrow::to_plain(&raw).map_err(|e| SourceError::Unreadable {
                    file: origin.clone(),
                    format: "Snowflake Arrow",
                    message: e.to_string(),
                })?;
            shape(&origin, &shaped_spec, &plain, first_row)
        });
        Box::new(Coalesced::new(shaped, &spec, batch_size, origin_name))
    }
}

/// Re-batches to `batch_size` rows: result chunks come in whatever sizes the server chose.
struct Coalesced<I> {
    input: I,
    coalescer: BatchCoalescer,
    finished: bool,
    origin: PathBuf,
}

impl<I> Coalesced<I> {
    fn new(input: I, spec: &SourceSpec, batch_size: usize, origin: PathBuf) -> Self {
        Self {
            input,
            coalescer: BatchCoalescer::new(spec.arrow_schema(), batch_size),
            finished: false,
            origin,
        }
    }
}

impl<I: Iterator<Item = Result<RecordBatch, SourceError>>> Iterator for Coalesced<I> {
    type Item = Result<RecordBatch, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(batch) = self.coalescer.next_completed_batch() {
                return Some(Ok(batch));
            }
            if self.finished {
                return None;
            }
            let pushed = match self.input.next() {
                Some(Ok(batch)) => self.coalescer.push_batch(batch),
                Some(Err(e)) => return Some(Err(e)),
                None => {
                    self.finished = true;
                    self.coalescer.finish_buffered_batch()
                }
            };
            if let Err(e) = pushed {
                return Some(Err(SourceError::Unreadable {
                    file: self.origin.clone(),
                    format: "Snowflake Arrow",
                    message: e.to_string(),
                }));
            }
        }
    }
}
