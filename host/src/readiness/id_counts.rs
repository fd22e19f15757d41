//! Distinct ids and how often each occurred, for the users and items of the interactions.
//! Memory holds a bounded number of ids: past it they are written out as a sorted run (see
//! `id_runs`) and merged at the end, so the counts stay exact at any number of ids.

use hashbrown::HashTable;
use std::collections::BTreeMap;
use std::path::Path;

use super::id_runs::{COUNT_BITS, IdRuns, Record, count, fingerprint};

/// Ids are known by a 96-bit fingerprint (two independent keyed hashes, 64 + 32 bits) with a
/// 32-bit count in the low half of the second word: 16 bytes per id in the table itself.
/// Keeping the ids cost a second cache miss per row and as much time as entity reduction.
/// Two of a billion distinct ids share a fingerprint with probability below 10^-11, so the
/// counts are exact in practice; nothing is written from them.
pub struct IdCounts {
    table: HashTable<Record>,
    hashers: [ahash::RandomState; 2],
    /// Ids held in memory before they are written out as a run.
    limit: usize,
    runs: IdRuns,
}

impl Default for IdCounts {
    fn default() -> Self {
        Self::new()
    }
}

impl IdCounts {
    /// Every id in memory.
    pub fn new() -> Self {
        Self {
            table: HashTable::new(),
            hashers: [ahash::RandomState::new(), ahash::RandomState::new()],
            limit: usize::MAX,
            runs: IdRuns::new(&std::env::temp_dir()),
        }
    }

    /// About `bytes` of ids in memory at most; more go to sorted runs under `dir`.
    pub fn bounded(bytes: usize, dir: &Path) -> Self {
        Self {
            // A slot is 16 bytes and a control byte, and the table doubles as it grows:
            // 40 bytes per id keeps the table within `bytes`.
            limit: (bytes / 40).max(1024),
            runs: IdRuns::new(dir),
            ..Self::new()
        }
    }

    #[cfg(test)]
    fn with_limit(limit: usize, dir: &Path) -> Self {
        Self {
            limit,
            ..Self::bounded(0, dir)
        }
    }

    fn fingerprint(&self, id: &str) -> (u64, u64) {
        let [first, second] = &self.hashers;
        (first.hash_one(id), second.hash_one(id) & !COUNT_BITS)
    }

    pub fn add(&mut self, id: &str) {
        let (hash, rest) = self.fingerprint(id);
        let entry = self.table.entry(
            hash,
            |&[seen, seen_rest]| seen == hash && seen_rest & !COUNT_BITS == rest,
            |&[seen, _]| seen,
        );
        let [_, counted] = entry.or_insert([hash, rest]).into_mut();
        if *counted & COUNT_BITS < COUNT_BITS {
            *counted += 1;
        }
        if self.table.len() >= self.limit {
            self.spill();
        }
    }

    /// Writes the ids in memory out as a sorted run and forgets them (the table keeps its
    /// slots, to fill again).
    fn spill(&mut self) {
        let mut records: Vec<Record> = self.table.drain().collect();
        records.sort_unstable_by_key(fingerprint);
        if self.runs.write(&records).is_err() {
            // Readiness never fails a run: without room on disk the ids stay in memory.
            self.limit = usize::MAX;
            for record in records {
                self.table.insert_unique(record[0], record, |r| r[0]);
            }
        }
    }

    /// How many of `ids` were added at least once: a lookup in memory each, then one pass
    /// over the runs for the rest, however many ids are asked for.
    pub fn count_present<'a>(&self, ids: impl Iterator<Item = &'a str>) -> std::io::Result<u64> {
        let (mut present, mut elsewhere) = (0, Vec::new());
        for id in ids {
            let (hash, rest) = self.fingerprint(id);
            let in_memory = self.table.find(hash, |&[seen, seen_rest]| {
                seen == hash && seen_rest & !COUNT_BITS == rest
            });
            match in_memory {
                Some(_) => present += 1,
                None => elsewhere.push((hash, rest)),
            }
        }
        if elsewhere.is_empty() || self.runs.is_empty() {
            return Ok(present);
        }
        elsewhere.sort_unstable();
        Ok(present + self.runs.count_present(&elsewhere)?)
    }

    /// Occurrences -> how many ids occurred that often.
    pub fn histogram(&self) -> std::io::Result<BTreeMap<u64, u64>> {
        let mut histogram = BTreeMap::new();
        let mut total = |n: u64| *histogram.entry(n).or_default() += 1;
        if self.runs.is_empty() {
            self.table.iter().for_each(|record| total(count(record)));
        } else {
            let mut memory: Vec<Record> = self.table.iter().copied().collect();
            memory.sort_unstable_by_key(fingerprint);
            self.runs.totals(&memory, total)?;
        }
        Ok(histogram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_counts_count_distinct_ids_and_occurrences() {
        let mut counts = IdCounts::new();
        // id i occurs i % 5 times (0 to 4).
        for i in 0..20_000u32 {
            for _ in 0..i % 5 {
                counts.add(&format!("user-{i}"));
            }
        }
        let expected = BTreeMap::from([(1, 4_000), (2, 4_000), (3, 4_000), (4, 4_000)]);
        assert_eq!(counts.histogram().unwrap(), expected);
        let asked = ["user-1", "user-5", "user-6", "nobody"]; // user-5 occurs 0 times
        assert_eq!(counts.count_present(asked.into_iter()).unwrap(), 2);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(40))]

        /// Spilled counts equal in-memory ones, through several runs and (with 40+ runs)
        /// compactions; membership is answered from the runs too; the runs go with the counts.
        #[test]
        fn spilled_counts_equal_in_memory_counts(
            ids in proptest::collection::vec(0..300u16, 0..3000),
            limit in 1..40usize,
            probes in proptest::collection::vec(0..400u16, 10),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let (mut memory, mut spilled) = (IdCounts::new(), IdCounts::with_limit(limit, dir.path()));
            for id in &ids {
                memory.add(&format!("id-{id}"));
                spilled.add(&format!("id-{id}"));
            }
            proptest::prop_assert_eq!(spilled.histogram().unwrap(), memory.histogram().unwrap());
            let asked: Vec<String> = probes.iter().map(|p| format!("id-{p}")).collect();
            let expected = probes.iter().filter(|p| ids.contains(p)).count() as u64;
            let present = spilled.count_present(asked.iter().map(String::as_str)).unwrap();
            proptest::prop_assert_eq!(present, expected);
            drop(spilled);
            proptest::prop_assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }
}
