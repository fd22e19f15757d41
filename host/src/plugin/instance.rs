//! One instance of a plugin: a store with its own linear memory, used for one batch at a
//! time, and the checks on what a call returns.

use arrow_array::RecordBatch;
use arrow_select::concat::concat_batches;
use wasmtime::Store;

use super::buffers;
use super::engine::deadline_ticks;
use super::sandbox::{SandboxState, describe_failure};
use super::versions::Bindings;
use super::{Plugin, new_instance};
use crate::terminal;
use crate::transform::{DropCounts, Transform, TransformError, TransformResult};

/// Instances are cheap; a trapped instance is never reused (the run stops), and one whose
/// memory grew past [`super::Limits::recycle_mark`] is replaced before its next call. Batches
/// go to whichever worker's instance is free, so a plugin can keep no state between calls
/// anyway.
pub struct PluginInstance<'p> {
    plugin: &'p Plugin,
    store: Store<SandboxState>,
    bindings: Bindings,
}

impl Transform for PluginInstance<'_> {
    fn transform(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, TransformError> {
        PluginInstance::transform(self, options, input, batch_index)
    }

    fn drain_logs(&mut self) -> String {
        self.take_logs()
    }
}

/// An instance parked between calls, without the borrow of its plugin, so that a long-lived
/// caller (a warehouse handler getting one batch per call) can keep it: instantiating afresh
/// for every batch costs the plugin's whole memory in page faults each time. Only an instance
/// whose last call succeeded should be parked; [`crate::plugin::Plugin::resume`] lends it out.
pub struct IdleInstance {
    pub(super) store: Store<SandboxState>,
    pub(super) bindings: Bindings,
}

impl<'p> PluginInstance<'p> {
    /// Parks the instance; its captured output is dropped (it belonged to calls that succeeded).
    pub fn into_idle(self) -> IdleInstance {
        self.take_logs();
        IdleInstance {
            store: self.store,
            bindings: self.bindings,
        }
    }

    pub(super) fn new(
        plugin: &'p Plugin,
        (store, bindings): (Store<SandboxState>, Bindings),
    ) -> Self {
        Self {
            plugin,
            store,
            bindings,
        }
    }

    /// Replaces the instance with a fresh one, writing to the same logs, once its memory grew
    /// past the recycle mark: a fresh instance starts again from the plugin's memory image.
    fn recycle_if_grown(&mut self, batch_index: u64) -> Result<(), TransformError> {
        let limits = &self.plugin.limits;
        if self.store.data().limiter.grown() <= limits.recycle_mark() {
            return Ok(());
        }
        let state = SandboxState::sharing_logs(limits, self.store.data());
        let (store, bindings) =
            new_instance(&self.plugin.pre, limits, state).map_err(|e| TransformError::Failed {
                plugin: self.plugin_name(),
                what: format!("a fresh instance could not be made: {e:#}"),
                batch: batch_index,
                datasets: self.dataset_names(),
                logs: self.take_logs(),
            })?;
        self.store = store;
        self.bindings = bindings;
        Ok(())
    }

    fn dataset_names(&self) -> String {
        (self.plugin.manifest.datasets.iter())
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Plugin stdout/stderr captured so far, formatted for an error message.
    fn take_logs(&self) -> String {
        let mut logs = String::new();
        for (name, log) in [
            ("stdout", &self.store.data().stdout),
            ("stderr", &self.store.data().stderr),
        ] {
            let text = log.take_text();
            if !text.trim().is_empty() {
                let text = terminal::quoted_lines(text.trim_end());
                logs.push_str(&format!("\nplugin {name}:\n{text}"));
            }
        }
        logs
    }

    fn plugin_name(&self) -> String {
        format!(
            "{} ({})",
            self.plugin.manifest.name,
            self.plugin.path.display()
        )
    }

    /// Runs the transform on one batch of source rows and validates what comes back. A batch
    /// too large for the plugin's memory is sent in slices (an eighth of the memory cap each,
    /// leaving room for the plugin's own work) and their results concatenated.
    pub fn transform(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, TransformError> {
        let budget = (self.plugin.limits.max_memory / 8).max(1);
        let (rows, bytes) = (input.num_rows(), input.get_array_memory_size());
        if bytes <= budget || rows <= 1 {
            return self.transform_slice(options, input, batch_index);
        }
        let slice_rows = rows.div_ceil(bytes.div_ceil(budget).min(rows));
        let mut parts = Vec::new();
        for start in (0..rows).step_by(slice_rows) {
            let slice = input.slice(start, slice_rows.min(rows - start));
            parts.push(self.transform_slice(options, &slice, batch_index)?);
        }
        let mut dropped = DropCounts::default();
        let manifest = &self.plugin.manifest;
        let mut per_dataset: Vec<Vec<RecordBatch>> = vec![Vec::new(); manifest.datasets.len()];
        for part in parts {
            dropped.merge(part.dropped);
            for (batches, batch) in per_dataset.iter_mut().zip(part.datasets) {
                batches.push(batch);
            }
        }
        let datasets = (per_dataset.iter().zip(&manifest.datasets))
            .map(|(batches, spec)| {
                concat_batches(&spec.returned_schema(), batches).map_err(|e| {
                    TransformError::BadOutput {
                        plugin: self.plugin_name(),
                        dataset: spec.name.clone(),
                        batch: batch_index,
                        reason: e.to_string(),
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(TransformResult { datasets, dropped })
    }

    fn transform_slice(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, TransformError> {
        self.recycle_if_grown(batch_index)?;
        let buffers = buffers::input_buffers(input);
        let options: Vec<(&str, &str)> = (options.iter())
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let limits = &self.plugin.limits;
        self.store
            .set_epoch_deadline(deadline_ticks(limits.call_timeout));
        let result = (self.bindings).transform(&mut self.store, &options, &buffers);
        let output = match result {
            Err(error) => {
                return Err(TransformError::Failed {
                    plugin: self.plugin_name(),
                    what: describe_failure(&self.store, limits, &error),
                    batch: batch_index,
                    datasets: self.dataset_names(),
                    logs: self.take_logs(),
                });
            }
            Ok(Err(message)) => {
                return Err(TransformError::Reported {
                    plugin: self.plugin_name(),
                    batch: batch_index,
                    message: terminal::one_line(&message).into_owned(),
                    logs: self.take_logs(),
                });
            }
            Ok(Ok(output)) => output,
        };
        let specs = &self.plugin.manifest.datasets;
        let bad_output = |dataset: &str, reason: String| TransformError::BadOutput {
            plugin: self.plugin_name(),
            dataset: dataset.to_string(),
            batch: batch_index,
            reason,
        };
        if output.datasets.len() != specs.len() {
            let reason = format!(
                "returned {} dataset batches, the manifest declares {}",
                output.datasets.len(),
                specs.len()
            );
            return Err(bad_output("(all)", reason));
        }
        let datasets = (output.datasets.into_iter().zip(specs))
            .map(|(batch, spec)| {
                let columns: Vec<_> = spec.returned_columns().collect();
                buffers::from_returned(batch, &columns, spec.returned_schema())
                    .map_err(|reason| bad_output(&spec.name, reason))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut dropped = DropCounts::default();
        for (reason, rows) in output.dropped {
            dropped.add(&terminal::one_line(&reason), rows);
        }
        Ok(TransformResult { datasets, dropped })
    }
}
