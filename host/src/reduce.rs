//! Entity reduction: one row per key, the greatest by the manifest's `latest-by` columns
//! (descending, NULL lowest, first seen wins a full tie). Memory holds one row per distinct
//! key and nothing else; output is sorted by key so runs are reproducible.

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::SchemaRef;
use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

use crate::byte_map::ByteMap;
use crate::manifest::{DataType, DatasetSpec, Reduction};

/// A cell read in place from an array or from a kept row (no allocation).
#[derive(Debug, Clone, Copy)]
enum CellRef<'a> {
    Null,
    Utf8(&'a str),
    Int64(i64),
    Float64(f64),
    Boolean(bool),
}

impl CellRef<'_> {
    fn cmp_nulls_lowest(self, other: CellRef<'_>) -> Ordering {
        match (self, other) {
            (CellRef::Null, CellRef::Null) => Ordering::Equal,
            (CellRef::Null, _) => Ordering::Less,
            (_, CellRef::Null) => Ordering::Greater,
            (CellRef::Utf8(a), CellRef::Utf8(b)) => a.cmp(b),
            (CellRef::Int64(a), CellRef::Int64(b)) => a.cmp(&b),
            (CellRef::Float64(a), CellRef::Float64(b)) => a.total_cmp(&b),
            (CellRef::Boolean(a), CellRef::Boolean(b)) => a.cmp(&b),
            _ => unreachable!("columns are checked against their declared types"),
        }
    }

    /// Appends the cell to a kept row's bytes: a NULL flag, then the value (text
    /// length-prefixed), so millions of kept rows cost little more than their bytes.
    fn encode(self, out: &mut Vec<u8>) {
        match self {
            CellRef::Null => out.push(0),
            CellRef::Utf8(v) => {
                out.push(1);
                out.extend_from_slice(&(v.len() as u32).to_le_bytes());
                out.extend_from_slice(v.as_bytes());
            }
            CellRef::Int64(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            CellRef::Float64(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            CellRef::Boolean(v) => out.extend_from_slice(&[1, v as u8]),
        }
    }
}

/// Reads the cell `encode` wrote at the front of `bytes`; returns it and the rest.
fn decode(data_type: DataType, bytes: &[u8]) -> (CellRef<'_>, &[u8]) {
    let (&flag, rest) = bytes.split_first().expect("encoded row");
    if flag == 0 {
        return (CellRef::Null, rest);
    }
    let word = |rest: &[u8]| u64::from_le_bytes(rest[..8].try_into().expect("8 bytes"));
    match data_type {
        DataType::Utf8 => {
            let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
            let text = std::str::from_utf8(&rest[4..4 + len]).expect("encoded from a str");
            (CellRef::Utf8(text), &rest[4 + len..])
        }
        DataType::Int64 | DataType::Timestamp => (CellRef::Int64(word(rest) as i64), &rest[8..]),
        DataType::Float64 => (CellRef::Float64(f64::from_bits(word(rest))), &rest[8..]),
        DataType::Boolean => (CellRef::Boolean(rest[0] != 0), &rest[1..]),
    }
}

/// The key cell back from its key bytes (the inverse of `key_bytes`).
fn key_cell(data_type: DataType, key: &[u8]) -> CellRef<'_> {
    let word = || u64::from_be_bytes(key.try_into().expect("8 key bytes"));
    match data_type {
        DataType::Utf8 => CellRef::Utf8(std::str::from_utf8(key).expect("key from a str")),
        DataType::Int64 | DataType::Timestamp => CellRef::Int64(word() as i64 ^ i64::MIN),
        DataType::Float64 => CellRef::Float64(f64::from_bits(word())),
        DataType::Boolean => CellRef::Boolean(key[0] != 0),
    }
}

/// A returned column, downcast once per batch rather than once per cell.
#[derive(Clone, Copy)]
enum Typed<'a> {
    Utf8(&'a StringArray),
    Int64(&'a Int64Array),
    Timestamp(&'a TimestampMicrosecondArray),
    Float64(&'a Float64Array),
    Boolean(&'a BooleanArray),
}

impl<'a> Typed<'a> {
    fn new(array: &'a ArrayRef, data_type: DataType) -> Self {
        match data_type {
            DataType::Utf8 => Typed::Utf8(array.as_string()),
            DataType::Int64 => Typed::Int64(array.as_primitive()),
            DataType::Timestamp => Typed::Timestamp(array.as_primitive()),
            DataType::Float64 => Typed::Float64(array.as_primitive()),
            DataType::Boolean => Typed::Boolean(array.as_boolean()),
        }
    }

    fn is_null(self, row: usize) -> bool {
        match self {
            Typed::Utf8(a) => a.is_null(row),
            Typed::Int64(a) => a.is_null(row),
            Typed::Timestamp(a) => a.is_null(row),
            Typed::Float64(a) => a.is_null(row),
            Typed::Boolean(a) => a.is_null(row),
        }
    }

    fn cell(self, row: usize) -> CellRef<'a> {
        if self.is_null(row) {
            return CellRef::Null;
        }
        match self {
            Typed::Utf8(a) => CellRef::Utf8(a.value(row)),
            Typed::Int64(a) => CellRef::Int64(a.value(row)),
            Typed::Timestamp(a) => CellRef::Int64(a.value(row)),
            Typed::Float64(a) => CellRef::Float64(a.value(row)),
            Typed::Boolean(a) => CellRef::Boolean(a.value(row)),
        }
    }

    /// Key bytes that sort like the key: text as is (borrowed), numbers big-endian in
    /// `scratch` (integers with the sign flipped).
    fn key_bytes<'s>(self, row: usize, scratch: &'s mut [u8; 8]) -> &'s [u8]
    where
        'a: 's,
    {
        let word = match self {
            Typed::Utf8(a) => return a.value(row).as_bytes(),
            Typed::Boolean(a) => {
                scratch[0] = a.value(row) as u8;
                return &scratch[..1];
            }
            Typed::Int64(a) => (a.value(row) ^ i64::MIN) as u64,
            Typed::Timestamp(a) => (a.value(row) ^ i64::MIN) as u64,
            Typed::Float64(a) => a.value(row).to_bits(),
        };
        *scratch = word.to_be_bytes();
        &scratch[..]
    }
}

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

    pub fn keys(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
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

fn build_array(data_type: DataType, cells: &[CellRef<'_>]) -> ArrayRef {
    let n = cells.len();
    macro_rules! build {
        ($builder:expr, $variant:ident) => {{
            let mut builder = $builder;
            for c in cells {
                match *c {
                    CellRef::$variant(v) => builder.append_value(v),
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish()) as ArrayRef
        }};
    }
    match data_type {
        DataType::Utf8 => build!(StringBuilder::with_capacity(n, n * 16), Utf8),
        DataType::Int64 => build!(Int64Builder::with_capacity(n), Int64),
        DataType::Timestamp => build!(TimestampMicrosecondBuilder::with_capacity(n), Int64),
        DataType::Float64 => build!(Float64Builder::with_capacity(n), Float64),
        DataType::Boolean => build!(BooleanBuilder::with_capacity(n), Boolean),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ColumnSpec, DatasetKind};
    use arrow_array::{StringArray, TimestampMicrosecondArray};

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
