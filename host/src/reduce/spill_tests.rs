//! Spilled reduction equals in-memory reduction (and a plain model of the rule) for random
//! inputs: ties, NULL tie-breakers, batches folded out of order, budgets small enough that
//! every batch spills and the runs are merged in several passes.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::tests::users;
use super::{EntityReducer, SpillSettings, key_prefix};

/// (user, note, ts, event id): few users, times and ids, so ties and NULLs are common.
type Row = (u8, Option<String>, i64, Option<u8>);

fn row() -> impl Strategy<Value = Row> {
    (
        0..40u8,
        prop::option::of("[a-z]{0,12}"),
        0..4i64,
        prop::option::of(0..3u8),
    )
}

fn user(id: u8) -> String {
    // Lengths vary, and one key is a prefix of another, so key order is bytewise.
    format!("user-{id}").repeat(usize::from(id % 3) + 1)
}

fn batch(rows: &[Row]) -> RecordBatch {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| user(r.0)),
        )),
        Arc::new(StringArray::from_iter(rows.iter().map(|r| r.1.clone()))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            rows.iter().map(|r| r.2),
        )),
        Arc::new(StringArray::from_iter(
            rows.iter().map(|r| r.3.map(|e| format!("e{e}"))),
        )),
    ];
    RecordBatch::try_new(users().returned_schema(), columns).unwrap()
}

type Kept = Vec<(String, Option<String>)>;

/// Folds `batches` in `order` (input positions stay their index) with `budget`.
fn reduce(batches: &[Vec<Row>], order: &[usize], budget: usize, dir: &Path) -> (Kept, u64) {
    let spill = SpillSettings {
        budget,
        dir: dir.to_path_buf(),
    };
    let reducer = EntityReducer::for_dataset(&users(), &spill).unwrap();
    for &index in order {
        reducer.add(&batch(&batches[index]), index as u64).unwrap();
    }
    let rows = reducer.finish().unwrap();
    let spilled = rows.spilled_runs();
    let mut kept = Vec::new();
    for batch in rows {
        let batch = batch.unwrap();
        let (keys, notes) = (
            batch.column(0).as_string::<i32>(),
            batch.column(1).as_string::<i32>(),
        );
        for i in 0..batch.num_rows() {
            let note = notes.is_valid(i).then(|| notes.value(i).to_string());
            kept.push((keys.value(i).to_string(), note));
        }
    }
    (kept, spilled)
}

/// A key's best row so far: time, event id, input position (lower wins), note.
type Best = (
    i64,
    Option<u8>,
    std::cmp::Reverse<(usize, usize)>,
    Option<String>,
);

/// The rule stated plainly: greatest (ts, event id with NULL lowest), then first in input.
fn model(batches: &[Vec<Row>]) -> Kept {
    let mut best: BTreeMap<String, Best> = BTreeMap::new();
    for (b, rows) in batches.iter().enumerate() {
        for (r, row) in rows.iter().enumerate() {
            let candidate = (row.2, row.3, std::cmp::Reverse((b, r)), row.1.clone());
            let slot = best.entry(user(row.0)).or_insert_with(|| candidate.clone());
            if (candidate.0, candidate.1, candidate.2) > (slot.0, slot.1, slot.2) {
                *slot = candidate;
            }
        }
    }
    best.into_iter().map(|(k, v)| (k, v.3)).collect()
}

fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn spilled_equals_in_memory(
        batches in prop::collection::vec(prop::collection::vec(row(), 0..30), 1..80),
        budget in prop_oneof![0..64usize, 64..4000usize],
        seed in any::<u64>(),
    ) {
        let mut order: Vec<usize> = (0..batches.len()).collect();
        fastrand::Rng::with_seed(seed).shuffle(&mut order);
        let dir = tempfile::tempdir().unwrap();
        let (in_memory, none) = reduce(&batches, &order, usize::MAX, dir.path());
        prop_assert_eq!(none, 0);
        let (spilled, runs) = reduce(&batches, &order, budget, dir.path());
        let rows: usize = batches.iter().map(Vec::len).sum();
        // One kept row outgrows a budget under 64 bytes: any batch with rows spills.
        prop_assert!(runs > 0 || rows == 0 || budget >= 64, "{rows} rows, no run spilled");
        prop_assert_eq!(&spilled, &in_memory);
        prop_assert_eq!(&in_memory, &model(&batches));
        prop_assert_eq!(entries(dir.path()), 0, "spill folder left behind");
    }

    /// The sort compares 8-byte prefixes first: wherever they differ they must order as the
    /// keys do (few byte values and short keys, so shared prefixes and zero bytes are common).
    #[test]
    fn key_prefixes_order_as_their_keys(
        a in prop::collection::vec(0..3u8, 0..12),
        b in prop::collection::vec(0..3u8, 0..12),
    ) {
        let (pa, pb) = (key_prefix(&a), key_prefix(&b));
        if pa != pb {
            prop_assert_eq!(pa.cmp(&pb), a.cmp(&b));
        }
    }
}

fn spilling_reducer(dir: &Path) -> EntityReducer {
    let spill = SpillSettings {
        budget: 0,
        dir: dir.to_path_buf(),
    };
    let reducer = EntityReducer::for_dataset(&users(), &spill).unwrap();
    for index in 0..3 {
        let rows = vec![(index, Some("x".to_string()), 1, None)];
        reducer.add(&batch(&rows), u64::from(index)).unwrap();
    }
    assert_eq!(
        entries(dir),
        1,
        "the runs' folder exists while the run goes on"
    );
    reducer
}

/// A run that fails drops its reducer, before or while its rows are written: the runs go too.
#[test]
fn runs_are_removed_when_a_run_fails() {
    let dir = tempfile::tempdir().unwrap();
    drop(spilling_reducer(dir.path()));
    assert_eq!(entries(dir.path()), 0, "dropped before finishing");

    let mut rows = spilling_reducer(dir.path()).finish().unwrap();
    assert_eq!(rows.spilled_runs(), 3);
    assert_eq!(rows.next().unwrap().unwrap().num_rows(), 3);
    assert_eq!(
        entries(dir.path()),
        1,
        "the runs are read until the last batch"
    );
    drop(rows);
    assert_eq!(entries(dir.path()), 0, "dropped while writing");
}
