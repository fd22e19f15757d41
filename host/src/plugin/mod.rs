//! Loading, checking and calling domain plugins (WebAssembly components).

pub mod bindings;
mod convert;
pub mod engine;
pub mod sandbox;

use arrow_array::RecordBatch;
use std::path::{Path, PathBuf};
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use crate::manifest::{Manifest, ManifestError};
use crate::pipeline::PluginInfo;
use crate::transform::{Transform, Transformer};
use bindings::types::BatchParam;
use bindings::{CONTRACT_INTERFACE, CONTRACT_VERSION, DomainPlugin, DomainPluginPre};
pub use engine::{CacheOutcome, PluginEngine};
pub use sandbox::Limits;
use sandbox::SandboxState;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("cannot read plugin {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a WebAssembly file")]
    NotWasm { path: PathBuf },
    #[error(
        "{path} is a core WebAssembly module, not a component: build it with \
         `--target wasm32-wasip2` (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule { path: PathBuf },
    #[error("cannot compile plugin {path}: {message}")]
    Compile { path: PathBuf, message: String },
    #[error(
        "{path} does not export `{CONTRACT_INTERFACE}` (exports: {exports}); it is not a rechost plugin"
    )]
    NotAPlugin { path: PathBuf, exports: String },
    #[error(
        "{path} implements contract {found}, but this rechost supports {CONTRACT_INTERFACE}@0.1.x: \
         rebuild the plugin against the contract in wit/ or use a matching rechost"
    )]
    IncompatibleContract { path: PathBuf, found: String },
    #[error("cannot instantiate plugin {path}: {message}")]
    Instantiate { path: PathBuf, message: String },
    #[error("plugin {path} returned an invalid manifest")]
    Manifest {
        path: PathBuf,
        #[source]
        source: ManifestError,
    },
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

/// A compiled, checked plugin from which instances are made.
pub struct Plugin {
    pub path: PathBuf,
    pub sha256: String,
    pub manifest: Manifest,
    pub cache: CacheOutcome,
    pre: DomainPluginPre<SandboxState>,
    limits: Limits,
}

impl Plugin {
    /// Reads, compiles (or loads from the cache), checks the contract and reads the manifest.
    pub fn load(
        engine: &PluginEngine,
        path: &Path,
        cache_dir: Option<&Path>,
        limits: Limits,
    ) -> Result<Self, PluginError> {
        let wasm = std::fs::read(path).map_err(|source| PluginError::Read {
            path: path.to_owned(),
            source,
        })?;
        match wasm.get(..8) {
            Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => {
                return Err(PluginError::CoreModule { path: path.into() });
            }
            Some([0, b'a', b's', b'm', ..]) => {}
            _ => return Err(PluginError::NotWasm { path: path.into() }),
        }
        let (component, cache) =
            engine
                .load_component(&wasm, cache_dir)
                .map_err(|e| PluginError::Compile {
                    path: path.into(),
                    message: format!("{e:#}"),
                })?;
        check_contract(engine, &component, path)?;

        let mut linker = Linker::new(engine.engine());
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(|e| {
            PluginError::Instantiate {
                path: path.into(),
                message: format!("{e:#}"),
            }
        })?;
        let instantiate_error = |e: wasmtime::Error| PluginError::Instantiate {
            path: path.into(),
            message: format!("{e:#}"),
        };
        let pre = linker
            .instantiate_pre(&component)
            .and_then(DomainPluginPre::new)
            .map_err(instantiate_error)?;

        // A throwaway instance reads the manifest; run instances are made per worker.
        let (mut store, bindings) = new_instance(&pre, &limits).map_err(instantiate_error)?;
        let manifest = bindings
            .rechost_plugin_plugin()
            .call_describe(&mut store)
            .map_err(|e| PluginError::Instantiate {
                path: path.into(),
                message: format!(
                    "describe() failed: {}",
                    describe_failure(&store, &limits, &e)
                ),
            })?;
        let manifest = Manifest::from_wit(manifest).map_err(|source| PluginError::Manifest {
            path: path.into(),
            source,
        })?;
        Ok(Plugin {
            path: path.into(),
            sha256: engine::sha256_hex(&wasm),
            manifest,
            cache,
            pre,
            limits,
        })
    }

    /// A fresh instance with its own memory, limits and captured output.
    pub fn instantiate(&self) -> wasmtime::Result<PluginInstance<'_>> {
        let (store, bindings) = new_instance(&self.pre, &self.limits)?;
        Ok(PluginInstance {
            plugin: self,
            store,
            bindings,
        })
    }
}

fn new_instance(
    pre: &DomainPluginPre<SandboxState>,
    limits: &Limits,
) -> wasmtime::Result<(Store<SandboxState>, DomainPlugin)> {
    let mut store = Store::new(pre.engine(), SandboxState::new(limits));
    store.limiter(|state| &mut state.limiter);
    store.epoch_deadline_trap();
    store.set_epoch_deadline(deadline_ticks(limits));
    let bindings = pre.instantiate(&mut store)?;
    Ok((store, bindings))
}

fn deadline_ticks(limits: &Limits) -> u64 {
    (limits.call_timeout.as_millis() / engine::EPOCH_TICK.as_millis()).max(1) as u64
}

/// Names the cause of a failed call: memory limit, time limit or the trap itself.
fn describe_failure(
    store: &Store<SandboxState>,
    limits: &Limits,
    error: &wasmtime::Error,
) -> String {
    if store.data().limiter.denied {
        format!(
            "exceeded its memory limit of {} MiB (--plugin-memory-mib)",
            limits.max_memory >> 20
        )
    } else if matches!(
        error.downcast_ref::<wasmtime::Trap>(),
        Some(wasmtime::Trap::Interrupt)
    ) {
        format!(
            "exceeded its time limit of {} s per batch (--plugin-timeout-secs)",
            limits.call_timeout.as_secs_f64()
        )
    } else {
        format!("trapped: {error:#}")
    }
}

/// Finds the plugin interface among the component's exports and checks its version, so an
/// incompatible plugin gets a clear message instead of a link error.
fn check_contract(
    engine: &PluginEngine,
    component: &Component,
    path: &Path,
) -> Result<(), PluginError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine.engine())
        .map(|(name, _)| name.to_string())
        .collect();
    let Some(found) = exports
        .iter()
        .find(|name| name.split('@').next() == Some(CONTRACT_INTERFACE))
    else {
        return Err(PluginError::NotAPlugin {
            path: path.into(),
            exports: if exports.is_empty() {
                "none".into()
            } else {
                exports.join(", ")
            },
        });
    };
    let version = found.split_once('@').map(|(_, v)| v).unwrap_or("");
    let supported = CONTRACT_VERSION
        .rsplit_once('.')
        .map(|(major_minor, _)| major_minor);
    if version.rsplit_once('.').map(|(major_minor, _)| major_minor) != supported {
        return Err(PluginError::IncompatibleContract {
            path: path.into(),
            found: found.clone(),
        });
    }
    Ok(())
}

/// One instance of a plugin: a store with its own linear memory, used for one batch at a
/// time. Instances are cheap; a trapped instance is never reused (the run stops).
pub struct PluginInstance<'p> {
    plugin: &'p Plugin,
    store: Store<SandboxState>,
    bindings: DomainPlugin,
}

/// What a transform call produced: one Arrow batch per manifest dataset (written columns
/// followed by `latest-by` columns), and the rows the plugin dropped, by reason.
pub struct TransformResult {
    pub datasets: Vec<RecordBatch>,
    pub dropped: Vec<(String, u64)>,
}

impl Transformer for Plugin {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn info(&self) -> PluginInfo {
        PluginInfo {
            name: self.manifest.name.clone(),
            version: self.manifest.version.clone(),
            domain: self.manifest.domain.clone(),
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            compile_cache: self.cache,
        }
    }

    fn instantiate(&self) -> Result<Box<dyn Transform + '_>, String> {
        Plugin::instantiate(self)
            .map(|instance| Box::new(instance) as Box<dyn Transform + '_>)
            .map_err(|e| format!("{e:#}"))
    }
}

impl Transform for PluginInstance<'_> {
    fn transform(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, PluginError> {
        PluginInstance::transform(self, options, input, batch_index)
    }

    fn drain_logs(&mut self) -> String {
        self.take_logs()
    }
}

impl PluginInstance<'_> {
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

    /// Runs the transform on one batch of source rows and validates what comes back.
    pub fn transform(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, PluginError> {
        let manifest = &self.plugin.manifest;
        let plugin_name = || format!("{} ({})", manifest.name, self.plugin.path.display());
        let buffers = convert::input_buffers(input);
        let columns = buffers.columns();
        let wit_input = BatchParam {
            rows: buffers.rows,
            columns: &columns,
        };
        let options: Vec<(&str, &str)> = (options.iter())
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        self.store
            .set_epoch_deadline(deadline_ticks(&self.plugin.limits));
        let result = self.bindings.rechost_plugin_plugin().call_transform(
            &mut self.store,
            &options,
            wit_input,
        );
        let output = match result {
            Err(error) => {
                return Err(PluginError::Failed {
                    plugin: plugin_name(),
                    what: describe_failure(&self.store, &self.plugin.limits, &error),
                    batch: batch_index,
                    datasets: manifest
                        .datasets
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    logs: self.take_logs(),
                });
            }
            Ok(Err(message)) => {
                return Err(PluginError::Reported {
                    plugin: plugin_name(),
                    batch: batch_index,
                    message,
                    logs: self.take_logs(),
                });
            }
            Ok(Ok(output)) => output,
        };
        if output.datasets.len() != manifest.datasets.len() {
            return Err(PluginError::BadOutput {
                plugin: plugin_name(),
                dataset: "(all)".into(),
                batch: batch_index,
                reason: format!(
                    "returned {} dataset batches, the manifest declares {}",
                    output.datasets.len(),
                    manifest.datasets.len()
                ),
            });
        }
        let datasets = output
            .datasets
            .into_iter()
            .zip(&manifest.datasets)
            .map(|(batch, spec)| {
                let specs: Vec<_> = spec.returned_columns().collect();
                convert::from_wit(batch, &specs, spec.returned_schema()).map_err(|reason| {
                    PluginError::BadOutput {
                        plugin: plugin_name(),
                        dataset: spec.name.clone(),
                        batch: batch_index,
                        reason,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TransformResult {
            datasets,
            dropped: output
                .dropped
                .into_iter()
                .map(|d| (d.reason, d.rows))
                .collect(),
        })
    }
}
