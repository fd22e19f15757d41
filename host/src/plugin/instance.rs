//! One instance of a plugin: a store with its own linear memory, used for one batch at a
//! time, and the checks on what a call returns.

use arrow_array::RecordBatch;
use std::path::Path;
use wasmtime::Store;

use super::bindings::DomainPlugin;
use super::bindings::types::BatchParam;
use super::buffers;
use super::engine::deadline_ticks;
use super::sandbox::{Limits, SandboxState, describe_failure};
use crate::manifest::Manifest;
use crate::transform::{Transform, TransformError, TransformResult};

/// Instances are cheap; a trapped instance is never reused (the run stops).
pub struct PluginInstance<'p> {
    manifest: &'p Manifest,
    path: &'p Path,
    limits: Limits,
    store: Store<SandboxState>,
    bindings: DomainPlugin,
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

impl<'p> PluginInstance<'p> {
    pub(super) fn new(
        manifest: &'p Manifest,
        path: &'p Path,
        limits: Limits,
        (store, bindings): (Store<SandboxState>, DomainPlugin),
    ) -> Self {
        Self {
            manifest,
            path,
            limits,
            store,
            bindings,
        }
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
                logs.push_str(&format!("\nplugin {name}:\n{}", text.trim_end()));
            }
        }
        logs
    }

    fn plugin_name(&self) -> String {
        format!("{} ({})", self.manifest.name, self.path.display())
    }

    /// Runs the transform on one batch of source rows and validates what comes back.
    pub fn transform(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, TransformError> {
        let buffers = buffers::input_buffers(input);
        let columns = buffers.columns();
        let wit_input = BatchParam {
            rows: buffers.rows,
            columns: &columns,
        };
        let options: Vec<(&str, &str)> = (options.iter())
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let limits = &self.limits;
        self.store
            .set_epoch_deadline(deadline_ticks(limits.call_timeout));
        let result = self.bindings.rechost_plugin_plugin().call_transform(
            &mut self.store,
            &options,
            wit_input,
        );
        let output = match result {
            Err(error) => {
                return Err(TransformError::Failed {
                    plugin: self.plugin_name(),
                    what: describe_failure(&self.store, limits, &error),
                    batch: batch_index,
                    datasets: (self.manifest.datasets.iter())
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    logs: self.take_logs(),
                });
            }
            Ok(Err(message)) => {
                return Err(TransformError::Reported {
                    plugin: self.plugin_name(),
                    batch: batch_index,
                    message,
                    logs: self.take_logs(),
                });
            }
            Ok(Ok(output)) => output,
        };
        let specs = &self.manifest.datasets;
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
                buffers::from_wit(batch, &columns, spec.returned_schema())
                    .map_err(|reason| bad_output(&spec.name, reason))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TransformResult {
            datasets,
            dropped: (output.dropped.into_iter())
                .map(|d| (d.reason, d.rows))
                .collect(),
        })
    }
}
