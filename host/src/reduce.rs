//! Entity reduction: one row per key, the greatest by the manifest's `latest-by` columns
//! (descending, NULL lowest, first seen wins a full tie). Memory holds one row per distinct
//! key and nothing else; output is sorted by key so runs are reproducible.

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::SchemaRef;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};

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
    /// length-prefixed). One allocation per kept row instead of one per cell keeps memory
    /// low at millions of keys.
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

/// The cells of a kept row, in returned-column order (the key from the map's key).
struct KeptCells<'a> {
    types: &'a [DataType],
    key_index: usize,
    key: &'a [u8],
    bytes: &'a [u8],
    index: usize,
}

impl<'a> Iterator for KeptCells<'a> {
    type Item = CellRef<'a>;

    fn next(&mut self) -> Option<CellRef<'a>> {
        let data_type = *self.types.get(self.index)?;
        let cell = if self.index == self.key_index {
            key_cell(data_type, self.key)
        } else {
            let (cell, rest) = decode(data_type, self.bytes);
            self.bytes = rest;
            cell
        };
        self.index += 1;
        Some(cell)
    }
}

fn cell(array: &ArrayRef, data_type: DataType, row: usize) -> CellRef<'_> {
    if array.is_null(row) {
        return CellRef::Null;
    }
    match data_type {
        DataType::Utf8 => CellRef::Utf8(array.as_string::<i32>().value(row)),
        DataType::Int64 => CellRef::Int64(array.as_primitive::<Int64Type>().value(row)),
        DataType::Timestamp => {
            CellRef::Int64(array.as_primitive::<TimestampMicrosecondType>().value(row))
        }
        DataType::Float64 => CellRef::Float64(array.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => CellRef::Boolean(array.as_boolean().value(row)),
    }
}

/// Key bytes that sort like the key: text as is, integers big-endian with the sign flipped.
fn key_bytes(array: &ArrayRef, data_type: DataType, row: usize, out: &mut Vec<u8>) {
    out.clear();
    match data_type {
        DataType::Utf8 => out.extend_from_slice(array.as_string::<i32>().value(row).as_bytes()),
        DataType::Int64 => out.extend_from_slice(
            &(array.as_primitive::<Int64Type>().value(row) ^ i64::MIN).to_be_bytes(),
        ),
        DataType::Timestamp => out.extend_from_slice(
            &(array.as_primitive::<TimestampMicrosecondType>().value(row) ^ i64::MIN).to_be_bytes(),
        ),
        DataType::Boolean => out.push(array.as_boolean().value(row) as u8),
        DataType::Float64 => out.extend_from_slice(
            &array
                .as_primitive::<Float64Type>()
                .value(row)
                .to_bits()
                .to_be_bytes(),
        ),
    }
}

pub struct EntityReducer {
    key_index: usize,
    /// Types of the returned columns: written ones, then latest-by.
    types: Vec<DataType>,
    written: usize,
    schema: SchemaRef,
    /// Kept rows, split by key hash so worker threads fold batches at once, each locking
    /// one shard at a time.
    shards: Vec<Mutex<Shard>>,
    /// Picks a key's shard.
    shard_of: ahash::RandomState,
}

type Shard = HashMap<Box<[u8]>, Kept, ahash::RandomState>;

/// A key's greatest row so far and where it came from: input order breaks full ties, so
/// batches may be folded in any order (by any thread) and still keep the first such row.
struct Kept {
    position: (u64, u32),
    /// Every returned column but the key, encoded (`CellRef::encode`).
    cells: Box<[u8]>,
}

const SHARDS: usize = 64;

/// Rows per output batch when the reduced rows are handed to the writers.
const OUTPUT_BATCH_ROWS: usize = 64 * 1024;

impl EntityReducer {
    /// `None` for an events dataset.
    pub fn for_dataset(spec: &DatasetSpec) -> Option<Self> {
        let Reduction::Entity { key_index, .. } = &spec.reduction else {
            return None;
        };
        Some(Self {
            key_index: *key_index,
            types: spec.returned_columns().map(|c| c.data_type).collect(),
            written: spec.columns.len(),
            schema: spec.written_schema(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            shard_of: ahash::RandomState::new(),
        })
    }

    pub fn keys(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Folds a batch of returned rows (written + latest-by columns) into the kept rows.
    /// `batch_index` is the batch's place in the input; safe to call from several threads.
    pub fn add(&self, batch: &RecordBatch, batch_index: u64) {
        let columns = batch.columns();
        let key_column = &columns[self.key_index];
        let key_type = self.types[self.key_index];
        let mut key = Vec::new();
        let mut encoded = Vec::new();
        // Rows grouped by shard, so each shard is locked once per batch.
        let mut by_shard: Vec<Vec<u32>> = vec![Vec::new(); SHARDS];
        for row in 0..batch.num_rows() {
            if key_column.is_null(row) {
                continue; // keys are non-nullable; the plugin output check rejects NULLs
            }
            key_bytes(key_column, key_type, row, &mut key);
            let shard = self.shard_of.hash_one(key.as_slice()) as usize % SHARDS;
            by_shard[shard].push(row as u32);
        }
        for (shard, rows) in self.shards.iter().zip(by_shard) {
            if rows.is_empty() {
                continue;
            }
            let mut kept = lock(shard);
            for row in rows {
                let position = (batch_index, row);
                let row = row as usize;
                key_bytes(key_column, key_type, row, &mut key);
                match kept.get_mut(key.as_slice()) {
                    Some(stored) => {
                        let cells = self.kept_cells(&key, &stored.cells);
                        if is_later(&self.types, self.written, columns, row, cells)
                            .unwrap_or(position < stored.position)
                        {
                            self.encode_row(columns, row, &mut encoded);
                            stored.position = position;
                            if stored.cells.len() == encoded.len() {
                                stored.cells.copy_from_slice(&encoded); // no reallocation
                            } else {
                                stored.cells = encoded.as_slice().into();
                            }
                        }
                    }
                    None => {
                        self.encode_row(columns, row, &mut encoded);
                        let cells = encoded.as_slice().into();
                        kept.insert(key.as_slice().into(), Kept { position, cells });
                    }
                }
            }
        }
    }

    fn kept_cells<'a>(&'a self, key: &'a [u8], bytes: &'a [u8]) -> KeptCells<'a> {
        KeptCells {
            types: &self.types,
            key_index: self.key_index,
            key,
            bytes,
            index: 0,
        }
    }

    /// `row`'s cells but the key, encoded into `out`.
    fn encode_row(&self, columns: &[ArrayRef], row: usize, out: &mut Vec<u8>) {
        out.clear();
        for (index, (array, &data_type)) in columns.iter().zip(&self.types).enumerate() {
            if index != self.key_index {
                cell(array, data_type, row).encode(out);
            }
        }
    }

    /// The rows of `batch` that can still win: per key, the row [`add`](Self::add) would keep
    /// from this batch alone, in input order. Folding them instead of the whole batch keeps
    /// the same rows (a later row replaces only when strictly greater, so the first of tied
    /// rows stays first) with a fraction of the lookups into the shared shards. Keys are
    /// borrowed, nothing is allocated per row.
    pub fn candidates(&self, batch: &RecordBatch) -> RecordBatch {
        let columns = batch.columns();
        let Some(keys) = columns[self.key_index].as_string_opt::<i32>() else {
            return batch.clone(); // non-text keys are folded as they come
        };
        let mut best: HashMap<&str, u32, ahash::RandomState> = HashMap::default();
        for row in 0..batch.num_rows() {
            if keys.is_null(row) {
                continue;
            }
            match best.entry(keys.value(row)) {
                Entry::Occupied(mut kept) => {
                    let kept_row = *kept.get() as usize;
                    if beats(&self.types, self.written, columns, row, kept_row) {
                        kept.insert(row as u32);
                    }
                }
                Entry::Vacant(slot) => {
                    slot.insert(row as u32);
                }
            }
        }
        if best.len() == batch.num_rows() {
            return batch.clone();
        }
        let mut rows: Vec<u32> = best.into_values().collect();
        rows.sort_unstable();
        arrow_select::take::take_record_batch(batch, &UInt32Array::from(rows))
            .expect("indices are in range")
    }

    /// The kept rows, sorted by key, as batches of the written columns.
    pub fn finish(self) -> Vec<RecordBatch> {
        let shards: Vec<Shard> = self
            .shards
            .iter()
            .map(|shard| std::mem::take(&mut *lock(shard)))
            .collect();
        let mut rows: Vec<(&[u8], &[u8])> = shards
            .iter()
            .flatten()
            .map(|(key, kept)| (&key[..], &kept.cells[..]))
            .collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        rows.chunks(OUTPUT_BATCH_ROWS)
            .map(|chunk| {
                let mut columns: Vec<Vec<CellRef<'_>>> =
                    vec![Vec::with_capacity(chunk.len()); self.written];
                for &(key, bytes) in chunk {
                    let cells = self.kept_cells(key, bytes).take(self.written);
                    for (column, cell) in columns.iter_mut().zip(cells) {
                        column.push(cell);
                    }
                }
                let arrays = columns
                    .iter()
                    .zip(&self.types)
                    .map(|(cells, &data_type)| build_array(data_type, cells))
                    .collect();
                RecordBatch::try_new(self.schema.clone(), arrays)
                    .expect("cells follow the declared schema")
            })
            .collect()
    }
}

/// Whether `row` beats the kept row `stored` on the latest-by columns (those from `written`
/// on), compared column by column; `None` when they tie on all of them.
fn is_later<'a>(
    types: &[DataType],
    written: usize,
    columns: &[ArrayRef],
    row: usize,
    stored: impl Iterator<Item = CellRef<'a>>,
) -> Option<bool> {
    for (index, kept) in stored.enumerate().skip(written) {
        let candidate = cell(&columns[index], types[index], row);
        match candidate.cmp_nulls_lowest(kept) {
            Ordering::Equal => continue,
            ordering => return Some(ordering == Ordering::Greater),
        }
    }
    None
}

/// A shard's lock; a panic elsewhere cannot leave a shard half-updated (updates are single
/// assignments), so a poisoned lock is still usable.
fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether `row` beats `other` of the same batch on the latest-by columns (strictly greater).
fn beats(
    types: &[DataType],
    written: usize,
    columns: &[ArrayRef],
    row: usize,
    other: usize,
) -> bool {
    for index in written..types.len() {
        let (array, data_type) = (&columns[index], types[index]);
        match cell(array, data_type, row).cmp_nulls_lowest(cell(array, data_type, other)) {
            Ordering::Equal => continue,
            ordering => return ordering == Ordering::Greater,
        }
    }
    false
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
    fn folding_candidates_keeps_the_same_rows_as_folding_everything() {
        let spec = users();
        let batches = [
            batch(
                &spec,
                &[
                    ("b", "old", 1, Some("e1")),
                    ("a", "first", 5, Some("e1")),
                    ("b", "tie-first", 3, Some("e1")),
                    ("b", "tie-second", 3, Some("e1")),
                ],
            ),
            batch(
                &spec,
                &[
                    ("a", "null-id", 5, None),
                    ("a", "greater-id", 5, Some("e2")),
                    ("c", "only", 0, None),
                    ("a", "same", 5, Some("e2")),
                    ("b", "late-tie", 3, Some("e1")),
                ],
            ),
        ];
        let everything = EntityReducer::for_dataset(&spec).unwrap();
        let candidates = EntityReducer::for_dataset(&spec).unwrap();
        for (i, b) in batches.iter().enumerate() {
            everything.add(b, i as u64);
            let cut = candidates.candidates(b);
            assert!(cut.num_rows() < b.num_rows());
            candidates.add(&cut, i as u64);
        }
        let want = kept(everything);
        assert_eq!(kept(candidates), want);
        assert_eq!(want[1], ("b".into(), "tie-first".into()));
    }

    #[test]
    fn events_datasets_have_no_reducer() {
        let mut spec = users();
        spec.reduction = Reduction::Events;
        assert!(EntityReducer::for_dataset(&spec).is_none());
    }
}
