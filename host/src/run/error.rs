//! Why a run failed, and whether the previous output survived it.

use chrono::NaiveDate;

use crate::manifest::ManifestError;
use crate::plugin::PluginError;
use crate::sink::SinkError;
use crate::source::SourceError;
use crate::transform::TransformError;
use crate::window::DateWindow;

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
    #[error(transparent)]
    Reduce(#[from] crate::reduce::ReduceError),
    #[error(transparent)]
    Report(#[from] crate::readiness::html::HtmlError),
    #[error(transparent)]
    Readiness(#[from] crate::readiness::CountsError),
    #[error(
        "export list names `{name}`, which the plugin does not produce (its datasets: {known})"
    )]
    UnknownExport { name: String, known: String },
    #[error("plugin options")]
    Options(#[from] ManifestError),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("interrupted")]
    Interrupted,
    #[error("{0}")]
    NothingToWrite(NothingToWrite),
    #[error(
        "committing the output failed after {} was already replaced",
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

/// Why a run would write only empty datasets (refused unless empty output is allowed: empty
/// files replacing good ones are almost always a wrong window or the wrong input).
#[derive(Debug)]
pub struct NothingToWrite {
    pub rows_read: u64,
    pub rows_in_window: u64,
    pub window: DateWindow,
    /// The dates the input covers (UTC), when it has any time.
    pub input_dates: Option<(NaiveDate, NaiveDate)>,
}

impl std::fmt::Display for NothingToWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let window = format!("{} to {}", self.window.start, self.window.end);
        match (self.rows_read, self.rows_in_window, self.input_dates) {
            (0, _, _) => write!(f, "nothing to write: the input has no rows")?,
            (read, 0, Some((first, last))) => write!(
                f,
                "nothing to write: none of the {read} rows read is in the window {window}; the \
                 input's dates run from {first} to {last}"
            )?,
            (read, 0, None) => write!(
                f,
                "nothing to write: none of the {read} rows read has a time in the window {window}"
            )?,
            (_, in_window, _) => write!(
                f,
                "nothing to write: the plugin kept none of the {in_window} rows in the window {window}"
            )?,
        }
        write!(
            f,
            " (set the window with --start-date/--end-date or --look-back-days, or pass \
             --allow-empty to write empty datasets)"
        )
    }
}
