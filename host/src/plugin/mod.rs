//! Loading, checking and calling domain plugins (WebAssembly components). Every caller (the
//! CLI, the Python runtime, benchmarks) loads plugins through [`Plugin::load`].

pub mod bindings;
mod buffers;
pub mod cache;
mod contract;
mod engine;
mod error;
mod instance;
mod kernels;
pub mod sandbox;
mod versions;

use std::path::{Path, PathBuf};
use wasmtime::Store;
use wasmtime::component::Linker;

use crate::manifest::Manifest;
use crate::transform::{CacheOutcome, PluginInfo, Transform, TransformError, Transformer};
pub use buffers::checked_text;
use engine::{PluginEngine, deadline_ticks};
pub use error::PluginError;
pub use instance::{IdleInstance, PluginInstance};
use sandbox::SandboxState;
pub use sandbox::{LimitNames, Limits};
pub use versions::ContractVersion;
use versions::{Bindings, BindingsPre};

/// How to load a plugin.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Folder of compiled plugins; `None` compiles without the cache.
    pub cache_dir: Option<PathBuf>,
    pub limits: Limits,
    /// The sha256 (hex) the plugin must have (`--plugin-sha256`, a project file's pin).
    pub expected_sha256: Option<String>,
}

/// A compiled, checked plugin from which instances are made. It owns its engine and the
/// epoch ticker, so its deadlines work for as long as it exists.
pub struct Plugin {
    pub path: PathBuf,
    pub sha256: String,
    pub manifest: Manifest,
    pub cache: CacheOutcome,
    pub contract: ContractVersion,
    pre: BindingsPre,
    limits: Limits,
    // Dropped last: the ticker stops only when nothing can run any more.
    _engine: PluginEngine,
}

impl Plugin {
    /// Reads, compiles (or loads from the cache), checks the contract and reads the manifest.
    pub fn load(path: &Path, options: &LoadOptions) -> Result<Self, PluginError> {
        let (wasm, sha256) = read_component(path, options.expected_sha256.as_deref())?;
        let engine = PluginEngine::new().map_err(|e| PluginError::Engine {
            message: format!("{e:#}"),
        })?;
        let (component, cache) =
            cache::load_component(engine.engine(), &wasm, options.cache_dir.as_deref()).map_err(
                |e| match e {
                    cache::CacheError::Compile(e) => PluginError::Compile {
                        path: path.into(),
                        message: format!("{e:#}"),
                    },
                    unsafe_cache => PluginError::Cache(unsafe_cache),
                },
            )?;
        let contract = contract::check(engine.engine(), &component, path)?;

        let instantiate_error = |e: wasmtime::Error| PluginError::Instantiate {
            path: path.into(),
            message: format!("{e:#}"),
        };
        let mut linker = Linker::new(engine.engine());
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(instantiate_error)?;
        kernels::add_to_linker(&mut linker).map_err(instantiate_error)?;
        let pre =
            linker.instantiate_pre(&component).map_err(|e| {
                match contract::ungranted_imports(engine.engine(), &component) {
                    Some((imports, hint)) => PluginError::UngrantedImports {
                        path: path.into(),
                        imports,
                        hint,
                    },
                    None => instantiate_error(e),
                }
            })?;
        // The version is right but the functions' types are not: built against another WIT.
        let pre = BindingsPre::new(contract, pre).map_err(|e| PluginError::ContractMismatch {
            path: path.into(),
            version: contract,
            message: format!("{e:#}"),
        })?;

        // A throwaway instance reads the manifest; run instances are made per worker.
        let limits = options.limits;
        let (mut store, bindings) =
            new_instance(&pre, &limits, SandboxState::new(&limits)).map_err(instantiate_error)?;
        let described = bindings
            .describe(&mut store)
            .map_err(|e| PluginError::Instantiate {
                path: path.into(),
                message: format!(
                    "describe() failed: {}",
                    sandbox::describe_failure(&store, &limits, &e)
                ),
            })?;
        let manifest = contract::manifest(described).map_err(|source| PluginError::Manifest {
            path: path.into(),
            source,
        })?;
        Ok(Plugin {
            path: path.into(),
            sha256,
            manifest,
            cache,
            contract,
            pre,
            limits,
            _engine: engine,
        })
    }

    /// A fresh instance with its own memory, limits and captured output.
    pub fn instantiate(&self) -> wasmtime::Result<PluginInstance<'_>> {
        let parts = new_instance(&self.pre, &self.limits, SandboxState::new(&self.limits))?;
        Ok(PluginInstance::new(self, parts))
    }
}

impl Plugin {
    /// Lends out a parked instance again; one parked by another plugin (another engine) is
    /// dropped and a fresh instance made instead.
    pub fn resume(&self, idle: IdleInstance) -> wasmtime::Result<PluginInstance<'_>> {
        if !wasmtime::Engine::same(idle.store.engine(), self.pre.engine()) {
            return self.instantiate();
        }
        Ok(PluginInstance::new(self, (idle.store, idle.bindings)))
    }
}

/// The component's bytes and sha256, refused when they are not a component or not the
/// pinned ones.
fn read_component(path: &Path, expected: Option<&str>) -> Result<(Vec<u8>, String), PluginError> {
    let wasm = std::fs::read(path).map_err(|source| PluginError::Read {
        path: path.to_owned(),
        source,
    })?;
    let sha256 = cache::sha256_hex(&wasm);
    if let Some(expected) = expected
        && !expected.eq_ignore_ascii_case(&sha256)
    {
        return Err(PluginError::DigestMismatch {
            path: path.into(),
            expected: expected.to_string(),
            found: sha256,
        });
    }
    match wasm.get(..8) {
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => {
            return Err(PluginError::CoreModule { path: path.into() });
        }
        Some([0, b'a', b's', b'm', ..]) => {}
        _ => return Err(PluginError::NotWasm { path: path.into() }),
    }
    Ok((wasm, sha256))
}

fn new_instance(
    pre: &BindingsPre,
    limits: &Limits,
    state: SandboxState,
) -> wasmtime::Result<(Store<SandboxState>, Bindings)> {
    let mut store = Store::new(pre.engine(), state);
    store.limiter(|state| &mut state.limiter);
    store.epoch_deadline_trap();
    // What a plugin returns lives in its memory, so its memory cap bounds what one call can
    // hand back: the boundary's own budget (128 MiB by default) can then never run out first.
    store.set_hostcall_fuel(limits.max_memory);
    store.set_epoch_deadline(deadline_ticks(limits.call_timeout));
    let bindings = pre.instantiate(&mut store)?;
    store.data_mut().limiter.mark_initial();
    Ok((store, bindings))
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

    fn instantiate(&self) -> Result<Box<dyn Transform + '_>, TransformError> {
        Plugin::instantiate(self)
            .map(|instance| Box::new(instance) as Box<dyn Transform + '_>)
            .map_err(|e| TransformError::Instantiate {
                plugin: format!("{} ({})", self.manifest.name, self.path.display()),
                message: format!("{e:#}"),
            })
    }
}
