//! `rechost_runtime`: the host's plugin runtime as a Python module, for warehouse UDF handlers.
//! The very same Rust code as `rechost run` loads the component (contract check, compile
//! cache), shapes input to the manifest, runs the sandboxed transform and validates its output;
//! batches cross from and to pyarrow through the Arrow C Data Interface without copying.
//!
//! ```python
//! plugin = rechost_runtime.Plugin("ecommerce.wasm", options={"category-separator": "/"})
//! interactions, users, items = plugin.transform(batch)          # pyarrow.RecordBatch each
//! users = plugin.transform(batch, dataset="snowplow_recommendations_ecommerce_users")[0]
//! tagged = plugin.transform_all(batch)    # every dataset in one batch, RECHOST_DATASET = 1, 2, 3
//! parts = plugin.transform_all_batches(batch)  # the same rows, a batch per dataset, no copy
//! ```

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_pyarrow::PyArrowType;
use chrono::NaiveDate;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

mod objects;

use rechost::manifest::DataType;
use rechost::manifest::tagged::{TAG_COLUMN, TaggedLayout};
use rechost::plugin::{IdleInstance, LimitNames, Limits, LoadOptions, checked_text};
use rechost::window::DateWindow;

/// A loaded plugin. Calls run in sandboxed instances (own memory, deadline and memory cap)
/// kept between calls, as `rechost run` keeps one per worker: a fresh instance per batch
/// costs its whole memory in page faults every time. An instance whose call failed is
/// dropped, so a trap never leaks state into a later batch.
#[pyclass(frozen, module = "rechost_runtime")]
struct Plugin {
    plugin: rechost::plugin::Plugin,
    /// Instances whose last call succeeded, one per thread that ran concurrently at most.
    idle: Mutex<Vec<IdleInstance>>,
    options: Vec<(String, String)>,
    manifest_json: String,
    /// The shape of `transform_all`'s batches.
    layout: TaggedLayout,
}

fn runtime_error(error: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(format!("{error:#}"))
}

#[pymethods]
impl Plugin {
    #[new]
    #[pyo3(signature = (path, options = None, timeout_secs = 60.0, memory_mib = 1024, cache_dir = None))]
    fn new(
        path: PathBuf,
        options: Option<HashMap<String, String>>,
        timeout_secs: f64,
        memory_mib: u64,
        cache_dir: Option<PathBuf>,
    ) -> PyResult<Self> {
        let call_timeout = Duration::try_from_secs_f64(timeout_secs)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| PyValueError::new_err("timeout_secs must be positive"))?;
        if !(1..=65_536).contains(&memory_mib) {
            return Err(PyValueError::new_err(format!(
                "memory_mib must be between 1 and 65536, not {memory_mib}"
            )));
        }
        let limits = Limits {
            call_timeout,
            max_memory: (memory_mib as usize) << 20,
            names: LimitNames {
                timeout: "timeout_secs",
                memory: "memory_mib",
            },
            ..Limits::default()
        };
        let load = LoadOptions {
            cache_dir,
            limits,
            expected_sha256: None,
        };
        let plugin = rechost::plugin::Plugin::load(&path, &load).map_err(runtime_error)?;
        let given: Vec<String> = options
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let options = plugin
            .manifest
            .resolve_options(&given)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let manifest_json = serde_json::to_string(&plugin.manifest).map_err(runtime_error)?;
        let layout = TaggedLayout::of(&plugin.manifest);
        Ok(Self {
            plugin,
            idle: Mutex::new(Vec::new()),
            options,
            manifest_json,
            layout,
        })
    }

    /// The manifest as JSON (what `rechost inspect --json` prints).
    #[getter]
    fn manifest_json(&self) -> &str {
        &self.manifest_json
    }

    /// Names of the source columns the plugin reads, in order.
    #[getter]
    fn source_columns(&self) -> Vec<String> {
        let columns = &self.plugin.manifest.source.columns;
        columns.iter().map(|c| c.name.clone()).collect()
    }

    /// Names of the datasets, in manifest order.
    #[getter]
    fn datasets(&self) -> Vec<String> {
        let datasets = &self.plugin.manifest.datasets;
        datasets.iter().map(|d| d.name.clone()).collect()
    }

    /// Names and types (`utf8`, `int64`, ...) of what `transform_all` returns: the tag
    /// `RECHOST_DATASET` (the dataset's 1-based position in `datasets`), then the union of
    /// every dataset's returned columns.
    #[getter]
    fn all_datasets_columns(&self) -> Vec<(String, &'static str)> {
        let tag = (TAG_COLUMN.to_string(), DataType::Int64.name());
        let columns = self.layout.columns.iter();
        std::iter::once(tag)
            .chain(columns.map(|c| (c.name.clone(), c.data_type.name())))
            .collect()
    }

    /// Runs the transform over one batch holding the source columns (any case, extra columns
    /// ignored, types converted as for files). Returns one batch per dataset (or the one named),
    /// each with the dataset's columns followed by its `latest-by` columns. With both dates,
    /// rows outside `[start_date, end_date]` (UTC, inclusive) are left out first.
    #[pyo3(signature = (batch, dataset = None, start_date = None, end_date = None, first_row = 1))]
    fn transform(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
        dataset: Option<&str>,
        start_date: Option<&str>,
        end_date: Option<&str>,
        first_row: u64,
    ) -> PyResult<Vec<PyArrowType<RecordBatch>>> {
        let wanted = match dataset {
            None => None,
            Some(name) => Some(self.dataset_index(name)?),
        };
        let window = window(start_date, end_date)?;
        let input = batch.0;
        // The GIL is released while the plugin runs: other Python threads go on.
        let datasets = py.detach(|| self.run(&input, window, first_row));
        let datasets = datasets.map_err(PyRuntimeError::new_err)?;
        Ok(match wanted {
            Some(index) => vec![PyArrowType(datasets[index].clone())],
            None => datasets.into_iter().map(PyArrowType).collect(),
        })
    }

    /// `transform`, every dataset in one batch: each row tagged with its dataset's position
    /// (column `RECHOST_DATASET`, 1 = the first of `datasets`), NULL in the columns its
    /// dataset lacks (see `all_datasets_columns`). What the pushdown's single function returns.
    #[pyo3(signature = (batch, start_date = None, end_date = None, first_row = 1))]
    fn transform_all(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
        start_date: Option<&str>,
        end_date: Option<&str>,
        first_row: u64,
    ) -> PyResult<PyArrowType<RecordBatch>> {
        let window = window(start_date, end_date)?;
        let tagged = self.run_tagged(py, &batch.0, window, first_row, TaggedLayout::tag)?;
        Ok(PyArrowType(tagged))
    }

    /// `transform_all` without joining the datasets: one batch per dataset that has rows, in
    /// the same tagged schema, holding the plugin's output as is. Cheaper for callers that
    /// take several batches (Spark's `mapInArrow`): nothing is copied.
    #[pyo3(signature = (batch, start_date = None, end_date = None, first_row = 1))]
    fn transform_all_batches(
        &self,
        py: Python<'_>,
        batch: PyArrowType<RecordBatch>,
        start_date: Option<&str>,
        end_date: Option<&str>,
        first_row: u64,
    ) -> PyResult<Vec<PyArrowType<RecordBatch>>> {
        let window = window(start_date, end_date)?;
        let tagged = self.run_tagged(py, &batch.0, window, first_row, TaggedLayout::tag_each)?;
        Ok(tagged.into_iter().map(PyArrowType).collect())
    }
}

impl Plugin {
    /// `run`, then its datasets tagged by `tag` (joined or not), all with the GIL released.
    fn run_tagged<T: Send, E: std::fmt::Display>(
        &self,
        py: Python<'_>,
        input: &RecordBatch,
        window: Option<DateWindow>,
        first_row: u64,
        tag: impl FnOnce(&TaggedLayout, &[RecordBatch]) -> Result<T, E> + Send,
    ) -> PyResult<T> {
        let tagged = py.detach(|| {
            let datasets = self.run(input, window, first_row)?;
            tag(&self.layout, &datasets).map_err(|e| {
                let name = &self.plugin.manifest.name;
                format!("plugin {name}: tagging its datasets: {e}")
            })
        });
        tagged.map_err(PyRuntimeError::new_err)
    }

    fn dataset_index(&self, name: &str) -> PyResult<usize> {
        let datasets = &self.plugin.manifest.datasets;
        datasets.iter().position(|d| d.name == name).ok_or_else(|| {
            PyValueError::new_err(format!(
                "the plugin has no dataset {name:?} (it has: {})",
                self.datasets().join(", ")
            ))
        })
    }

    /// Shape, window, then the sandboxed transform in a kept (or fresh) instance: one batch per
    /// dataset.
    fn run(
        &self,
        input: &RecordBatch,
        window: Option<DateWindow>,
        first_row: u64,
    ) -> Result<Vec<RecordBatch>, String> {
        let manifest = &self.plugin.manifest;
        let origin = Path::new("input batch");
        let shaped = rechost::source::shape(origin, &manifest.source, input, first_row)
            .map_err(|e| e.to_string())?;
        check_text(&shaped)?;
        let shaped = match window {
            Some(window) => window.apply(shaped, manifest.source.time_index).0,
            None => shaped,
        };
        if shaped.num_rows() == 0 {
            let empty = manifest.datasets.iter();
            return Ok(empty
                .map(|d| RecordBatch::new_empty(d.returned_schema()))
                .collect());
        }
        let parked = self.idle.lock().map_or(None, |mut idle| idle.pop());
        let instance = match parked {
            Some(idle) => self.plugin.resume(idle),
            None => self.plugin.instantiate(),
        };
        let mut instance = instance.map_err(|e| format!("{e:#}"))?;
        // On error the instance is dropped here, never parked.
        let output = instance
            .transform(&self.options, &shaped, 0)
            .map_err(|e| e.to_string())?;
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(instance.into_idle());
        }
        Ok(output.datasets)
    }
}

/// Plugins rely on the host's text being valid UTF-8 cut at character boundaries (the Rust
/// SDK does not check it again). Readers of files and warehouse results validate what they
/// read; a batch handed over through the C Data Interface is taken as is, so it is checked here.
fn check_text(batch: &RecordBatch) -> Result<(), String> {
    let schema = batch.schema();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if let Some(strings) = column.as_string_opt::<i32>() {
            let offsets = strings.value_offsets();
            // Only the bytes this (possibly sliced) array uses are read: Arrow's own full
            // validation reads the whole buffer, every batch's worth for a table's slices.
            checked_text(offsets, strings.value_data()).map_err(|e| {
                format!(
                    "input batch: column {} is not valid text: {e}",
                    field.name()
                )
            })?;
        }
    }
    Ok(())
}

/// `[start_date, end_date]` from two `YYYY-MM-DD` texts, or no window when neither is given.
fn window(start_date: Option<&str>, end_date: Option<&str>) -> PyResult<Option<DateWindow>> {
    let date = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|e| PyValueError::new_err(format!("date {text:?}: {e} (want YYYY-MM-DD)")))
    };
    match (start_date, end_date) {
        (Some(start), Some(end)) => Ok(Some(
            DateWindow::between(date(start)?, date(end)?)
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        )),
        (None, None) => Ok(None),
        _ => Err(PyValueError::new_err(
            "give both start_date and end_date, or neither",
        )),
    }
}

#[pymodule]
fn rechost_runtime(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Plugin>()?;
    module.add_function(wrap_pyfunction!(objects::text_from_objects, module)?)?;
    module.add_function(wrap_pyfunction!(objects::booleans_from_objects, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
