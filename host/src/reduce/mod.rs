//! Entity reduction: one row per key, the greatest by the manifest's `latest-by` columns
//! (descending, NULL lowest, first seen wins a full tie). Memory holds one row per distinct
//! key and nothing else, up to a budget: past it the kept rows are spilled to disk as sorted
//! runs, merged at the end by the same rule. Output is sorted by key so runs are reproducible.

mod byte_map;
mod cells;
mod output;
mod row;
mod spill;
#[cfg(test)]
mod spill_tests;

use arrow_array::RecordBatch;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::manifest::DatasetSpec;
use byte_map::{ByteMap, EntryRef};
pub use output::ReducedRows;
use row::RowLayout;
use spill::Runs;

#[derive(Debug, thiserror::Error)]
pub enum ReduceError {
    #[error("dataset {dataset}: spilling kept rows to disk ({path}): {message}")]
    Spill {
        dataset: String,
        path: PathBuf,
        message: String,
    },
}

/// How much memory one dataset's kept rows may take before they are spilled to disk.
#[derive(Debug, Clone)]
pub struct SpillSettings {
    /// Bytes of kept rows (entries and table slots) held in memory at most, roughly.
    pub budget: usize,
    /// Where the temporary folder of sorted runs is made.
    pub dir: PathBuf,
}

pub struct EntityReducer {
    layout: RowLayout,
    /// Kept rows, split by key hash so worker threads fold batches at once, each locking
    /// one shard at a time. Every shard hashes with `hasher`, so a key is hashed once.
    shards: Vec<Mutex<ByteMap>>,
    /// Bytes each shard holds, set under its lock; their sum is held to `budget`.
    sizes: Vec<AtomicUsize>,
    hasher: ahash::RandomState,
    budget: usize,
    /// Spilled runs; its lock also makes one worker at a time spill.
    runs: Mutex<Runs>,
}

const SHARDS: usize = 64;

/// A key's shard, from hash bits the shard's own table does not use for its buckets.
fn shard_of(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

impl EntityReducer {
    /// `None` for an events dataset.
    pub fn for_dataset(spec: &DatasetSpec, spill: &SpillSettings) -> Option<Self> {
        let layout = RowLayout::for_dataset(spec)?;
        let hasher = ahash::RandomState::new();
        Some(Self {
            layout,
            shards: (0..SHARDS)
                .map(|_| Mutex::new(ByteMap::with_hasher(hasher.clone())))
                .collect(),
            sizes: (0..SHARDS).map(|_| AtomicUsize::new(0)).collect(),
            hasher,
            budget: spill.budget,
            runs: Mutex::new(Runs::new(&spec.name, &spill.dir)),
        })
    }

    /// Folds a batch of returned rows (written + latest-by columns) into the kept rows,
    /// spilling them to disk when they outgrow the budget. `batch_index` is the batch's place
    /// in the input; safe to call from several threads.
    pub fn add(&self, batch: &RecordBatch, batch_index: u64) -> Result<(), ReduceError> {
        let columns = self.layout.columns(batch);
        let key_column = columns[self.layout.key_index];
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
        for ((shard, size), rows) in self.shards.iter().zip(&self.sizes).zip(by_shard) {
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
                        if self
                            .layout
                            .row_beats(&columns, row, position, kept.value(entry))
                        {
                            self.layout
                                .encode_row(&columns, row, position, &mut encoded);
                            kept.set_value(hash, entry, &encoded);
                        }
                    }
                    None => {
                        self.layout
                            .encode_row(&columns, row, position, &mut encoded);
                        kept.insert(hash, key, &encoded);
                    }
                }
            }
            size.store(kept.memory(), Ordering::Relaxed);
        }
        if self.used() > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn used(&self) -> usize {
        self.sizes.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }

    /// Writes every kept row to a sorted run on disk and forgets them. Workers folding
    /// meanwhile wait for their shard; none holds two shard locks, so taking all is safe.
    fn spill(&self) -> Result<(), ReduceError> {
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        if self.used() <= self.budget {
            return Ok(()); // another worker spilled meanwhile
        }
        let mut shards: Vec<MutexGuard<'_, ByteMap>> = self.shards.iter().map(lock).collect();
        let maps: Vec<&ByteMap> = shards.iter().map(|g| &**g).collect();
        write_run(&mut runs, &maps, &sorted_by_key(&maps))?;
        for (shard, size) in shards.iter_mut().zip(&self.sizes) {
            shard.clear();
            size.store(shard.memory(), Ordering::Relaxed);
        }
        Ok(())
    }

    /// The kept rows, sorted by key, as batches of the written columns: from memory, or
    /// merged from the spilled runs and what memory still holds.
    pub fn finish(self) -> Result<ReducedRows, ReduceError> {
        let shards: Vec<ByteMap> = (self.shards.into_iter())
            .map(|shard| shard.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect();
        let mut runs = self.runs.into_inner().unwrap_or_else(|e| e.into_inner());
        let maps: Vec<&ByteMap> = shards.iter().collect();
        let order = sorted_by_key(&maps);
        if runs.is_empty() {
            return Ok(ReducedRows::from_memory(self.layout, shards, order));
        }
        if !order.is_empty() {
            write_run(&mut runs, &maps, &order)?;
        }
        drop(order);
        drop(maps);
        drop(shards); // the rows are in the runs now
        let spilled = runs.spilled();
        let merge = runs.into_merge(&self.layout)?;
        Ok(ReducedRows::merged(self.layout, merge, spilled))
    }
}

/// Writes the entries of `maps` in `order` (sorted by key) as one more run.
fn write_run(runs: &mut Runs, maps: &[&ByteMap], order: &[SortedEntry]) -> Result<(), ReduceError> {
    runs.write(
        (order.iter()).map(|&(_, map, entry)| (maps[map].key(entry), maps[map].value(entry))),
    )
}

/// Every entry of `maps` as (key prefix, map, entry), sorted by key. The prefix stays in the
/// result: dropping it would need a second vector while this one is alive.
fn sorted_by_key(maps: &[&ByteMap]) -> Vec<SortedEntry> {
    // Comparing the keys' first 8 bytes as a number first keeps most comparisons inside the
    // vector being sorted: long ids (hashes, UUIDs) rarely share 8 leading bytes, so the keys
    // themselves, scattered over the maps, are read only to break ties.
    let mut order: Vec<SortedEntry> = (maps.iter().enumerate())
        .flat_map(|(index, map)| {
            map.entries()
                .map(move |entry| (key_prefix(map.key(entry)), index, entry))
        })
        .collect();
    order.sort_unstable_by(|&(pa, a, ea), &(pb, b, eb)| {
        pa.cmp(&pb)
            .then_with(|| maps[a].key(ea).cmp(maps[b].key(eb)))
    });
    order
}

/// A kept row in key order: its key's [`key_prefix`], its map and where it is in the map.
pub(super) type SortedEntry = (u64, usize, EntryRef);

/// A key's first 8 bytes, big-endian, zero-padded: ordered as the keys are wherever two
/// prefixes differ (a shorter key pads with zeros, and sorts before any longer one it starts).
fn key_prefix(key: &[u8]) -> u64 {
    let mut prefix = [0u8; 8];
    let len = key.len().min(8);
    prefix[..len].copy_from_slice(&key[..len]);
    u64::from_be_bytes(prefix)
}

/// A shard's lock; a panic elsewhere cannot leave a shard half-updated (an entry is replaced
/// by one call), so a poisoned lock is still usable.
fn lock(shard: &Mutex<ByteMap>) -> MutexGuard<'_, ByteMap> {
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{ColumnSpec, DataType, DatasetKind, Reduction};
    use arrow_array::cast::AsArray;
    use arrow_array::{StringArray, TimestampMicrosecondArray};
    use std::sync::Arc;

    pub(super) fn col(name: &str, data_type: DataType, nullable: bool) -> ColumnSpec {
        ColumnSpec {
            name: name.into(),
            data_type,
            nullable,
            categorical: false,
            role: None,
        }
    }

    /// Users keyed by USER_ID, latest by (ts, event_id): shared with the spill tests.
    pub(super) fn users() -> DatasetSpec {
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

    fn in_memory() -> SpillSettings {
        SpillSettings {
            budget: usize::MAX,
            dir: std::env::temp_dir(),
        }
    }

    fn kept(reducer: EntityReducer) -> Vec<(String, String)> {
        let batches: Vec<RecordBatch> = reducer.finish().unwrap().map(Result::unwrap).collect();
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
        let reducer = EntityReducer::for_dataset(&spec, &in_memory()).unwrap();
        // Folded out of order, as worker threads may: input order still breaks full ties.
        reducer
            .add(
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
            )
            .unwrap();
        reducer
            .add(
                &batch(
                    &spec,
                    &[("b", "old", 1, Some("e1")), ("a", "first", 5, Some("e1"))],
                ),
                0,
            )
            .unwrap();
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
        assert!(EntityReducer::for_dataset(&spec, &in_memory()).is_none());
    }
}
