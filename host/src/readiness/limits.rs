//! AWS Personalize's documented import limits and quotas, as data and small checks shared by
//! the run's readiness report and `rechost validate`.

use serde::Serialize;

use crate::manifest::DatasetKind;

/// Personalize's hard minimum to train: interactions, and users with at least 2 of them.
pub const MIN_INTERACTIONS: u64 = 1000;
pub const MIN_USERS_WITH_TWO: u64 = 25;
/// Personalize's recommendation for good results.
pub const RECOMMENDED_INTERACTIONS: u64 = 50_000;
pub const RECOMMENDED_USERS: u64 = 1000;
/// A USER_ID or ITEM_ID longer than this fails the import.
pub const MAX_ID_CHARS: usize = 256;
/// A categorical value longer than this fails the import.
pub const MAX_CATEGORICAL_CHARS: usize = 1000;
/// Distinct event types in an interactions dataset (counted together with its optional
/// metadata columns, see [`MAX_EVENT_TYPES_PLUS_METADATA`]).
pub const MAX_EVENT_TYPES: usize = 10;
/// Distinct event types plus optional metadata columns (EVENT_TYPE, EVENT_VALUE and custom
/// columns count) of an interactions dataset.
pub const MAX_EVENT_TYPES_PLUS_METADATA: usize = 10;
/// Metadata columns of an interactions dataset, reserved fields excluded.
pub const MAX_INTERACTION_METADATA_COLUMNS: usize = 5;
/// Metadata columns of a Users dataset (at least one is required).
pub const MAX_USER_METADATA_COLUMNS: usize = 25;
/// Metadata columns of an Items dataset (at least one is required).
pub const MAX_ITEM_METADATA_COLUMNS: usize = 100;
/// A training filtered to one event type still needs this many interactions.
pub const MIN_INTERACTIONS_AFTER_FILTER: u64 = 1000;
/// Bulk data one dataset import job takes in FULL mode, and in INCREMENTAL mode (bytes; the
/// decimal reading of "GB" is the stricter one).
pub const MAX_FULL_IMPORT_BYTES: u64 = 100_000_000_000;
pub const MAX_INCREMENTAL_IMPORT_BYTES: u64 = 1_000_000_000;
/// Training considers at most this many items (750,000; 5 million for the v2 recipes) and
/// interactions (500 million; 3 billion for the v2 recipes): more are silently left out.
pub const MAX_TRAINING_ITEMS: u64 = 750_000;
pub const MAX_TRAINING_ITEMS_V2: u64 = 5_000_000;
pub const MAX_TRAINING_INTERACTIONS: u64 = 500_000_000;

/// Fields of an interactions dataset that are not metadata.
const INTERACTION_REQUIRED: [&str; 3] = ["USER_ID", "ITEM_ID", "TIMESTAMP"];
/// Reserved fields that do not count against [`MAX_INTERACTION_METADATA_COLUMNS`].
const INTERACTION_RESERVED: [&str; 4] = [
    "EVENT_TYPE",
    "EVENT_VALUE",
    "IMPRESSION",
    "RECOMMENDATION_ID",
];
/// Reserved fields that count neither against the event-type rule.
const INTERACTION_UNCOUNTED: [&str; 2] = ["IMPRESSION", "RECOMMENDATION_ID"];

/// The id column Personalize requires for each kind of dataset.
pub fn id_column(kind: DatasetKind) -> Option<&'static str> {
    match kind {
        DatasetKind::Users => Some("USER_ID"),
        DatasetKind::Items => Some("ITEM_ID"),
        _ => None,
    }
}

/// One rule checked, for the report's checklist.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Check {
    pub rule: String,
    pub passed: bool,
    /// What was found (empty when it passed and there is nothing to add).
    pub detail: String,
}

impl Check {
    pub fn new(rule: impl Into<String>, problem: Option<String>) -> Self {
        Self {
            rule: rule.into(),
            passed: problem.is_none(),
            detail: problem.unwrap_or_default(),
        }
    }
}

/// Column-count rules of a dataset's schema: metadata columns, and for interactions the event
/// types counted with them. `event_types` is the number of distinct event types seen.
pub fn schema_checks(
    dataset: &str,
    kind: DatasetKind,
    columns: &[&str],
    event_types: usize,
) -> Vec<Check> {
    let upper: Vec<String> = columns.iter().map(|c| c.to_ascii_uppercase()).collect();
    let has = |name: &str| upper.iter().any(|c| c == name);
    let mut checks = Vec::new();
    match kind {
        DatasetKind::Interactions => {
            let missing: Vec<&str> = INTERACTION_REQUIRED
                .into_iter()
                .filter(|c| !has(c))
                .collect();
            checks.push(Check::new(
                format!("{dataset}: has USER_ID, ITEM_ID and TIMESTAMP"),
                (!missing.is_empty()).then(|| format!("missing {}", missing.join(", "))),
            ));
            let metadata = (upper.iter())
                .filter(|c| !INTERACTION_REQUIRED.contains(&c.as_str()))
                .filter(|c| !INTERACTION_RESERVED.contains(&c.as_str()))
                .count();
            checks.push(Check::new(
                format!("{dataset}: <= {MAX_INTERACTION_METADATA_COLUMNS} metadata columns besides reserved ones"),
                (metadata > MAX_INTERACTION_METADATA_COLUMNS).then(|| format!("{metadata} metadata columns")),
            ));
            let counted = (upper.iter())
                .filter(|c| !INTERACTION_REQUIRED.contains(&c.as_str()))
                .filter(|c| !INTERACTION_UNCOUNTED.contains(&c.as_str()))
                .count();
            let total = counted + event_types;
            checks.push(Check::new(
                format!("{dataset}: distinct event types + optional metadata columns <= {MAX_EVENT_TYPES_PLUS_METADATA}"),
                (total > MAX_EVENT_TYPES_PLUS_METADATA).then(|| {
                    format!("{event_types} event types + {counted} optional metadata columns = {total}")
                }),
            ));
        }
        DatasetKind::Users | DatasetKind::Items => {
            let (id, max) = match kind {
                DatasetKind::Users => ("USER_ID", MAX_USER_METADATA_COLUMNS),
                _ => ("ITEM_ID", MAX_ITEM_METADATA_COLUMNS),
            };
            let metadata = upper.iter().filter(|c| c.as_str() != id).count();
            checks.push(Check::new(
                format!("{dataset}: has {id} and 1 to {max} metadata columns"),
                if !has(id) {
                    Some(format!("no {id} column"))
                } else if metadata == 0 || metadata > max {
                    Some(format!("{metadata} metadata columns"))
                } else {
                    None
                },
            ));
        }
        DatasetKind::Other => {}
    }
    checks
}

/// Which import modes a dataset of `bytes` fits in one job, and whether each part fits an
/// INCREMENTAL job on its own.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ImportFit {
    pub dataset: String,
    pub csv_bytes: u64,
    pub parts: u64,
    pub largest_part_bytes: u64,
    /// One FULL job (file or folder import) takes the whole dataset.
    pub full: bool,
    /// One INCREMENTAL job takes the whole dataset.
    pub incremental: bool,
    /// Every part fits an INCREMENTAL job of its own.
    pub parts_incremental: bool,
    /// What to point the import job at: a file, or a folder (ending in `/`: the slash is
    /// needed); relative to the output root in a run's report.
    pub import_from: String,
}

impl ImportFit {
    pub fn new(
        dataset: &str,
        csv_bytes: u64,
        parts: u64,
        largest: u64,
        import_from: String,
    ) -> Self {
        Self {
            dataset: dataset.to_string(),
            csv_bytes,
            parts,
            largest_part_bytes: largest,
            full: csv_bytes <= MAX_FULL_IMPORT_BYTES,
            incremental: csv_bytes <= MAX_INCREMENTAL_IMPORT_BYTES,
            parts_incremental: largest <= MAX_INCREMENTAL_IMPORT_BYTES,
            import_from,
        }
    }

    /// In words, e.g. "FULL or INCREMENTAL".
    pub fn modes(&self) -> String {
        match (self.full, self.incremental, self.parts_incremental) {
            (_, true, _) => "FULL or INCREMENTAL".into(),
            (true, false, true) => "FULL (or INCREMENTAL, one job per part)".into(),
            (true, false, false) => "FULL".into(),
            (false, _, true) => {
                "INCREMENTAL only, one job per part (too large for one FULL job)".into()
            }
            (false, _, false) => "none: split it smaller (--max-file-size)".into(),
        }
    }
}

/// More than `max` characters; counted only when the bytes could be (chars <= bytes).
pub fn too_long(value: &str, max: usize) -> bool {
    value.len() > max && value.chars().count() > max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_count_with_metadata_columns() {
        let columns = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "DEVICE"];
        let ok = schema_checks("i", DatasetKind::Interactions, &columns, 8);
        assert!(ok.iter().all(|c| c.passed), "{ok:?}");
        let over = schema_checks("i", DatasetKind::Interactions, &columns, 9);
        assert!(
            over[2]
                .detail
                .contains("9 event types + 2 optional metadata columns = 11")
        );
        let users = schema_checks("u", DatasetKind::Users, &["USER_ID"], 0);
        assert_eq!(users[0].detail, "0 metadata columns");
    }

    #[test]
    fn import_fit_names_the_modes() {
        let small = ImportFit::new("d", 10, 1, 10, String::new());
        assert_eq!(small.modes(), "FULL or INCREMENTAL");
        let big = ImportFit::new("d", 5_000_000_000, 5, 1_000_000_000, String::new());
        assert_eq!(big.modes(), "FULL (or INCREMENTAL, one job per part)");
        let huge = ImportFit::new("d", 200_000_000_000, 2, 100_000_000_000, String::new());
        assert!(!huge.full && !huge.parts_incremental);
    }
}
