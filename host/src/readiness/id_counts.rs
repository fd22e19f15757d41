//! Distinct ids and how often each occurred, for the users and items of the interactions.

use hashbrown::HashTable;

/// Ids are known by a 96-bit fingerprint (two independent keyed hashes, 64 + 32 bits) with a
/// 32-bit count in the low half of the second word: 16 bytes per id in the table itself.
/// Keeping the ids cost a second cache miss per row and as much time as entity reduction.
/// Two of a billion distinct ids share a fingerprint with probability below 10^-11, so the
/// counts are exact in practice; nothing is written from them.
pub struct IdCounts {
    /// `[first hash, second hash's high 32 bits | count]`.
    table: HashTable<[u64; 2]>,
    hashers: [ahash::RandomState; 2],
}

const COUNT_BITS: u64 = 0xFFFF_FFFF;

impl Default for IdCounts {
    fn default() -> Self {
        Self::new()
    }
}

impl IdCounts {
    pub fn new() -> Self {
        Self {
            table: HashTable::new(),
            hashers: [ahash::RandomState::new(), ahash::RandomState::new()],
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
    }

    /// Whether `id` was added at least once.
    pub fn contains(&self, id: &str) -> bool {
        let (hash, rest) = self.fingerprint(id);
        self.table
            .find(hash, |&[seen, seen_rest]| {
                seen == hash && seen_rest & !COUNT_BITS == rest
            })
            .is_some()
    }

    pub fn distinct(&self) -> u64 {
        self.table.len() as u64
    }

    /// How often each id occurred, in no particular order.
    pub fn counts(&self) -> impl Iterator<Item = u64> + '_ {
        self.table.iter().map(|[_, counted]| counted & COUNT_BITS)
    }

    /// Ids seen at least `occurrences` times.
    pub fn at_least(&self, occurrences: u64) -> u64 {
        self.counts().filter(|&n| n >= occurrences).count() as u64
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
        assert_eq!(counts.distinct(), 16_000);
        assert_eq!(counts.at_least(1), 16_000);
        assert_eq!(counts.at_least(2), 12_000);
        assert_eq!(counts.at_least(4), 4_000);
        assert_eq!(counts.counts().sum::<u64>(), 4_000 * (1 + 2 + 3 + 4));
        assert!(counts.contains("user-1"));
        assert!(!counts.contains("user-5"), "occurs 0 times");
    }
}
