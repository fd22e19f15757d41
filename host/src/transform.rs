//! The seam between a run and whatever transforms its batches. The shipped binary only ever
//! runs WebAssembly plugins; the trait exists so benchmarks can run the very same pipeline with
//! the transform linked natively (the limit for the component boundary) or with no transform
//! (the I/O floor). This module owns every type that crosses the seam, so neither side imports
//! the other through it.

use arrow_array::RecordBatch;
use serde::Serialize;
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
    pub dropped: Vec<(String, u64)>,
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
