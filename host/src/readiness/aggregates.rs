//! The report from statistics, however they were gathered: over the rows a local run writes
//! ([`super::ReadinessTracker`]), or by aggregate SQL inside a warehouse over the datasets it
//! wrote. Every verdict and check is derived here, so both reports follow the same rules.

use std::collections::BTreeMap;

use super::interactions::{self, DayCount};
use super::limits::{self, Check, ImportFit, MAX_CATEGORICAL_CHARS};
use super::{
    DatasetCount, InteractionSummary, MAX_CATEGORIES_KEPT, ReadinessReport, roles_of, verdicts,
};
use crate::manifest::{DatasetKind, Manifest};

/// One categorical column: its distinct categories (values split on `|`) and longest value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryStat {
    /// Distinct categories; [`MAX_CATEGORIES_KEPT`] or more is shown as "more than".
    pub distinct: u64,
    /// Characters of the longest value.
    pub longest: usize,
}

/// Everything the report is computed from, for the datasets of a manifest in its order.
#[derive(Debug, Clone)]
pub struct Aggregates {
    /// Rows written, per dataset.
    pub rows: Vec<u64>,
    /// The statistics of the (first) interactions dataset, when there is one.
    pub interactions: Option<InteractionSummary>,
    /// Import-limit problems: description (e.g. `USER_ID longer than 256 characters`) -> rows.
    pub violations: BTreeMap<String, u64>,
    /// Per dataset, per categorical text column in column order.
    pub categories: Vec<Vec<CategoryStat>>,
    /// Per dataset whose CSV size is known.
    pub import_fit: Vec<ImportFit>,
}

/// Interaction statistics as counted by a warehouse: whole-table counts and small histograms.
#[derive(Debug, Clone, Default)]
pub struct InteractionCounts {
    pub interactions: u64,
    /// Rows per event type (rows without one not counted).
    pub per_event_type: BTreeMap<String, u64>,
    /// Epoch seconds.
    pub min_timestamp: Option<i64>,
    pub max_timestamp: Option<i64>,
    /// Day number since the epoch -> event type (`None`: rows without one) -> rows.
    pub per_day: BTreeMap<i64, BTreeMap<Option<String>, u64>>,
    /// Interactions per user -> users with that many (rows without a user not counted).
    pub user_histogram: BTreeMap<u64, u64>,
    /// Interactions per item -> items with that many.
    pub item_histogram: BTreeMap<u64, u64>,
}

impl InteractionCounts {
    /// The summary the report shows, as a local run computes it from the same rows.
    pub fn summary(&self, dataset: &str) -> InteractionSummary {
        let interactions_per_user = interactions::user_buckets(&self.user_histogram);
        InteractionSummary {
            dataset: dataset.to_string(),
            interactions: self.interactions,
            distinct_users: interactions::ids_with_at_least(&self.user_histogram, 1),
            users_with_at_least_2_interactions: interactions::ids_with_at_least(
                &self.user_histogram,
                2,
            ),
            distinct_items: interactions::ids_with_at_least(&self.item_histogram, 1),
            per_event_type: self.per_event_type.clone(),
            min_timestamp: self.min_timestamp,
            max_timestamp: self.max_timestamp,
            per_day: self.days(),
            users_with_1_interaction: interactions_per_user[0].users,
            interactions_per_user,
            item_popularity: interactions::item_popularity(&self.item_histogram),
        }
    }

    /// Per day and event type, named as a local run names them. A local run keeps event types
    /// in order of first appearance, which a warehouse does not know: here they are in name
    /// order, which differs only beyond 15 event types (where an import fails anyway).
    fn days(&self) -> Vec<DayCount> {
        let types: Vec<String> = self.per_event_type.keys().cloned().collect();
        let names = interactions::slot_names(&types);
        let mut days = BTreeMap::new();
        for (&day, counts) in &self.per_day {
            let per_type: &mut BTreeMap<String, u64> = days.entry(day).or_default();
            for (event_type, &n) in counts.iter().filter(|(_, n)| **n > 0) {
                let index = event_type
                    .as_ref()
                    .and_then(|t| types.iter().position(|known| known == t));
                let slot = interactions::slot_of(index);
                *per_type.entry(names[slot].clone()).or_default() += n;
            }
        }
        interactions::fill_days(&days)
    }
}

impl Aggregates {
    /// The readiness report of `manifest`'s datasets.
    pub fn report(
        self,
        manifest: &Manifest,
        dropped_rows: BTreeMap<String, u64>,
    ) -> ReadinessReport {
        let datasets: Vec<DatasetCount> = (manifest.datasets.iter().zip(&self.rows))
            .map(|(d, &rows)| DatasetCount {
                name: d.name.clone(),
                kind: d.kind,
                rows,
            })
            .collect();
        let has_items = (datasets.iter()).any(|d| d.kind == DatasetKind::Items && d.rows > 0);
        let has_interactions =
            (manifest.datasets.iter()).any(|d| d.kind == DatasetKind::Interactions);
        let empty = verdicts::empty_summary();
        let stats = self.interactions.as_ref().unwrap_or(&empty);
        let minimum = verdicts::minimum(stats, has_interactions);
        let recommended = verdicts::recommended(stats);
        let recommenders = verdicts::recommenders(manifest, stats, has_items);
        let checks = self.checks(manifest, stats);
        let import_limits = verdicts::import_limits(&self.violations, &checks);
        let warnings = verdicts::warnings(stats, &datasets, &self.import_fit);
        ReadinessReport {
            domain: manifest.domain.clone(),
            ready: minimum.met && import_limits.met,
            interactions: self.interactions,
            datasets,
            dropped_rows,
            minimum,
            recommended,
            recommenders,
            import_limits,
            checks,
            import_fit: self.import_fit,
            warnings,
        }
    }

    /// Every import rule, with what was found.
    fn checks(&self, manifest: &Manifest, stats: &InteractionSummary) -> Vec<Check> {
        let mut checks = verdicts::row_checks(&self.violations);
        for dataset in &manifest.datasets {
            let columns: Vec<&str> = dataset.columns.iter().map(|c| c.name.as_str()).collect();
            let event_types = stats.per_event_type.len();
            checks.extend(limits::schema_checks(
                &dataset.name,
                dataset.kind,
                &columns,
                event_types,
            ));
        }
        for (dataset, categories) in manifest.datasets.iter().zip(&self.categories) {
            let roles = roles_of(dataset);
            for ((_, name), seen) in roles.categorical.iter().zip(categories) {
                let distinct = match seen.distinct {
                    n if n >= MAX_CATEGORIES_KEPT as u64 => {
                        format!("more than {MAX_CATEGORIES_KEPT}")
                    }
                    n => n.to_string(),
                };
                checks.push(Check {
                    rule: format!(
                        "{}.{name}: categorical values <= {MAX_CATEGORICAL_CHARS} characters",
                        dataset.name
                    ),
                    passed: seen.longest <= MAX_CATEGORICAL_CHARS,
                    detail: format!(
                        "{distinct} distinct categories, longest value {} characters",
                        seen.longest
                    ),
                });
            }
        }
        checks.push(Check {
            rule: "UTF-8 text, header row equal to the schema's fields".into(),
            passed: true,
            detail: "guaranteed: the host checks every string is UTF-8 and writes the header and schema.avsc from the same columns".into(),
        });
        checks
    }
}
