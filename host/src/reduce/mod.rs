//! Entity reduction: one row per key, the greatest by the manifest's `latest-by` columns
//! (descending, NULL lowest, first seen wins a full tie). Memory holds one row per distinct
//! key and nothing else; output is sorted by key so runs are reproducible.

mod byte_map;
mod cells;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use std::cmp::Ordering;
use std::sync::Mutex;

use crate::manifest::{DataType, DatasetSpec, Reduction};
use byte_map::ByteMap;
use cells::{CellRef, Typed, build_array, decode, key_cell};

pub struct EntityReducer {
    key_index: usize,
    /// Types of the returned columns: written ones, then latest-by.
    types: Vec<DataType>,
    written: usize,
    schema: SchemaRef,
    /// Kept rows, split by key hash so worker threads fold batches at once, each locking
    /// one shard at a time. Every shard hashes with `hasher`, so a key is hashed once.
    shards: Vec<Mutex<ByteMap>>,
    hasher: ahash::RandomState,
}

/// A kept row, as the value stored under its key: where it came from (input order breaks
/// full ties, so batches may be folded in any order, by any thread, and still keep the first
/// such row), then the latest-by cells (compared on every fold, so they come first), then the
/// written cells but the key (`CellRef::encode`).
const POSITION_BYTES: usize = 12;

fn encode_position((batch, row): (u64, u32), out: &mut Vec<u8>) {
    out.extend_from_slice(&batch.to_le_bytes());
    out.extend_from_slice(&row.to_le_bytes());
}

fn decode_position(value: &[u8]) -> (u64, u32) {
    (
        u64::from_le_bytes(value[..8].try_into().expect("8 bytes")),
        u32::from_le_bytes(value[8..12].try_into().expect("4 bytes")),
    )
}

const SHARDS: usize = 64;

/// A key's shard, from hash bits the shard's own table does not use for its buckets.
fn shard_of(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

/// Rows per output batch when the reduced rows are handed to the writers.
const OUTPUT_BATCH_ROWS: usize = 64 * 1024;

impl EntityReducer {
    /// `None` for an events dataset.
    pub fn for_dataset(spec: &DatasetSpec) -> Option<Self> {
        let Reduction::Entity { key_index, .. } = &spec.reduction else {
            return None;
        };
        let hasher = ahash::RandomState::new();
        Some(Self {
            key_index: *key_index,
            types: spec.returned_columns().map(|c| c.data_type).collect(),
            written: spec.columns.len(),
            schema: spec.written_schema(),
            shards: (0..SHARDS)
                .map(|_| Mutex::new(ByteMap::with_hasher(hasher.clone())))
                .collect(),
            hasher,
        })
    }

    /// Folds a batch of returned rows (written + latest-by columns) into the kept rows.
    /// `batch_index` is the batch's place in the input; safe to call from several threads.
    pub fn add(&self, batch: &RecordBatch, batch_index: u64) {
        let columns: Vec<Typed<'_>> = batch
            .columns()
            .iter()
            .zip(&self.types)
            .map(|(array, &data_type)| Typed::new(array, data_type))
            .collect();
        let key_column = columns[self.key_index];
        let mut scratch = [0u8; 8];
        // Rows (and their key hashes) grouped by shard, so each shard is locked once per batch.
        let expected = batch.num_rows() / SHARDS * 2;
        let mut by_shard: Vec<Vec<(u32, u64)>> =
            (0..SHARDS).map(|_| Vec::with_capacity(expected)).collect();
        for row in 0..batch.num_rows() {
            if key_column.is_null(row) {
                continue; // keys are non-nullable; the plugin output check rejects NULLs
            }
            let hash = self
                .hasher
                .hash_one(key_column.key_bytes(row, &mut scratch));
            by_shard[shard_of(hash)].push((row as u32, hash));
        }
        let mut encoded = Vec::new();
        for (shard, rows) in self.shards.iter().zip(by_shard) {
            if rows.is_empty() {
                continue;
            }
            let mut kept = lock(shard);
            for (row, hash) in rows {
                let position = (batch_index, row);
                let row = row as usize;
                let key = key_column.key_bytes(row, &mut scratch);
                match kept.find(hash, key) {
                    Some(entry) => {
                        let stored = kept.value(entry);
                        let later = self
                            .is_later(&columns, row, &stored[POSITION_BYTES..])
                            .unwrap_or_else(|| position < decode_position(stored));
                        if later {
                            self.encode_row(&columns, row, position, &mut encoded);
                            kept.set_value(hash, entry, &encoded);
                        }
                    }
                    None => {
                        self.encode_row(&columns, row, position, &mut encoded);
                        kept.insert(hash, key, &encoded);
                    }
                }
            }
        }
    }

    /// Whether `row` beats the kept row (its cells, latest-by first) on the latest-by
    /// columns, compared column by column; `None` when they tie on all of them.
    fn is_later(&self, columns: &[Typed<'_>], row: usize, mut stored: &[u8]) -> Option<bool> {
        let latest_by = columns.iter().zip(&self.types).skip(self.written);
        for (column, &data_type) in latest_by {
            let (kept, rest) = decode(data_type, stored);
            stored = rest;
            match column.cell(row).cmp_nulls_lowest(kept) {
                Ordering::Equal => continue,
                ordering => return Some(ordering == Ordering::Greater),
            }
        }
        None
    }

    /// The value kept for `row`: its position, its latest-by cells, its written cells but
    /// the key.
    fn encode_row(
        &self,
        columns: &[Typed<'_>],
        row: usize,
        position: (u64, u32),
        out: &mut Vec<u8>,
    ) {
        out.clear();
        encode_position(position, out);
        let latest_by = self.written..self.types.len();
        for index in latest_by.chain((0..self.written).filter(|&i| i != self.key_index)) {
            columns[index].cell(row).encode(out);
        }
    }

    /// The kept rows, sorted by key, as batches of the written columns.
    pub fn finish(mut self) -> Vec<RecordBatch> {
        let shards: Vec<ByteMap> = std::mem::take(&mut self.shards)
            .into_iter()
            .map(|shard| shard.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect();
        let mut rows: Vec<(&[u8], &[u8])> = shards.iter().flat_map(ByteMap::iter).collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        rows.chunks(OUTPUT_BATCH_ROWS)
            .map(|chunk| self.output_batch(chunk))
            .collect()
    }

    fn output_batch(&self, rows: &[(&[u8], &[u8])]) -> RecordBatch {
        let mut columns: Vec<Vec<CellRef<'_>>> = vec![Vec::with_capacity(rows.len()); self.written];
        for &(key, value) in rows {
            let mut cells = &value[POSITION_BYTES..];
            for &data_type in &self.types[self.written..] {
                cells = decode(data_type, cells).1; // latest-by cells are not written
            }
            for (index, column) in columns.iter_mut().enumerate() {
                let data_type = self.types[index];
                let cell = if index == self.key_index {
                    key_cell(data_type, key)
                } else {
                    let (cell, rest) = decode(data_type, cells);
                    cells = rest;
                    cell
                };
                column.push(cell);
            }
        }
        let arrays = columns
            .iter()
            .zip(&self.types)
            .map(|(cells, &data_type)| build_array(data_type, cells))
            .collect();
        RecordBatch::try_new(self.schema.clone(), arrays).expect("cells follow the declared schema")
    }
}

/// A shard's lock; a panic elsewhere cannot leave a shard half-updated (an entry is replaced
/// by one call), so a poisoned lock is still usable.
fn lock(shard: &Mutex<ByteMap>) -> std::sync::MutexGuard<'_, ByteMap> {
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ColumnSpec, DatasetKind};
    use arrow_array::cast::AsArray;
    use arrow_array::{StringArray, TimestampMicrosecondArray};
    use std::sync::Arc;

    fn col(name: &str, data_type: DataType, nullable: bool) -> ColumnSpec {
        ColumnSpec {
            name: name.into(),
            data_type,
            nullable,
            categorical: false,
            role: None,
        }
    }

    fn users() -> DatasetSpec {
        DatasetSpec {
            name: "users".into(),
            kind: DatasetKind::Users,
            columns: vec![
                col("USER_ID", DataType::Utf8, false),
                col("GUEST", DataType::Utf8, true),
            ],
            reduction: Reduction::Entity {
                key: "USER_ID".into(),
                latest_by: vec![
                    col("ts", DataType::Timestamp, false),
                    col("event_id", DataType::Utf8, true),
                ],
                key_index: 0,
            },
        }
    }

    fn batch(spec: &DatasetSpec, rows: &[(&str, &str, i64, Option<&str>)]) -> RecordBatch {
        RecordBatch::try_new(
            spec.returned_schema(),
            vec![
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    rows.iter().map(|r| r.2),
                )),
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.3))),
            ],
        )
        .unwrap()
    }

    fn kept(reducer: EntityReducer) -> Vec<(String, String)> {
        let batches = reducer.finish();
        batches
            .iter()
            .flat_map(|b| {
                let (k, v) = (
                    b.column(0).as_string::<i32>(),
                    b.column(1).as_string::<i32>(),
                );
                (0..b.num_rows())
                    .map(|i| (k.value(i).to_string(), v.value(i).to_string()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn latest_wins_then_greatest_tie_breaker_then_first_seen() {
        let spec = users();
        let reducer = EntityReducer::for_dataset(&spec).unwrap();
        // Folded out of order, as worker threads may: input order still breaks full ties.
        reducer.add(
            &batch(
                &spec,
                &[
                    ("b", "new", 2, Some("e0")), // later time wins over a greater id
                    ("a", "null-id", 5, None),   // NULL tie-breaker is lowest: loses
                    ("a", "greater-id", 5, Some("e2")),
                    ("a", "same", 5, Some("e2")), // full tie: first seen stays
                ],
            ),
            1,
        );
        reducer.add(
            &batch(
                &spec,
                &[("b", "old", 1, Some("e1")), ("a", "first", 5, Some("e1"))],
            ),
            0,
        );
        assert_eq!(
            kept(reducer),
            vec![
                ("a".into(), "greater-id".into()),
                ("b".into(), "new".into())
            ]
        );
    }

    #[test]
    fn events_datasets_have_no_reducer() {
        let mut spec = users();
        spec.reduction = Reduction::Events;
        assert!(EntityReducer::for_dataset(&spec).is_none());
    }
}
