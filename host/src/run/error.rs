//! Why a run failed, and whether the previous output survived it.

use crate::manifest::ManifestError;
use crate::plugin::PluginError;
use crate::sink::SinkError;
use crate::source::SourceError;
use crate::transform::TransformError;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error(transparent)]
    Transform(#[from] TransformError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("plugin options: {0}")]
    Options(#[from] ManifestError),
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
