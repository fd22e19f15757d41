//! Re-batching: warehouse results arrive in chunks of whatever size the server chose; the
//! pipeline wants batches of its own size.

use arrow_array::RecordBatch;
use arrow_select::coalesce::BatchCoalescer;
use std::path::PathBuf;

use arrow_schema::ArrowError;

use super::{Batches, SourceError, shape};
use crate::manifest::SourceSpec;

/// A warehouse result (raw batches in the server's chunk sizes, `Err` as the client's error)
/// as the pipeline's batches: each made plain by `plain` (the warehouse's own encodings),
/// shaped to the manifest with rows numbered from 1 for messages, then re-batched. `origin`
/// names the table in messages, where a file source names the file.
pub fn warehouse_batches<E>(
    rows: impl Iterator<Item = Result<RecordBatch, E>> + Send + 'static,
    origin: PathBuf,
    spec: &SourceSpec,
    batch_size: usize,
    format: &'static str,
    plain: fn(&RecordBatch) -> Result<RecordBatch, ArrowError>,
) -> Batches
where
    E: std::error::Error + Send + Sync + 'static,
{
    let mut next_row = 1u64;
    let (shaped_origin, shaped_spec) = (origin.clone(), spec.clone());
    let shaped = rows.map(move |raw| {
        let raw = raw.map_err(|e| SourceError::Warehouse(Box::new(e)))?;
        let first_row = next_row;
        next_row += raw.num_rows() as u64;
        let plain = plain(&raw).map_err(|e| SourceError::Unreadable {
            file: shaped_origin.clone(),
            format,
            message: e.to_string(),
        })?;
        shape(&shaped_origin, &shaped_spec, &plain, first_row)
    });
    rebatched(shaped, spec, batch_size, origin, format)
}

/// `input` (manifest-shaped batches) as batches of `batch_size` rows; `origin` and `format`
/// name the source in messages.
pub fn rebatched(
    input: impl Iterator<Item = Result<RecordBatch, SourceError>> + Send + 'static,
    spec: &SourceSpec,
    batch_size: usize,
    origin: PathBuf,
    format: &'static str,
) -> Batches {
    Box::new(Coalesced::new(input, spec, batch_size, origin, format))
}

/// Re-batches to `batch_size` rows: result chunks come in whatever sizes the server chose.
struct Coalesced<I> {
    input: I,
    coalescer: BatchCoalescer,
    finished: bool,
    origin: PathBuf,
    format: &'static str,
}

impl<I> Coalesced<I> {
    fn new(
        input: I,
        spec: &SourceSpec,
        batch_size: usize,
        origin: PathBuf,
        format: &'static str,
    ) -> Self {
        Self {
            input,
            coalescer: BatchCoalescer::new(spec.arrow_schema(), batch_size.max(1)),
            finished: false,
            origin,
            format,
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
                    format: self.format,
                    message: e.to_string(),
                }));
            }
        }
    }
}
