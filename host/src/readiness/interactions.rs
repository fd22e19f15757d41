//! Statistics of the interactions dataset, gathered on the run's hot path: per user, per
//! item, per event type and per day. Each row costs two hash-table updates (user, item) and a
//! few comparisons; everything else is summarised once at the end.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, StringArray};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fast hashing for the few small maps touched per row.
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

use super::id_counts::IdCounts;
use crate::manifest::DataType;

/// Event types kept apart in the per-day counts; more (an import would fail anyway) are
/// counted together as the last one.
const DAILY_TYPES: usize = 16;
const SECONDS_PER_DAY: i64 = 86_400;

/// Interactions per user, as histogram buckets `[min, max]` (`None`: no upper bound).
const USER_BUCKETS: [(u64, Option<u64>); 8] = [
    (1, Some(1)),
    (2, Some(2)),
    (3, Some(4)),
    (5, Some(9)),
    (10, Some(19)),
    (20, Some(49)),
    (50, Some(99)),
    (100, None),
];

#[derive(Default)]
pub struct InteractionStats {
    pub count: u64,
    pub users: IdCounts,
    pub items: IdCounts,
    /// Event types in order of first appearance, and their counts.
    types: Vec<String>,
    type_counts: Vec<u64>,
    type_index: HashMap<String, usize>,
    /// Day number (days since the epoch) -> counts per event type index.
    days: HashMap<i64, [u64; DAILY_TYPES]>,
    pub min_time: Option<i64>,
    pub max_time: Option<i64>,
}

/// Interactions of one UTC day, by event type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DayCount {
    pub date: NaiveDate,
    pub per_event_type: BTreeMap<String, u64>,
}

/// Users whose number of interactions lies in `[min, max]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserBucket {
    pub label: String,
    pub min: u64,
    pub max: Option<u64>,
    pub users: u64,
}

/// How concentrated interactions are on few items.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ItemPopularity {
    /// Share (0 to 1) of the interactions that the most popular 1% / 10% of items have.
    pub top_1_percent_share: f64,
    pub top_10_percent_share: f64,
    /// How many items those are (at least one), of `items`.
    pub top_1_percent_items: u64,
    pub top_10_percent_items: u64,
    pub items: u64,
    /// Items with a single interaction (the far end of the long tail).
    pub items_with_1_interaction: u64,
    /// `[share of items, share of their interactions]`, items from most to least popular:
    /// the cumulative popularity curve at up to 101 points.
    pub curve: Vec<[f64; 2]>,
}

impl InteractionStats {
    /// Observes one batch: the columns with each role, when the dataset has them.
    pub fn observe(
        &mut self,
        rows: usize,
        users: Option<&StringArray>,
        items: Option<&StringArray>,
        types: Option<&StringArray>,
        time: Option<(&ArrayRef, DataType)>,
    ) {
        self.count += rows as u64;
        if let Some(users) = users {
            users.iter().flatten().for_each(|u| self.users.add(u));
        }
        if let Some(items) = items {
            items.iter().flatten().for_each(|i| self.items.add(i));
        }
        let type_of_row = types.map(|t| self.type_indexes(t)).unwrap_or_default();
        let Some((column, data_type)) = time else {
            return;
        };
        let seconds: Vec<Option<i64>> = match data_type {
            DataType::Int64 => column.as_primitive::<Int64Type>().iter().collect(),
            DataType::Timestamp => (column.as_primitive::<TimestampMicrosecondType>().iter())
                .map(|us| us.map(|us| us.div_euclid(1_000_000)))
                .collect(),
            _ => return,
        };
        // Rows mostly come in time order: count a run of rows of one day locally.
        let mut run: Option<(i64, [u64; DAILY_TYPES])> = None;
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for (row, second) in seconds.into_iter().enumerate() {
            let Some(second) = second else { continue };
            lo = lo.min(second);
            hi = hi.max(second);
            let day = second.div_euclid(SECONDS_PER_DAY);
            let slot = type_of_row.get(row).copied().unwrap_or(0);
            match &mut run {
                Some((d, counts)) if *d == day => counts[slot] += 1,
                _ => {
                    if let Some((d, counts)) = run.take() {
                        self.add_day(d, &counts);
                    }
                    let mut counts = [0; DAILY_TYPES];
                    counts[slot] = 1;
                    run = Some((day, counts));
                }
            }
        }
        if let Some((d, counts)) = run {
            self.add_day(d, &counts);
        }
        if lo <= hi {
            self.min_time = Some(self.min_time.map_or(lo, |m| m.min(lo)));
            self.max_time = Some(self.max_time.map_or(hi, |m| m.max(hi)));
        }
    }

    fn add_day(&mut self, day: i64, counts: &[u64; DAILY_TYPES]) {
        let total = self.days.entry(day).or_insert([0; DAILY_TYPES]);
        for (sum, n) in total.iter_mut().zip(counts) {
            *sum += n;
        }
    }

    /// Counts each row's event type and returns its slot in the per-day counts.
    fn type_indexes(&mut self, types: &StringArray) -> Vec<usize> {
        let mut slots = Vec::with_capacity(types.len());
        let mut last: Option<(&str, usize)> = None;
        for value in types.iter() {
            let Some(value) = value else {
                slots.push(DAILY_TYPES - 1);
                continue;
            };
            let index = match last {
                Some((seen, index)) if seen == value => index,
                _ => {
                    let index = match self.type_index.get(value) {
                        Some(&index) => index,
                        None => {
                            self.types.push(value.to_string());
                            self.type_counts.push(0);
                            self.type_index
                                .insert(value.to_string(), self.types.len() - 1);
                            self.types.len() - 1
                        }
                    };
                    last = Some((value, index));
                    index
                }
            };
            self.type_counts[index] += 1;
            slots.push(index.min(DAILY_TYPES - 1));
        }
        slots
    }

    pub fn per_event_type(&self) -> BTreeMap<String, u64> {
        self.types
            .iter()
            .cloned()
            .zip(self.type_counts.iter().copied())
            .collect()
    }

    /// Every day from the first to the last one with data (days without any included).
    pub fn per_day(&self) -> Vec<DayCount> {
        let names = slot_names(&self.types);
        let days = (self.days.iter())
            .map(|(&day, counts)| {
                let mut per_type = BTreeMap::new();
                for (slot, &n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                    *per_type.entry(names[slot].clone()).or_default() += n;
                }
                (day, per_type)
            })
            .collect();
        fill_days(&days)
    }
}

/// Ids that occurred at least `occurrences` times, from a histogram occurrences -> ids.
pub fn ids_with_at_least(histogram: &BTreeMap<u64, u64>, occurrences: u64) -> u64 {
    histogram.range(occurrences..).map(|(_, ids)| ids).sum()
}

/// The name each per-day slot is shown under, for event types in slot order (the last slot
/// also holds the types beyond it, and rows without a type).
pub fn slot_names(types: &[String]) -> Vec<String> {
    (0..DAILY_TYPES)
        .map(|slot| match types.get(slot) {
            _ if types.is_empty() => "interactions".to_string(),
            Some(name) if slot < DAILY_TYPES - 1 || types.len() == DAILY_TYPES => name.clone(),
            _ => "other".to_string(),
        })
        .collect()
}

/// The per-day slot of an event type at `index` in slot order (`None`: a row without one).
pub fn slot_of(index: Option<usize>) -> usize {
    index.map_or(DAILY_TYPES - 1, |i| i.min(DAILY_TYPES - 1))
}

/// Every day from the first to the last one of `days` (day number since the epoch -> counts
/// per shown event type), days without interactions included.
pub fn fill_days(days: &BTreeMap<i64, BTreeMap<String, u64>>) -> Vec<DayCount> {
    let (Some(&first), Some(&last)) = (days.keys().next(), days.keys().next_back()) else {
        return Vec::new();
    };
    (first..=last)
        .filter_map(|day| {
            let date = NaiveDate::from_num_days_from_ce_opt(
                i32::try_from(day + 719_163).ok()?, // days from 0001-01-01 to 1970-01-01
            )?;
            Some(DayCount {
                date,
                per_event_type: days.get(&day).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// Users by their number of interactions, from how many users had each number.
pub fn user_buckets(histogram: &BTreeMap<u64, u64>) -> Vec<UserBucket> {
    let mut buckets: Vec<UserBucket> = USER_BUCKETS
        .iter()
        .map(|&(min, max)| UserBucket {
            label: match max {
                Some(max) if max == min => min.to_string(),
                Some(max) => format!("{min}-{max}"),
                None => format!("{min}+"),
            },
            min,
            max,
            users: 0,
        })
        .collect();
    for (&n, &users) in histogram {
        let bucket = USER_BUCKETS
            .iter()
            .rposition(|&(min, _)| n >= min)
            .unwrap_or(0);
        buckets[bucket].users += users;
    }
    buckets
}

/// Item popularity from how many items had each number of interactions.
pub fn item_popularity(histogram: &BTreeMap<u64, u64>) -> ItemPopularity {
    // Runs of equally popular items, most popular first, with the interactions up to each.
    let mut runs = Vec::with_capacity(histogram.len());
    let (mut items, mut total) = (0u64, 0u64);
    for (&n, &count) in histogram.iter().rev().filter(|(_, c)| **c > 0) {
        runs.push((items, total, n));
        items += count;
        total += n * count;
    }
    if items == 0 {
        return ItemPopularity::default();
    }
    // Interactions of the `top` most popular items.
    let top_sum = |top: u64| {
        let at = runs.partition_point(|&(before, _, _)| before < top) - 1;
        let (before, sum, n) = runs[at];
        sum + (top - before) * n
    };
    let items_usize = items as usize;
    // The top `fraction` of items (at least one item).
    let top_of = |fraction: f64| ((items as f64 * fraction).ceil() as u64).clamp(1, items);
    let share_of_top = |fraction: f64| top_sum(top_of(fraction)) as f64 / total as f64;
    let points = items_usize.min(100);
    let curve = std::iter::once([0.0, 0.0])
        .chain((1..=points).map(|p| {
            let top = (p * items_usize).div_ceil(points) as u64;
            [
                top as f64 / items as f64,
                top_sum(top) as f64 / total as f64,
            ]
        }))
        .collect();
    ItemPopularity {
        top_1_percent_share: share_of_top(0.01),
        top_10_percent_share: share_of_top(0.10),
        top_1_percent_items: top_of(0.01),
        top_10_percent_items: top_of(0.10),
        items,
        items_with_1_interaction: histogram.get(&1).copied().unwrap_or(0),
        curve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int64Array;
    use std::sync::Arc;

    #[test]
    fn days_types_users_and_items_are_counted() {
        let mut stats = InteractionStats::default();
        let users = StringArray::from(vec!["a", "a", "b", "c", "c", "c"]);
        let items = StringArray::from(vec!["x", "x", "x", "x", "y", "z"]);
        let types = StringArray::from(vec!["View", "View", "Buy", "View", "View", "Buy"]);
        let day = 19_700 * SECONDS_PER_DAY;
        let time: ArrayRef = Arc::new(Int64Array::from(vec![
            day,
            day + 5,
            day + SECONDS_PER_DAY * 2,
            day,
            day + 1,
            day + 2,
        ]));
        let time = Some((&time, DataType::Int64));
        stats.observe(6, Some(&users), Some(&items), Some(&types), time);
        assert_eq!(stats.per_event_type()["View"], 4);
        let days = stats.per_day();
        assert_eq!(days.len(), 3, "the empty middle day is kept");
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2023, 12, 9).unwrap());
        assert_eq!(
            days[0].per_event_type,
            BTreeMap::from([("View".into(), 4), ("Buy".into(), 1)])
        );
        assert!(days[1].per_event_type.is_empty());
        let buckets = user_buckets(&stats.users.histogram().unwrap());
        assert_eq!(
            (buckets[0].users, buckets[1].users, buckets[2].users),
            (1, 1, 1)
        );
        let popularity = item_popularity(&stats.items.histogram().unwrap());
        assert!((popularity.top_1_percent_share - 4.0 / 6.0).abs() < 1e-9);
        assert_eq!(popularity.items_with_1_interaction, 2);
        assert_eq!(popularity.curve.last(), Some(&[1.0, 1.0]));
    }
}
