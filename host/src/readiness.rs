//! The readiness report (SPEC §5): would AWS Personalize accept and train on these datasets?
//! Computed from column roles and the manifest's recommender requirements, never from
//! column names, so it works for any domain plugin.

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use hashbrown::HashTable;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::manifest::{ColumnRole, DataType, DatasetKind, Manifest};

/// Personalize's hard minimum to train: interactions, and users with at least 2 of them.
pub const MIN_INTERACTIONS: u64 = 1000;
pub const MIN_USERS_WITH_TWO: u64 = 25;
/// Personalize's recommendation for good results.
pub const RECOMMENDED_INTERACTIONS: u64 = 50_000;
pub const RECOMMENDED_USERS: u64 = 1000;
/// Import limits: longer ids, longer categorical values or more event types fail an import.
pub const MAX_ID_CHARS: usize = 256;
pub const MAX_CATEGORICAL_CHARS: usize = 1000;
pub const MAX_EVENT_TYPES: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub met: bool,
    pub requirement: String,
    /// What is missing, in words (empty when met).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecommenderVerdict {
    pub name: String,
    pub met: bool,
    pub requirement: String,
    pub have: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InteractionSummary {
    pub dataset: String,
    pub interactions: u64,
    pub distinct_users: u64,
    pub users_with_at_least_2_interactions: u64,
    pub distinct_items: u64,
    pub per_event_type: BTreeMap<String, u64>,
    /// Epoch seconds.
    pub min_timestamp: Option<i64>,
    pub max_timestamp: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetCount {
    pub name: String,
    pub kind: DatasetKind,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadinessReport {
    pub domain: String,
    pub datasets: Vec<DatasetCount>,
    pub interactions: Option<InteractionSummary>,
    pub dropped_rows: BTreeMap<String, u64>,
    /// Personalize refuses to train below this.
    pub minimum: Verdict,
    pub recommended: Verdict,
    pub recommenders: Vec<RecommenderVerdict>,
    /// Problems that make a Personalize import fail outright.
    pub import_limits: Verdict,
    /// Whether Personalize would import and train: minimum and import limits met.
    pub ready: bool,
}

struct InteractionStats {
    count: u64,
    per_user: IdCounts,
    items: IdCounts,
    per_event_type: BTreeMap<String, u64>,
    min_time: Option<i64>,
    max_time: Option<i64>,
}

/// Distinct ids, and whether each occurred more than once. Ids are known by a 126-bit
/// fingerprint (two independent keyed hashes) with a 2-bit saturating count, 16 bytes per id
/// in the table itself: keeping the ids cost a second cache miss per row and as much time as
/// entity reduction. Two of a billion distinct ids share a fingerprint with probability below
/// 10^-19, so the counts are exact in practice; nothing is written from them.
struct IdCounts {
    /// `[first hash, second hash with the count in its low 2 bits]`.
    table: HashTable<[u64; 2]>,
    hashers: [ahash::RandomState; 2],
}

const COUNT_BITS: u64 = 0b11;

impl IdCounts {
    fn new() -> Self {
        Self {
            table: HashTable::new(),
            hashers: [ahash::RandomState::new(), ahash::RandomState::new()],
        }
    }

    fn add(&mut self, id: &str) {
        let [first, second] = &self.hashers;
        let hash = first.hash_one(id);
        let rest = second.hash_one(id) & !COUNT_BITS;
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

    fn distinct(&self) -> u64 {
        self.table.len() as u64
    }

    /// Ids seen at least `occurrences` (1 to 3) times.
    fn at_least(&self, occurrences: u64) -> u64 {
        debug_assert!((1..=COUNT_BITS).contains(&occurrences));
        (self.table.iter())
            .filter(|[_, counted]| counted & COUNT_BITS >= occurrences)
            .count() as u64
    }
}

/// Role-bearing column positions of one dataset.
#[derive(Default)]
struct Roles {
    user: Option<usize>,
    item: Option<usize>,
    event_type: Option<usize>,
    event_time: Option<(usize, DataType)>,
    categorical: Vec<(usize, String)>,
}

/// Accumulates statistics over the rows written, dataset by dataset.
pub struct ReadinessTracker {
    roles: Vec<Roles>,
    rows: Vec<u64>,
    /// Index of the (first) interactions dataset.
    interactions_index: Option<usize>,
    interactions: InteractionStats,
    /// Import-limit problems: description -> rows affected.
    violations: BTreeMap<String, u64>,
}

/// More than `max` characters; counted only when the bytes could be (chars <= bytes).
fn too_long(value: &str, max: usize) -> bool {
    value.len() > max && value.chars().count() > max
}

fn text_column(batch: &RecordBatch, index: usize) -> Option<&arrow_array::StringArray> {
    batch.column(index).as_string_opt::<i32>()
}

impl ReadinessTracker {
    pub fn new(manifest: &Manifest) -> Self {
        let roles = manifest
            .datasets
            .iter()
            .map(|d| {
                let mut roles = Roles::default();
                for (i, c) in d.columns.iter().enumerate() {
                    match c.role {
                        Some(ColumnRole::UserId) => roles.user = Some(i),
                        Some(ColumnRole::ItemId) => roles.item = Some(i),
                        Some(ColumnRole::EventType) => roles.event_type = Some(i),
                        Some(ColumnRole::EventTime) => roles.event_time = Some((i, c.data_type)),
                        None => {}
                    }
                    if c.categorical && c.data_type == DataType::Utf8 {
                        roles.categorical.push((i, c.name.clone()));
                    }
                }
                roles
            })
            .collect();
        Self {
            roles,
            rows: vec![0; manifest.datasets.len()],
            interactions_index: manifest
                .datasets
                .iter()
                .position(|d| d.kind == DatasetKind::Interactions),
            interactions: InteractionStats {
                count: 0,
                per_user: IdCounts::new(),
                items: IdCounts::new(),
                per_event_type: BTreeMap::new(),
                min_time: None,
                max_time: None,
            },
            violations: BTreeMap::new(),
        }
    }

    /// Observes rows written to dataset `index` (its written columns).
    pub fn observe(&mut self, index: usize, batch: &RecordBatch) {
        self.rows[index] += batch.num_rows() as u64;
        let roles = &self.roles[index];
        for (role, column) in [("USER_ID", roles.user), ("ITEM_ID", roles.item)] {
            let Some(values) = column.and_then(|c| text_column(batch, c)) else {
                continue;
            };
            let long = values
                .iter()
                .flatten()
                .filter(|v| too_long(v, MAX_ID_CHARS))
                .count();
            if long > 0 {
                *self
                    .violations
                    .entry(format!("{role} longer than {MAX_ID_CHARS} characters"))
                    .or_default() += long as u64;
            }
        }
        for (column, name) in &roles.categorical {
            let values = text_column(batch, *column).expect("categorical columns are utf8");
            let long = values
                .iter()
                .flatten()
                .filter(|v| too_long(v, MAX_CATEGORICAL_CHARS))
                .count();
            if long > 0 {
                *self
                    .violations
                    .entry(format!(
                        "{name} value longer than {MAX_CATEGORICAL_CHARS} characters"
                    ))
                    .or_default() += long as u64;
            }
        }
        if Some(index) == self.interactions_index {
            self.observe_interactions(index, batch);
        }
    }

    fn observe_interactions(&mut self, index: usize, batch: &RecordBatch) {
        let roles = &self.roles[index];
        let stats = &mut self.interactions;
        stats.count += batch.num_rows() as u64;
        if let Some(users) = roles.user.and_then(|c| text_column(batch, c)) {
            for user in users.iter().flatten() {
                stats.per_user.add(user);
            }
        }
        if let Some(items) = roles.item.and_then(|c| text_column(batch, c)) {
            for item in items.iter().flatten() {
                stats.items.add(item);
            }
        }
        if let Some(types) = roles.event_type.and_then(|c| text_column(batch, c)) {
            for event_type in types.iter().flatten() {
                match stats.per_event_type.get_mut(event_type) {
                    Some(n) => *n += 1,
                    None => {
                        stats.per_event_type.insert(event_type.to_string(), 1);
                    }
                }
            }
        }
        if let Some((column, data_type)) = roles.event_time {
            let array = batch.column(column);
            let seconds: Vec<i64> = match data_type {
                DataType::Int64 => array.as_primitive::<Int64Type>().iter().flatten().collect(),
                DataType::Timestamp => array
                    .as_primitive::<TimestampMicrosecondType>()
                    .iter()
                    .flatten()
                    .map(|us| us.div_euclid(1_000_000))
                    .collect(),
                _ => vec![],
            };
            if let (Some(&lo), Some(&hi)) = (seconds.iter().min(), seconds.iter().max()) {
                stats.min_time = Some(stats.min_time.map_or(lo, |m| m.min(lo)));
                stats.max_time = Some(stats.max_time.map_or(hi, |m| m.max(hi)));
            }
        }
    }

    pub fn report(
        self,
        manifest: &Manifest,
        dropped_rows: BTreeMap<String, u64>,
    ) -> ReadinessReport {
        let datasets: Vec<DatasetCount> = manifest
            .datasets
            .iter()
            .zip(&self.rows)
            .map(|(d, &rows)| DatasetCount {
                name: d.name.clone(),
                kind: d.kind,
                rows,
            })
            .collect();
        let has_items = datasets
            .iter()
            .any(|d| d.kind == DatasetKind::Items && d.rows > 0);
        let stats = self.interactions;
        let users_with_two = stats.per_user.at_least(2);
        let distinct_users = stats.per_user.distinct();

        let mut minimum_problems = Vec::new();
        if self.interactions_index.is_none() {
            minimum_problems.push("the plugin produces no interactions dataset".to_string());
        }
        if stats.count < MIN_INTERACTIONS {
            minimum_problems.push(format!(
                "{} interactions, Personalize needs at least {MIN_INTERACTIONS}",
                stats.count
            ));
        }
        if users_with_two < MIN_USERS_WITH_TWO {
            minimum_problems.push(format!(
                "{users_with_two} users with at least 2 interactions, Personalize needs at least {MIN_USERS_WITH_TWO}"
            ));
        }
        let mut recommended_problems = Vec::new();
        if stats.count < RECOMMENDED_INTERACTIONS {
            recommended_problems.push(format!(
                "{} interactions, {RECOMMENDED_INTERACTIONS} recommended",
                stats.count
            ));
        }
        if distinct_users < RECOMMENDED_USERS {
            recommended_problems.push(format!(
                "{distinct_users} users, {RECOMMENDED_USERS} recommended"
            ));
        }

        let recommenders = manifest
            .recommenders
            .iter()
            .map(|r| {
                let have = match &r.event_type {
                    Some(t) => stats.per_event_type.get(t).copied().unwrap_or(0),
                    None => stats.count,
                };
                let of = r
                    .event_type
                    .as_ref()
                    .map_or("interactions".to_string(), |t| {
                        format!("`{t}` interactions")
                    });
                let mut requirement = format!(">= {} {of}", r.min_interactions);
                if r.needs_items {
                    requirement.push_str(" and an Items dataset");
                }
                RecommenderVerdict {
                    name: r.name.clone(),
                    met: have >= r.min_interactions && (!r.needs_items || has_items),
                    requirement,
                    have,
                }
            })
            .collect();

        let mut limit_problems: Vec<String> = self
            .violations
            .iter()
            .map(|(what, rows)| format!("{rows} rows with {what}"))
            .collect();
        if stats.per_event_type.len() > MAX_EVENT_TYPES {
            limit_problems.push(format!(
                "{} event types, Personalize accepts at most {MAX_EVENT_TYPES}",
                stats.per_event_type.len()
            ));
        }

        let minimum = Verdict {
            met: minimum_problems.is_empty(),
            requirement: format!(
                ">= {MIN_INTERACTIONS} interactions and >= {MIN_USERS_WITH_TWO} users with >= 2 interactions"
            ),
            problems: minimum_problems,
        };
        let import_limits = Verdict {
            met: limit_problems.is_empty(),
            requirement: format!(
                "ids <= {MAX_ID_CHARS} characters, categorical values <= {MAX_CATEGORICAL_CHARS} characters, <= {MAX_EVENT_TYPES} event types"
            ),
            problems: limit_problems,
        };
        ReadinessReport {
            domain: manifest.domain.clone(),
            interactions: self.interactions_index.map(|i| InteractionSummary {
                dataset: manifest.datasets[i].name.clone(),
                interactions: stats.count,
                distinct_users,
                users_with_at_least_2_interactions: users_with_two,
                distinct_items: stats.items.distinct(),
                per_event_type: stats.per_event_type.clone(),
                min_timestamp: stats.min_time,
                max_timestamp: stats.max_time,
            }),
            datasets,
            dropped_rows,
            ready: minimum.met && import_limits.met,
            minimum,
            recommended: Verdict {
                met: recommended_problems.is_empty(),
                requirement: format!(
                    ">= {RECOMMENDED_INTERACTIONS} interactions from >= {RECOMMENDED_USERS} users"
                ),
                problems: recommended_problems,
            },
            recommenders,
            import_limits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_counts_count_distinct_ids_and_repeats() {
        let mut counts = IdCounts::new();
        // id i occurs i % 5 times (0 to 4: the count saturates above 3).
        for i in 0..20_000u32 {
            for _ in 0..i % 5 {
                counts.add(&format!("user-{i}"));
            }
        }
        assert_eq!(counts.distinct(), 16_000);
        assert_eq!(counts.at_least(1), 16_000);
        assert_eq!(counts.at_least(2), 12_000);
        assert_eq!(counts.at_least(3), 8_000);
    }
}
