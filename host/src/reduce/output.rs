//! The reduced rows handed to the writers, sorted by key, a batch at a time (never all at
//! once): from memory, or merged from the spilled runs.

use arrow_array::RecordBatch;

use super::ReduceError;
use super::SortedEntry;
use super::byte_map::ByteMap;
use super::row::RowLayout;
use super::spill::Merge;

/// Rows per output batch.
const OUTPUT_BATCH_ROWS: usize = 32 * 1024;

/// An iterator of output batches.
pub struct ReducedRows {
    layout: RowLayout,
    source: Source,
    spilled_runs: u64,
}

enum Source {
    Memory {
        shards: Vec<ByteMap>,
        /// Every entry, sorted by key.
        order: Vec<SortedEntry>,
        next: usize,
    },
    Spilled(Merge),
    Done,
}

impl ReducedRows {
    pub(super) fn from_memory(
        layout: RowLayout,
        shards: Vec<ByteMap>,
        order: Vec<SortedEntry>,
    ) -> Self {
        Self {
            layout,
            source: Source::Memory {
                shards,
                order,
                next: 0,
            },
            spilled_runs: 0,
        }
    }

    pub(super) fn merged(layout: RowLayout, merge: Merge, spilled_runs: u64) -> Self {
        Self {
            layout,
            source: Source::Spilled(merge),
            spilled_runs,
        }
    }

    /// Sorted runs the kept rows were spilled to (0: they fit in memory).
    pub fn spilled_runs(&self) -> u64 {
        self.spilled_runs
    }

    fn next_merged(&mut self) -> Result<Option<RecordBatch>, ReduceError> {
        let Source::Spilled(merge) = &mut self.source else {
            unreachable!("called on merged rows only");
        };
        // The merge lends each row only until it moves on: copy a batch's worth.
        let mut bytes = Vec::new();
        let mut ends: Vec<(usize, usize)> = Vec::new();
        while ends.len() < OUTPUT_BATCH_ROWS {
            let copy = |key: &[u8], value: &[u8]| {
                bytes.extend_from_slice(key);
                let key_end = bytes.len();
                bytes.extend_from_slice(value);
                ends.push((key_end, bytes.len()));
                Ok(())
            };
            if !merge.next(&self.layout, copy)? {
                break;
            }
        }
        if ends.is_empty() {
            return Ok(None);
        }
        let mut start = 0;
        let rows: Vec<(&[u8], &[u8])> = (ends.iter())
            .map(|&(key_end, end)| {
                let row = (&bytes[start..key_end], &bytes[key_end..end]);
                start = end;
                row
            })
            .collect();
        Ok(Some(self.layout.output_batch(&rows)))
    }
}

impl Iterator for ReducedRows {
    type Item = Result<RecordBatch, ReduceError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = match &mut self.source {
            Source::Memory {
                shards,
                order,
                next,
            } if *next < order.len() => {
                let end = (*next + OUTPUT_BATCH_ROWS).min(order.len());
                let rows: Vec<(&[u8], &[u8])> = (order[*next..end].iter())
                    .map(|&(_, s, e)| (shards[s].key(e), shards[s].value(e)))
                    .collect();
                *next = end;
                Ok(Some(self.layout.output_batch(&rows)))
            }
            Source::Spilled(_) => self.next_merged(),
            Source::Memory { .. } | Source::Done => Ok(None),
        };
        match batch {
            Ok(Some(batch)) => Some(Ok(batch)),
            // Frees the kept rows (and removes the runs) as soon as the last batch is out.
            Ok(None) => {
                self.source = Source::Done;
                None
            }
            Err(e) => {
                self.source = Source::Done;
                Some(Err(e))
            }
        }
    }
}
