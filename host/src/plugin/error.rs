//! Why a plugin could not be loaded (errors during a call are [`crate::transform::TransformError`]).

use std::path::PathBuf;

use super::bindings::CONTRACT_INTERFACE;
use crate::manifest::ManifestError;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("cannot start the WebAssembly engine: {message}")]
    Engine { message: String },
    #[error(
        "{path} has sha256 {found}, but the pin expects {expected}: refusing a plugin that is not \
         the one pinned"
    )]
    DigestMismatch {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{path} imports {imports}, which rechost never grants a plugin; {hint}")]
    UngrantedImports {
        path: PathBuf,
        imports: String,
        hint: &'static str,
    },
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
    #[error(transparent)]
    Cache(super::cache::CacheError),
    #[error("cannot compile plugin {path}: {message}")]
    Compile { path: PathBuf, message: String },
    #[error(
        "{path} does not export `{CONTRACT_INTERFACE}` (exports: {exports}); it is not a rechost plugin"
    )]
    NotAPlugin { path: PathBuf, exports: String },
    #[error(
        "{path} implements contract {found}, but this rechost supports {supported}: rebuild the \
         plugin against a contract in wit/ or use a matching rechost"
    )]
    IncompatibleContract {
        path: PathBuf,
        found: String,
        supported: String,
    },
    #[error(
        "{path} exports {CONTRACT_INTERFACE}@{}.x, but not as {} defines it ({message}): rebuild \
         it against that file",
        version.major_minor(),
        version.wit_file()
    )]
    ContractMismatch {
        path: PathBuf,
        version: super::ContractVersion,
        message: String,
    },
    #[error("cannot instantiate plugin {path}: {message}")]
    Instantiate { path: PathBuf, message: String },
    #[error("plugin {path} returned an invalid manifest")]
    Manifest {
        path: PathBuf,
        #[source]
        source: ManifestError,
    },
}
