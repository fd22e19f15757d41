//! The readiness report (SPEC §5): would AWS Personalize accept and train on these datasets?
//! Computed from column roles and the manifest's recommender requirements, never from
//! column names, so it works for any domain plugin.

mod aggregates;
mod charts;
pub mod html;
mod id_counts;
mod id_runs;
mod interactions;
pub mod limits;
mod verdicts;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::manifest::{ColumnRole, DataType, DatasetKind, Manifest};
pub use aggregates::{Aggregates, CategoryStat, InteractionCounts};
use id_counts::IdCounts;
use interactions::InteractionStats;
pub use interactions::{DayCount, ItemPopularity, UserBucket};
pub use limits::{
    Check, ImportFit, MAX_CATEGORICAL_CHARS, MAX_EVENT_TYPES, MAX_ID_CHARS, MIN_INTERACTIONS,
    MIN_USERS_WITH_TWO, RECOMMENDED_INTERACTIONS, RECOMMENDED_USERS,
};

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
    /// Every UTC day from the first to the last interaction.
    pub per_day: Vec<DayCount>,
    /// Users by their number of interactions.
    pub interactions_per_user: Vec<UserBucket>,
    pub users_with_1_interaction: u64,
    pub item_popularity: ItemPopularity,
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
    /// Every import rule checked, passed or not.
    pub checks: Vec<Check>,
    /// Which import modes each dataset's CSV fits.
    pub import_fit: Vec<ImportFit>,
    /// Data-quality observations that do not stop an import.
    pub warnings: Vec<String>,
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

/// Distinct categories of one categorical column (values split on `|`), kept up to a cap.
#[derive(Default)]
struct Categories {
    seen: HashSet<String>,
    longest: usize,
}

const MAX_CATEGORIES_KEPT: usize = 100_000;

/// Accumulates statistics over the rows written, dataset by dataset.
pub struct ReadinessTracker {
    roles: Vec<Roles>,
    rows: Vec<u64>,
    /// Index of the (first) interactions dataset.
    interactions_index: Option<usize>,
    interactions: InteractionStats,
    /// Import-limit problems: description -> rows affected.
    violations: BTreeMap<String, u64>,
    /// Per dataset, per categorical column.
    categories: Vec<Vec<Categories>>,
    import_fit: Vec<ImportFit>,
}

fn text_column(batch: &RecordBatch, index: usize) -> Option<&arrow_array::StringArray> {
    batch.column(index).as_string_opt::<i32>()
}

fn roles_of(dataset: &crate::manifest::DatasetSpec) -> Roles {
    let mut roles = Roles::default();
    for (i, c) in dataset.columns.iter().enumerate() {
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
}

/// Reading back the interactions' user and item counts written to disk failed.
#[derive(Debug, thiserror::Error)]
#[error("readiness: reading back the user and item counts spilled to disk: {0}")]
pub struct CountsError(#[from] std::io::Error);

impl ReadinessTracker {
    /// Holds about `bytes` of the interactions' user and item counts in memory (half each),
    /// more in sorted runs under `dir`: the counts stay exact at any number of ids.
    pub fn bounded(mut self, bytes: usize, dir: &Path) -> Self {
        self.interactions.users = IdCounts::bounded(bytes / 2, dir);
        self.interactions.items = IdCounts::bounded(bytes / 2, dir);
        self
    }

    pub fn new(manifest: &Manifest) -> Self {
        let roles: Vec<Roles> = manifest.datasets.iter().map(roles_of).collect();
        Self {
            categories: (roles.iter())
                .map(|r| {
                    r.categorical
                        .iter()
                        .map(|_| Categories::default())
                        .collect()
                })
                .collect(),
            roles,
            rows: vec![0; manifest.datasets.len()],
            interactions_index: manifest
                .datasets
                .iter()
                .position(|d| d.kind == DatasetKind::Interactions),
            interactions: InteractionStats::default(),
            violations: BTreeMap::new(),
            import_fit: Vec::new(),
        }
    }

    fn violation(&mut self, what: String, rows: usize) {
        if rows > 0 {
            *self.violations.entry(what).or_default() += rows as u64;
        }
    }

    /// Observes rows written to dataset `index` (its written columns).
    pub fn observe(&mut self, index: usize, batch: &RecordBatch) {
        self.rows[index] += batch.num_rows() as u64;
        let roles = &self.roles[index];
        let (user, item) = (roles.user, roles.item);
        for (role, column) in [("USER_ID", user), ("ITEM_ID", item)] {
            let Some(values) = column.and_then(|c| text_column(batch, c)) else {
                continue;
            };
            let long = (values.iter().flatten())
                .filter(|v| limits::too_long(v, MAX_ID_CHARS))
                .count();
            self.violation(
                format!("{role} longer than {MAX_ID_CHARS} characters"),
                long,
            );
            // One scan of the bytes; rows are counted only when a quote is there at all.
            if values.value_data().contains(&b'"') {
                let quoted = values.iter().flatten().filter(|v| v.contains('"')).count();
                self.violation(format!("{role} containing a `\"`"), quoted);
            }
        }
        self.observe_categories(index, batch);
        if Some(index) == self.interactions_index {
            let roles = &self.roles[index];
            let column = |c: Option<usize>| c.and_then(|c| text_column(batch, c));
            self.interactions.observe(
                batch.num_rows(),
                column(roles.user),
                column(roles.item),
                column(roles.event_type),
                roles.event_time.map(|(c, t)| (batch.column(c), t)),
            );
        }
    }

    fn observe_categories(&mut self, index: usize, batch: &RecordBatch) {
        let columns = self.roles[index].categorical.clone();
        for (slot, (column, name)) in columns.iter().enumerate() {
            let values = text_column(batch, *column).expect("categorical columns are utf8");
            let long = (values.iter().flatten())
                .filter(|v| limits::too_long(v, MAX_CATEGORICAL_CHARS))
                .count();
            self.violation(
                format!("{name} value longer than {MAX_CATEGORICAL_CHARS} characters"),
                long,
            );
            let categories = &mut self.categories[index][slot];
            for value in values.iter().flatten() {
                categories.longest = categories.longest.max(value.chars().count());
                for category in value.split('|') {
                    if categories.seen.len() < MAX_CATEGORIES_KEPT
                        && !categories.seen.contains(category)
                    {
                        categories.seen.insert(category.to_string());
                    }
                }
            }
        }
    }

    /// Records the size of dataset `index`'s CSV once written: total bytes, parts, largest part.
    pub fn record_csv(&mut self, fit: ImportFit) {
        self.import_fit.push(fit);
    }

    /// How many of `ids` occur as users / items in the interactions (for comparing with a
    /// previous run).
    pub fn users_present(&self, ids: &HashSet<String>) -> Result<u64, CountsError> {
        Ok(self
            .interactions
            .users
            .count_present(ids.iter().map(String::as_str))?)
    }

    pub fn items_present(&self, ids: &HashSet<String>) -> Result<u64, CountsError> {
        Ok(self
            .interactions
            .items
            .count_present(ids.iter().map(String::as_str))?)
    }

    /// The report over everything observed.
    pub fn report(
        self,
        manifest: &Manifest,
        dropped_rows: BTreeMap<String, u64>,
    ) -> Result<ReadinessReport, CountsError> {
        let interactions = (self.interactions_index)
            .map(|i| self.summary(&manifest.datasets[i].name))
            .transpose()?;
        let categories = (self.categories.iter())
            .map(|columns| {
                (columns.iter())
                    .map(|c| CategoryStat {
                        distinct: c.seen.len() as u64,
                        longest: c.longest,
                    })
                    .collect()
            })
            .collect();
        let aggregates = Aggregates {
            rows: self.rows,
            interactions,
            violations: self.violations,
            categories,
            import_fit: self.import_fit,
        };
        Ok(aggregates.report(manifest, dropped_rows))
    }

    fn summary(&self, dataset: &str) -> Result<InteractionSummary, CountsError> {
        let stats = &self.interactions;
        let (users, items) = (stats.users.histogram()?, stats.items.histogram()?);
        let interactions_per_user = interactions::user_buckets(&users);
        Ok(InteractionSummary {
            dataset: dataset.to_string(),
            interactions: stats.count,
            distinct_users: interactions::ids_with_at_least(&users, 1),
            users_with_at_least_2_interactions: interactions::ids_with_at_least(&users, 2),
            distinct_items: interactions::ids_with_at_least(&items, 1),
            per_event_type: stats.per_event_type(),
            min_timestamp: stats.min_time,
            max_timestamp: stats.max_time,
            per_day: stats.per_day(),
            users_with_1_interaction: interactions_per_user[0].users,
            interactions_per_user,
            item_popularity: interactions::item_popularity(&items),
        })
    }
}
