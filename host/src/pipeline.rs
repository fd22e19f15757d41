//! One run: source -> date window -> plugin -> reduce -> sinks, then commit and report.
//! Data flows one way; nothing becomes visible until every dataset is complete.

use arrow_array::RecordBatch;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::manifest::{DatasetKind, Manifest};
use crate::plugin::{CacheOutcome, Limits, Plugin, PluginEngine, PluginError, TransformResult};
use crate::readiness::html::{self, Provenance};
use crate::readiness::{ImportFit, ReadinessReport, ReadinessTracker};
use crate::reduce::EntityReducer;
use crate::sink::{
    DatasetWriter, Destination, SinkError, StagedDataset, encode_csv_rows, stage_bytes,
};
use crate::source::{Source, SourceError, SourcePlan};
use crate::transform::Transformer;
use crate::window::DateWindow;
use crate::workers::{WorkerSettings, transform_in_order};

/// Rows per batch read from the source and sent through the plugin: large enough that per-call
/// costs vanish (16k was 10% slower end to end), small enough that the batches in flight keep
/// RSS under 300 MiB at 10M rows (RSS grows with batch size x threads).
pub const DEFAULT_BATCH_ROWS: usize = 32 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error(transparent)]
    Report(#[from] html::HtmlError),
    #[error("plugin options: {0}")]
    Options(#[from] crate::manifest::ManifestError),
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    #[error("cannot instantiate plugin: {0}")]
    Instantiate(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("interrupted")]
    Interrupted,
    #[error(
        "committing the output failed after {} was already replaced: {source}",
        committed.join(", ")
    )]
    PartialCommit {
        committed: Vec<String>,
        #[source]
        source: SinkError,
    },
}

impl RunError {
    /// Whether the previous output is untouched (every error but a partial commit).
    pub fn output_unchanged(&self) -> bool {
        !matches!(self, RunError::PartialCommit { .. })
    }
}

/// Everything a run needs, already validated.
pub struct RunPlan {
    pub plugin: PathBuf,
    pub source: SourcePlan,
    pub window: DateWindow,
    /// `NAME=VALUE` plugin options.
    pub options: Vec<String>,
    pub batch_rows: usize,
    /// Plugin instances running at once.
    pub workers: usize,
    pub limits: Limits,
    pub cache_dir: Option<PathBuf>,
    /// Set from outside (Ctrl-C) to stop the run between batches, cleaning up as on failure.
    pub interrupted: Arc<AtomicBool>,
    /// Largest CSV part (bytes); larger datasets are split into parts.
    pub max_file_size: u64,
    /// A previous run to compare with in the HTML report.
    pub previous: Option<crate::diff::Snapshot>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub domain: String,
    pub path: PathBuf,
    pub sha256: String,
    pub compile_cache: CacheOutcome,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetSummary {
    pub name: String,
    pub kind: DatasetKind,
    /// Rows the plugin returned (before entity reduction).
    pub rows_returned: u64,
    pub rows_written: u64,
    pub location: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub plugin: PluginInfo,
    pub window: DateWindow,
    /// What was read: `N file(s)` or `snowflake:TABLE`.
    pub source: String,
    pub input_files: usize,
    pub rows_read: u64,
    pub rows_outside_window: u64,
    pub rows_transformed: u64,
    pub datasets: Vec<DatasetSummary>,
    pub dropped_rows: BTreeMap<String, u64>,
    pub readiness: ReadinessReport,
    pub readiness_location: String,
    pub elapsed_seconds: f64,
    /// What the plugin printed (capped), if anything.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub plugin_log: String,
}

/// The readiness report as written beside the datasets: the report plus what produced it.
/// Nothing run-specific in it (time, paths, cache state): the same run writes the same bytes.
#[derive(Serialize)]
struct ReadinessFile<'a> {
    plugin: PluginIdentity<'a>,
    window: &'a DateWindow,
    #[serde(flatten)]
    readiness: &'a ReadinessReport,
}

#[derive(Serialize)]
struct PluginIdentity<'a> {
    name: &'a str,
    version: &'a str,
    domain: &'a str,
    sha256: &'a str,
}

/// The key of the readiness report for a domain, e.g. `readiness-ecommerce.json`.
pub fn readiness_key(domain: &str) -> String {
    format!("readiness-{}.json", domain.to_ascii_lowercase())
}

/// Progress of a run, reported after every batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub rows_read: u64,
    /// Total rows when the source knows it up front.
    pub rows_total: Option<u64>,
}

/// Loads the plugin and checks the options: everything that can fail before reading data.
pub fn load_plugin(
    engine: &PluginEngine,
    plan: &RunPlan,
) -> Result<(Plugin, Vec<(String, String)>), RunError> {
    let plugin = Plugin::load(engine, &plan.plugin, plan.cache_dir.as_deref(), plan.limits)?;
    let options = plugin.manifest.resolve_options(&plan.options)?;
    Ok((plugin, options))
}

pub fn run(
    plan: &RunPlan,
    destination: &dyn Destination,
    progress: &dyn Fn(Progress),
) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let engine = PluginEngine::new().map_err(|e| RunError::Engine(format!("{e:#}")))?;
    let (plugin, options) = load_plugin(&engine, plan)?;
    run_transform(plan, &plugin, &options, destination, progress, started)
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
    let source = Source::open(&plan.source, manifest, &plan.window, plan.batch_rows)?;
    let source_description = source.describe();
    let input_files = source.file_count();
    let rows_total = source.row_count_hint();

    let mut datasets = DatasetStates::new(manifest, destination, plan.max_file_size)?;
    let mut counts = Counts::default();

    let settings = WorkerSettings {
        workers: plan.workers,
        window: plan.window,
        options,
    };
    // Entity datasets are folded by the workers (the reducers are shared, sharded by key).
    let reducers: Vec<Option<EntityReducer>> = manifest
        .datasets
        .iter()
        .map(EntityReducer::for_dataset)
        .collect();
    let prepare = |output, index| prepare(manifest, &reducers, output, index);
    let batches = source.into_batches();
    let plugin_log = transform_in_order(transformer, batches, &settings, prepare, |batch| {
        if plan.interrupted.load(Ordering::Relaxed) {
            return Err(RunError::Interrupted);
        }
        counts.rows_read += batch.rows_read;
        counts.rows_outside_window += batch.rows_outside_window;
        counts.rows_transformed += batch.rows_transformed;
        if let Some(output) = batch.output {
            for (reason, rows) in output.dropped {
                let count = counts.dropped.entry(reason).or_default();
                *count = count.saturating_add(rows);
            }
            datasets.add(output.datasets)?;
        }
        progress(Progress {
            rows_read: counts.rows_read,
            rows_total,
        });
        Ok(())
    })?;

    if plan.interrupted.load(Ordering::Relaxed) {
        return Err(RunError::Interrupted);
    }
    let (staged, readiness) = datasets.finish(destination, reducers)?;
    let (readiness_report, comparison) = crate::diff::report_with_previous(
        readiness,
        manifest,
        counts.dropped.clone(),
        plan.previous.as_ref(),
    );
    let info = transformer.info();
    let readiness_key = readiness_key(&manifest.domain);
    let readiness_json = serde_json::to_vec_pretty(&ReadinessFile {
        plugin: PluginIdentity {
            name: &info.name,
            version: &info.version,
            domain: &info.domain,
            sha256: &info.sha256,
        },
        window: &plan.window,
        readiness: &readiness_report,
    })
    .expect("serialisable");
    let provenance = Provenance {
        plugin_name: &info.name,
        plugin_version: &info.version,
        plugin_sha256: &info.sha256,
        window: &plan.window,
    };
    let page = html::render(&readiness_report, &provenance, comparison.as_ref())?;
    let staged_html = stage_bytes(
        destination,
        &html::html_key(&manifest.domain),
        page.as_bytes(),
    )?;
    let staged_report = stage_bytes(destination, &readiness_key, &readiness_json)?;

    // Everything is complete: make it visible, the readiness report last (it marks a
    // finished run).
    let mut summaries: Vec<DatasetSummary> = Vec::new();
    let partial = |summaries: &[DatasetSummary], source| RunError::PartialCommit {
        committed: summaries.iter().map(|s| s.name.clone()).collect(),
        source,
    };
    for ((staged, rows_returned), spec) in staged.into_iter().zip(&manifest.datasets) {
        let summary = DatasetSummary {
            name: staged.name.clone(),
            kind: spec.kind,
            rows_returned,
            rows_written: staged.rows,
            location: destination.location(&spec.name),
        };
        // A dataset's own files may be half replaced when its commit fails.
        let mut touched = summaries.clone();
        touched.push(summary.clone());
        staged.commit().map_err(|e| partial(&touched, e))?;
        summaries.push(summary);
    }
    staged_html.commit().map_err(|e| partial(&summaries, e))?;
    staged_report.commit().map_err(|e| partial(&summaries, e))?;

    Ok(RunSummary {
        plugin: info,
        window: plan.window,
        source: source_description,
        input_files,
        rows_read: counts.rows_read,
        rows_outside_window: counts.rows_outside_window,
        rows_transformed: counts.rows_transformed,
        datasets: summaries,
        dropped_rows: counts.dropped,
        readiness: readiness_report,
        readiness_location: destination.location(&readiness_key),
        elapsed_seconds: started.elapsed().as_secs_f64(),
        plugin_log,
    })
}

/// One transform's output, made ready for the consumer on a worker thread.
struct Prepared {
    datasets: Vec<PreparedBatch>,
    dropped: Vec<(String, u64)>,
}

/// One dataset's rows from one batch.
enum PreparedBatch {
    /// Events datasets: the rows, and their CSV form encoded by the worker.
    Events { rows: RecordBatch, csv: Vec<u8> },
    /// Entity datasets: already folded into the reducer; how many rows the plugin returned.
    Folded { returned: u64 },
}

/// The per-batch work done on the worker threads: CSV encoding and entity reduction.
fn prepare(
    manifest: &Manifest,
    reducers: &[Option<EntityReducer>],
    output: TransformResult,
    batch_index: u64,
) -> Result<Prepared, RunError> {
    let datasets = output
        .datasets
        .into_iter()
        .zip(reducers)
        .zip(&manifest.datasets)
        .map(|((batch, reducer), spec)| {
            Ok(match reducer {
                Some(reducer) => {
                    reducer.add(&batch, batch_index);
                    PreparedBatch::Folded {
                        returned: batch.num_rows() as u64,
                    }
                }
                None => {
                    // The CSV form is about as long as the columns' bytes: one allocation.
                    let mut csv = Vec::with_capacity(batch.get_array_memory_size());
                    encode_csv_rows(&batch, &mut csv).map_err(|e| SinkError::Encode {
                        dataset: spec.name.clone(),
                        format: "CSV",
                        message: e.to_string(),
                    })?;
                    PreparedBatch::Events { rows: batch, csv }
                }
            })
        })
        .collect::<Result<_, RunError>>()?;
    Ok(Prepared {
        datasets,
        dropped: output.dropped,
    })
}

#[derive(Default)]
struct Counts {
    rows_read: u64,
    rows_outside_window: u64,
    rows_transformed: u64,
    dropped: BTreeMap<String, u64>,
}

/// Per dataset: its writer and the rows the plugin returned; plus the readiness tracker.
struct DatasetStates {
    writers: Vec<DatasetWriter>,
    returned: Vec<u64>,
    readiness: ReadinessTracker,
}

impl DatasetStates {
    fn new(
        manifest: &Manifest,
        destination: &dyn Destination,
        max_file_size: u64,
    ) -> Result<Self, SinkError> {
        Ok(Self {
            writers: manifest
                .datasets
                .iter()
                .map(|spec| DatasetWriter::create_split(destination, spec, max_file_size))
                .collect::<Result<_, _>>()?,
            returned: vec![0; manifest.datasets.len()],
            readiness: ReadinessTracker::new(manifest),
        })
    }

    /// Routes one transform's output: events datasets are written now (entity datasets are
    /// in the reducers until the end).
    fn add(&mut self, batches: Vec<PreparedBatch>) -> Result<(), SinkError> {
        for (index, prepared) in batches.into_iter().enumerate() {
            match prepared {
                PreparedBatch::Folded { returned } => self.returned[index] += returned,
                PreparedBatch::Events { rows, csv } => {
                    self.returned[index] += rows.num_rows() as u64;
                    self.readiness.observe(index, &rows);
                    self.writers[index].write_encoded(&rows, &csv)?;
                }
            }
        }
        Ok(())
    }

    fn finish(
        self,
        destination: &dyn Destination,
        reducers: Vec<Option<EntityReducer>>,
    ) -> Result<(Vec<(StagedDataset, u64)>, ReadinessTracker), SinkError> {
        let DatasetStates {
            writers,
            returned,
            mut readiness,
        } = self;
        // Entity datasets are sorted and encoded at once, a thread each: this is the run's
        // serial tail.
        let written: Vec<Result<(DatasetWriter, Vec<RecordBatch>), SinkError>> =
            std::thread::scope(|scope| {
                let threads: Vec<_> = (writers.into_iter().zip(reducers))
                    .map(|(mut writer, reducer)| {
                        scope.spawn(move || {
                            let batches = reducer.map(EntityReducer::finish).unwrap_or_default();
                            for batch in &batches {
                                writer.write(batch)?;
                            }
                            Ok((writer, batches))
                        })
                    })
                    .collect();
                (threads.into_iter())
                    .map(|t| {
                        t.join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
            });
        let mut staged = Vec::new();
        for (index, (result, rows_returned)) in written.into_iter().zip(returned).enumerate() {
            let (writer, batches) = result?;
            for batch in &batches {
                readiness.observe(index, batch);
            }
            let finished = writer.finish(destination)?;
            readiness.record_csv(import_fit(&finished));
            staged.push((finished, rows_returned));
        }
        Ok((staged, readiness))
    }
}

/// Which import modes a staged dataset's CSV fits, and what to import, relative to the
/// output root (the report holds no run-specific paths).
fn import_fit(staged: &StagedDataset) -> ImportFit {
    let sizes = staged.csv_part_sizes();
    let from = match sizes.len() {
        1 => crate::sink::split::part_key(&staged.name, 1),
        _ => format!("{}/", staged.name),
    };
    let largest = sizes.iter().copied().max().unwrap_or(0);
    ImportFit::new(
        &staged.name,
        sizes.iter().sum(),
        sizes.len() as u64,
        largest,
        from,
    )
}
