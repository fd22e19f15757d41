//! The seam between a run and whatever transforms its batches. The shipped binary only ever
//! runs WebAssembly plugins; the trait exists so benchmarks can run the very same pipeline with
//! the transform linked natively (the limit for the component boundary) or with no transform
//! (the I/O floor). This module owns every type that crosses the seam, so neither side imports
//! the other through it.

use arrow_array::RecordBatch;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::manifest::Manifest;

/// A loaded transform from which per-thread instances are made.
pub trait Transformer: Sync {
    fn manifest(&self) -> &Manifest;

    /// What produced the datasets, for the run summary and the readiness report.
    fn info(&self) -> PluginInfo;

    /// A fresh instance, used by one thread for one batch at a time.
    fn instantiate(&self) -> Result<Box<dyn Transform + '_>, TransformError>;
}

/// One instance of a transform.
pub trait Transform: Send {
    /// Turns one windowed source batch into one batch per manifest dataset.
    fn transform(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, TransformError>;

    /// What the transform printed during successful calls (for the run log).
    fn drain_logs(&mut self) -> String {
        String::new()
    }
}

/// What a transform call produced: one Arrow batch per manifest dataset (written columns
/// followed by `latest-by` columns), and the rows the transform dropped, by reason.
pub struct TransformResult {
    pub datasets: Vec<RecordBatch>,
    pub dropped: DropCounts,
}

/// Rows dropped, by reason. A plugin chooses its reasons, so they are capped: the first
/// [`MAX_DROP_REASONS`] distinct ones are kept, rows for any other go to [`OTHER_REASONS`];
/// each reason is at most [`MAX_REASON_CHARS`] characters (a plugin giving every row its own
/// reason cannot flood the report or the terminal).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct DropCounts(BTreeMap<String, u64>);

pub const MAX_DROP_REASONS: usize = 50;
pub const MAX_REASON_CHARS: usize = 200;
pub const OTHER_REASONS: &str = "(other reasons)";

impl DropCounts {
    pub fn add(&mut self, reason: &str, rows: u64) {
        let mut reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        let kept = self.0.len() - usize::from(self.0.contains_key(OTHER_REASONS));
        if reason != OTHER_REASONS && !self.0.contains_key(&reason) && kept >= MAX_DROP_REASONS {
            reason = OTHER_REASONS.to_string();
        }
        let count = self.0.entry(reason).or_default();
        *count = count.saturating_add(rows);
    }

    pub fn merge(&mut self, other: DropCounts) {
        for (reason, rows) in other.0 {
            self.add(&reason, rows);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(reason, &rows)| (reason.as_str(), rows))
    }

    pub fn into_map(self) -> BTreeMap<String, u64> {
        self.0
    }
}

/// What produced a run's datasets.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub domain: String,
    pub path: PathBuf,
    pub sha256: String,
    pub compile_cache: CacheOutcome,
}

/// How the plugin's compiled code was obtained (shown in `--json` summaries and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheOutcome {
    Disabled,
    Hit,
    Stored,
    Miss,
}

/// A failed call, named by plugin (name and path), batch and datasets.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    #[error("cannot instantiate plugin {plugin}: {message}")]
    Instantiate { plugin: String, message: String },
    #[error("plugin {plugin} {what} in batch {batch} (producing {datasets}){logs}")]
    Failed {
        plugin: String,
        what: String,
        batch: u64,
        datasets: String,
        logs: String,
    },
    #[error("plugin {plugin} reported an error in batch {batch}: {message}{logs}")]
    Reported {
        plugin: String,
        batch: u64,
        message: String,
        logs: String,
    },
    #[error(
        "plugin {plugin} returned invalid output for dataset {dataset} in batch {batch}: {reason}"
    )]
    BadOutput {
        plugin: String,
        dataset: String,
        batch: u64,
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_reasons_are_capped_in_number_and_length() {
        let mut counts = DropCounts::default();
        for i in 0..1000 {
            counts.add(&format!("reason {i}"), 1);
        }
        counts.add(&"x".repeat(10_000), 5);
        // Merging a capped count (its "other" entry sorts first) keeps the same reasons.
        let mut merged = DropCounts::default();
        merged.merge(counts.clone());
        assert_eq!(merged, counts);
        let map = counts.into_map();
        assert_eq!(map.len(), MAX_DROP_REASONS + 1);
        assert_eq!(map[OTHER_REASONS], 1000 - MAX_DROP_REASONS as u64 + 5);
        assert!(map.keys().all(|k| k.chars().count() <= MAX_REASON_CHARS));
    }
}
