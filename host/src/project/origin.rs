//! Provenance: every resolved value knows where it came from, so `rechost config` can say
//! why a run will do what it does.

use super::ProjectError;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of the project file; `dbt` names the dbt variable it was written as.
    File {
        file: Arc<str>,
        line: usize,
        dbt: Option<&'static str>,
    },
    /// `${VAR}` on a line of the project file.
    Env {
        var: String,
        file: Arc<str>,
        line: usize,
    },
    /// A command-line flag, e.g. `--out`.
    Flag(&'static str),
    /// The plugin manifest's default (options).
    Manifest,
    /// rechost's default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                file,
                line,
                dbt: None,
            } => write!(f, "{file}:{line}"),
            Origin::File {
                file,
                line,
                dbt: Some(var),
            } => write!(f, "{file}:{line} (dbt variable {var})"),
            Origin::Env { var, file, line } => write!(f, "${{{var}}} at {file}:{line}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Manifest => f.write_str("plugin default"),
            Origin::Default => f.write_str("default"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved<T> {
    pub value: T,
    pub from: Origin,
}

impl<T> Resolved<T> {
    pub fn new(value: T, from: Origin) -> Self {
        Self { value, from }
    }

    pub fn default(value: T) -> Self {
        Self::new(value, Origin::Default)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Resolved<U> {
        Resolved::new(f(self.value), self.from)
    }
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// One of two spellings of a key (the rechost one, the dbt one); both is an error.
pub(super) fn either<T>(
    key: &str,
    first: Option<Resolved<T>>,
    second: Option<Resolved<T>>,
) -> Result<Option<Resolved<T>>, ProjectError> {
    match (first, second) {
        (Some(a), Some(b)) => Err(ProjectError::Conflict {
            key: key.into(),
            first: Box::new(a.from),
            second: Box::new(b.from),
        }),
        (a, b) => Ok(a.or(b)),
    }
}
