//! One run: source -> date window -> plugin -> reduce -> sinks, then commit and report.
//! Data flows one way; nothing becomes visible until every dataset is complete.

mod datasets;
mod error;
mod export;
mod summary;
mod workers;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::plugin::{LoadOptions, Plugin};
use crate::reduce::{EntityReducer, SpillSettings};
use crate::sink::{Destination, SinkError, StagedObject};
use crate::source::{OpenSource, SkippedRows};
use crate::transform::{DropCounts, TransformResult, Transformer};
use crate::window::DateWindow;
use datasets::{DatasetStates, FinishedDataset, Prepared, prepare};
pub use error::{NothingToWrite, RunError};
use export::Export;
pub use summary::{DatasetSummary, Progress, RunSummary, readiness_json, readiness_key};
use workers::{Transformed, WorkerSettings, transform_in_order};

/// Rows per batch read from the source and sent through the plugin: large enough that per-call
/// costs vanish (16k was 10% slower end to end), small enough that the batches in flight keep
/// RSS under 300 MiB at 10M rows (RSS grows with batch size x threads).
pub const DEFAULT_BATCH_ROWS: usize = 32 * 1024;

/// The largest batch a source is asked for: a few batches per worker stay in memory.
pub const MAX_BATCH_ROWS: usize = 4 << 20;

/// Memory the entity datasets' kept rows (and readiness's id counts, an eighth) may take
/// together before they are spilled to disk
/// as sorted runs (a few hundred bytes per distinct user or item: 128 MiB keeps about half a
/// million in memory, and spilling past it costs little: the merge is one sequential pass).
pub const DEFAULT_MEMORY_BUDGET: u64 = 128 << 20;

/// Everything a run needs, already validated.
pub struct RunPlan {
    pub plugin: PathBuf,
    pub source: Box<dyn OpenSource>,
    pub window: DateWindow,
    /// `NAME=VALUE` plugin options.
    pub options: Vec<String>,
    pub batch_rows: usize,
    /// Plugin instances running at once.
    pub workers: usize,
    pub load: LoadOptions,
    /// Write the datasets even when every one of them is empty (refused otherwise).
    pub allow_empty: bool,
    /// The datasets to write (`None`: all). The plugin still returns every dataset; the
    /// others are neither reduced, written nor staged.
    pub export: Option<BTreeSet<String>>,
    /// Set from outside (Ctrl-C) to stop the run between batches, cleaning up as on failure.
    pub interrupted: Arc<AtomicBool>,
    /// Largest CSV part (bytes); larger datasets are split into parts.
    pub max_file_size: u64,
    /// A previous run to compare with in the HTML report.
    pub previous: Option<crate::diff::Snapshot>,
    /// Bytes the entity datasets' kept rows and readiness's user and item counts may hold in
    /// memory, together; past it they are spilled to sorted runs in the system temporary
    /// folder (`TMPDIR`).
    pub memory_budget: u64,
}

/// Loads the plugin and checks the options: everything that can fail before reading data.
pub fn load_plugin(plan: &RunPlan) -> Result<(Plugin, Vec<(String, String)>), RunError> {
    let plugin = Plugin::load(&plan.plugin, &plan.load)?;
    let options = plugin.manifest.resolve_options(&plan.options)?;
    Ok((plugin, options))
}

pub fn run(
    plan: &RunPlan,
    destination: &dyn Destination,
    progress: &dyn Fn(Progress),
) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let (plugin, options) = load_plugin(plan)?;
    run_transform(plan, &plugin, &options, destination, progress, started)
}

#[derive(Default)]
struct Counts {
    rows_read: u64,
    rows_outside_window: u64,
    rows_transformed: u64,
    time_range: Option<(i64, i64)>,
    dropped: DropCounts,
}

impl Counts {
    /// Rows left unread for lying outside the window count as read and outside it, so the
    /// summary and the empty-run message read as if every row had been.
    fn add_skipped(&mut self, skipped: SkippedRows) {
        self.rows_read += skipped.rows;
        self.rows_outside_window += skipped.rows;
        self.add_time_range(skipped.time_range);
    }

    fn add_time_range(&mut self, range: Option<(i64, i64)>) {
        self.time_range = match (self.time_range, range) {
            (Some((lo, hi)), Some((l, h))) => Some((lo.min(l), hi.max(h))),
            (known, None) | (None, known) => known,
        };
    }

    /// Refuses a run whose datasets would all be empty, unless `allow_empty`.
    fn check_not_empty(&self, written: u64, plan: &RunPlan) -> Result<(), RunError> {
        if written > 0 || plan.allow_empty {
            return Ok(());
        }
        let date =
            |micros: i64| chrono::DateTime::from_timestamp_micros(micros).map(|t| t.date_naive());
        let input_dates = self
            .time_range
            .and_then(|(lo, hi)| Some((date(lo)?, date(hi)?)));
        Err(RunError::NothingToWrite(NothingToWrite {
            rows_read: self.rows_read,
            rows_in_window: self.rows_transformed,
            window: plan.window,
            input_dates,
        }))
    }
}

/// A run with any transform: the shipped binary passes a WebAssembly plugin; benchmarks pass
/// the same transform linked natively. `started` is when the run began (for the summary).
pub fn run_transform(
    plan: &RunPlan,
    transformer: &dyn Transformer,
    options: &[(String, String)],
    destination: &dyn Destination,
    progress: &dyn Fn(Progress),
    started: Instant,
) -> Result<RunSummary, RunError> {
    let manifest = transformer.manifest();
    let export = Export::new(manifest, plan.export.as_ref())?;
    let source = plan.source.open(manifest, &plan.window, plan.batch_rows)?;
    let source_description = source.describe();
    let input_files = source.file_count();
    let rows_total = source.row_count_hint();
    let skipped = source.skipped();

    let mut datasets = DatasetStates::new(manifest, &export, destination, plan)?;
    let mut counts = Counts::default();
    let settings = WorkerSettings {
        workers: plan.workers,
        window: plan.window,
        options,
    };
    // Entity datasets are folded by the workers (the reducers are shared, sharded by key).
    let reducers = entity_reducers(manifest, &export.mask, plan.memory_budget);
    let prepare = |output: TransformResult, index: u64| -> Result<Prepared, RunError> {
        prepare(manifest, &export.mask, &reducers, output, index)
    };
    let consume = |batch: Transformed<Prepared>| {
        if plan.interrupted.load(Ordering::Relaxed) {
            return Err(RunError::Interrupted);
        }
        counts.rows_read += batch.rows_read;
        counts.rows_outside_window += batch.rows_outside_window;
        counts.rows_transformed += batch.rows_transformed;
        counts.add_time_range(batch.time_range);
        if let Some(output) = batch.output {
            counts.dropped.merge(output.dropped);
            datasets.add(output.datasets)?;
        }
        progress(Progress {
            rows_read: counts.rows_read + skipped.total().rows,
            rows_total,
        });
        Ok(())
    };
    let batches = source.into_batches();
    let plugin_log = transform_in_order(transformer, batches, &settings, prepare, consume)?;
    if plan.interrupted.load(Ordering::Relaxed) {
        return Err(RunError::Interrupted);
    }
    let skipped = skipped.total();
    counts.add_skipped(skipped);

    let (staged, readiness) = datasets.finish(destination, reducers)?;
    counts.check_not_empty(staged.iter().map(|d| d.staged.rows).sum(), plan)?;
    let dropped_rows = counts.dropped.into_map();
    // Readiness and the commit see only the written datasets.
    let info = transformer.info();
    let (readiness, reports) = summary::report(
        &info,
        &plan.window,
        plan.previous.as_ref(),
        readiness,
        &export.written,
        dropped_rows.clone(),
        destination,
    )?;
    let datasets = commit(staged, reports, &export.written, destination)?;
    Ok(RunSummary {
        plugin: info,
        window: plan.window,
        source: source_description,
        input_files,
        rows_read: counts.rows_read,
        rows_outside_window: counts.rows_outside_window,
        rows_skipped: skipped.rows,
        rows_transformed: counts.rows_transformed,
        datasets,
        dropped_rows,
        readiness,
        readiness_location: destination.location(&readiness_key(&manifest.domain)),
        elapsed_seconds: started.elapsed().as_secs_f64(),
        plugin_log,
    })
}

/// The memory budget's shares: (readiness's user and item counts, the kept rows): an eighth
/// and the rest.
fn memory_shares(memory_budget: u64) -> (u64, u64) {
    let readiness = memory_budget / 8;
    (readiness, memory_budget - readiness)
}

/// The written entity datasets' reducers, sharing the kept rows' part of the memory budget
/// evenly.
fn entity_reducers(
    manifest: &crate::manifest::Manifest,
    mask: &[bool],
    memory_budget: u64,
) -> Vec<Option<EntityReducer>> {
    let (_, memory_budget) = memory_shares(memory_budget);
    let entity = |spec: &crate::manifest::DatasetSpec| {
        matches!(spec.reduction, crate::manifest::Reduction::Entity { .. })
    };
    let shares = (manifest.datasets.iter().zip(mask))
        .filter(|(spec, e)| **e && entity(spec))
        .count()
        .max(1) as u64;
    let spill = SpillSettings {
        budget: usize::try_from(memory_budget / shares).unwrap_or(usize::MAX),
        dir: std::env::temp_dir(),
    };
    (manifest.datasets.iter().zip(mask))
        .map(|(spec, &e)| {
            e.then(|| EntityReducer::for_dataset(spec, &spill))
                .flatten()
        })
        .collect()
}

/// Everything is complete: make it visible, the readiness reports last (the JSON marks a
/// finished run). A failure names the datasets already replaced.
fn commit(
    staged: Vec<FinishedDataset>,
    reports: Vec<Box<dyn StagedObject>>,
    manifest: &crate::manifest::Manifest,
    destination: &dyn Destination,
) -> Result<Vec<DatasetSummary>, RunError> {
    let mut summaries: Vec<DatasetSummary> = Vec::new();
    let partial = |summaries: &[DatasetSummary], source: SinkError| RunError::PartialCommit {
        committed: summaries.iter().map(|s| s.name.clone()).collect(),
        source,
    };
    for (finished, spec) in staged.into_iter().zip(&manifest.datasets) {
        let staged = finished.staged;
        let summary = DatasetSummary {
            name: staged.name.clone(),
            kind: spec.kind,
            rows_returned: finished.rows_returned,
            rows_written: staged.rows,
            spilled_runs: finished.spilled_runs,
            location: destination.location(&spec.name),
        };
        // A dataset's own files may be half replaced when its commit fails.
        let mut touched = summaries.clone();
        touched.push(summary.clone());
        staged.commit().map_err(|e| partial(&touched, e))?;
        summaries.push(summary);
    }
    for report in reports {
        report.commit().map_err(|e| partial(&summaries, e))?;
    }
    Ok(summaries)
}
