//! A hash map from byte keys to byte values, every entry stored back to back in one buffer.
//!
//! Entity reduction keeps one row per distinct user or item: millions of small entries looked
//! up in random order. Boxing each key and value cost two cache misses per lookup on top of the
//! table's, and dominated large runs; here a lookup touches the table and one place in the
//! buffer, and an entry costs its bytes plus 20.

use hashbrown::HashTable;

/// Entry layout at its offset: key length, value room, value length (each u32), the key, then
/// the value in `room` bytes.
const HEADER: usize = 12;

pub struct ByteMap {
    /// Offsets of the entries in `bytes`.
    table: HashTable<usize>,
    bytes: Vec<u8>,
    hasher: ahash::RandomState,
    /// Bytes of entries left behind when their value outgrew its room.
    abandoned: usize,
}

/// Where an entry is, from [`ByteMap::find`]; valid until the map is next changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef(usize);

fn read_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize
}

fn length(len: usize) -> [u8; 4] {
    u32::try_from(len)
        .expect("keys and values are under 4 GiB")
        .to_le_bytes()
}

fn key_at(bytes: &[u8], offset: usize) -> &[u8] {
    let start = offset + HEADER;
    &bytes[start..start + read_u32(bytes, offset)]
}

fn entry_size(bytes: &[u8], offset: usize) -> usize {
    HEADER + read_u32(bytes, offset) + read_u32(bytes, offset + 4)
}

impl ByteMap {
    /// Callers hash keys with `hasher` themselves (`hasher.hash_one(key)`), so shards that
    /// share one hasher hash a key once, before picking a shard.
    pub fn with_hasher(hasher: ahash::RandomState) -> Self {
        Self {
            table: HashTable::new(),
            bytes: Vec::new(),
            hasher,
            abandoned: 0,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// `hash` is `key` hashed with the map's hasher.
    pub fn find(&self, hash: u64, key: &[u8]) -> Option<EntryRef> {
        let bytes = &self.bytes;
        self.table
            .find(hash, |&offset| key_at(bytes, offset) == key)
            .map(|&offset| EntryRef(offset))
    }

    pub fn value(&self, entry: EntryRef) -> &[u8] {
        let offset = entry.0;
        let start = offset + HEADER + read_u32(&self.bytes, offset);
        &self.bytes[start..start + read_u32(&self.bytes, offset + 8)]
    }

    /// Adds an entry for a key that is not in the map.
    pub fn insert(&mut self, hash: u64, key: &[u8], value: &[u8]) {
        let offset = self.append(key, value);
        let (bytes, hasher) = (&self.bytes, &self.hasher);
        self.table
            .insert_unique(hash, offset, |&o| hasher.hash_one(key_at(bytes, o)));
    }

    /// Replaces an entry's value: in place when it fits, else the entry moves to the end.
    /// `hash` is the entry's key hash.
    pub fn set_value(&mut self, hash: u64, entry: EntryRef, value: &[u8]) {
        let offset = entry.0;
        let key_len = read_u32(&self.bytes, offset);
        if value.len() <= read_u32(&self.bytes, offset + 4) {
            self.bytes[offset + 8..offset + 12].copy_from_slice(&length(value.len()));
            let start = offset + HEADER + key_len;
            self.bytes[start..start + value.len()].copy_from_slice(value);
            return;
        }
        self.abandoned += entry_size(&self.bytes, offset);
        let moved = self.bytes.len();
        self.bytes.extend_from_within(offset..offset + 4);
        self.bytes.extend_from_slice(&length(value.len()));
        self.bytes.extend_from_slice(&length(value.len()));
        self.bytes
            .extend_from_within(offset + HEADER..offset + HEADER + key_len);
        self.bytes.extend_from_slice(value);
        *self
            .table
            .find_mut(hash, |&o| o == offset)
            .expect("the entry is in the table") = moved;
        if self.abandoned > self.bytes.len() / 2 {
            self.compact();
        }
    }

    /// Every entry, in no particular order.
    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.entries().map(|e| (self.key(e), self.value(e)))
    }

    /// Where every entry is, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = EntryRef> + '_ {
        self.table.iter().map(|&offset| EntryRef(offset))
    }

    pub fn key(&self, entry: EntryRef) -> &[u8] {
        key_at(&self.bytes, entry.0)
    }

    /// Bytes held: the entries (abandoned ones included) and the table's slots.
    pub fn memory(&self) -> usize {
        self.bytes.len() + self.table.capacity() * (size_of::<usize>() + 1)
    }

    /// Forgets every entry; keeps the allocations, which will fill up again.
    pub fn clear(&mut self) {
        self.table.clear();
        self.bytes.clear();
        self.abandoned = 0;
    }

    fn append(&mut self, key: &[u8], value: &[u8]) -> usize {
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(&length(key.len()));
        self.bytes.extend_from_slice(&length(value.len()));
        self.bytes.extend_from_slice(&length(value.len()));
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(value);
        offset
    }

    /// Copies the live entries into a fresh buffer: values that keep growing cannot make the
    /// buffer more than twice its live size.
    fn compact(&mut self) {
        let live = self.bytes.len() - self.abandoned;
        let mut compacted = Vec::with_capacity(live);
        for offset in self.table.iter_mut() {
            let size = entry_size(&self.bytes, *offset);
            let moved = compacted.len();
            compacted.extend_from_slice(&self.bytes[*offset..*offset + size]);
            *offset = moved;
        }
        self.bytes = compacted;
        self.abandoned = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn set(map: &mut ByteMap, key: &[u8], value: &[u8]) {
        let hash = map.hasher.hash_one(key);
        match map.find(hash, key) {
            Some(entry) => map.set_value(hash, entry, value),
            None => map.insert(hash, key, value),
        }
    }

    fn get<'a>(map: &'a ByteMap, key: &[u8]) -> Option<&'a [u8]> {
        map.find(map.hasher.hash_one(key), key)
            .map(|e| map.value(e))
    }

    /// One step of a random session: set a key (from a small set, so keys are revisited)
    /// to a value of varying length (some fit in place, some move), or look one up.
    #[derive(Debug, Clone)]
    enum Op {
        Set(u16, Vec<u8>),
        Get(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..600u16, prop::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(k, v)| Op::Set(k, v)),
            1 => (0..700u16).prop_map(Op::Get),
        ]
    }

    fn key(k: u16) -> Vec<u8> {
        // Key 0 is the empty key; lengths vary so entries differ in size.
        if k == 0 {
            Vec::new()
        } else {
            format!("k{k}").repeat(usize::from(k % 5) + 1).into_bytes()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Random sessions agree with a `HashMap` through growth, in-place updates, moves and
        /// compaction.
        #[test]
        fn agrees_with_a_hash_map(ops in prop::collection::vec(op(), 1..4000)) {
            let mut map = ByteMap::with_hasher(ahash::RandomState::new());
            let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            for op in ops {
                match op {
                    Op::Set(k, value) => {
                        set(&mut map, &key(k), &value);
                        model.insert(key(k), value);
                    }
                    Op::Get(k) => {
                        prop_assert_eq!(get(&map, &key(k)), model.get(&key(k)).map(Vec::as_slice));
                    }
                }
                prop_assert!(map.abandoned <= map.bytes.len() / 2);
            }
            prop_assert_eq!(map.len(), model.len());
            let mut seen: Vec<(Vec<u8>, Vec<u8>)> =
                map.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
            seen.sort();
            let mut want: Vec<_> = model.into_iter().collect();
            want.sort();
            prop_assert_eq!(seen, want);
        }
    }

    #[test]
    fn values_change_in_place_and_empty_keys_work() {
        let mut map = ByteMap::with_hasher(ahash::RandomState::new());
        set(&mut map, b"", b"\x01\x00");
        let size = map.bytes.len();
        set(&mut map, b"", b"\x09");
        assert_eq!(map.bytes.len(), size, "a shorter value is written in place");
        assert_eq!(get(&map, b""), Some(&b"\x09"[..]));
        assert_eq!(get(&map, b"missing"), None);
        assert!(!map.is_empty());
    }
}
