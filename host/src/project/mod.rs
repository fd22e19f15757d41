//! The project file, `rechost.toml`: every domain of a deployment (plugin, options, datasets
//! to export, source) and the settings they share (window, warehouse, output), so one
//! `rechost run` does what one `dbt run` of the dbt package does.
//!
//! Three stages, as in Spin's manifest handling: [`raw`] is the file as written (serde,
//! unknown keys refused with their line); [`resolve`] checks it, expands `${VAR}`, applies
//! the dbt variable names ([`dbt`]) and command-line overrides, and records where every value
//! came from ([`Origin`]); [`lock`] checks each domain against its plugin's manifest. Runs
//! consume only the locked form. Secrets are refused ([`secrets`]).

pub mod dbt;
mod domain;
mod interpolate;
pub mod lock;
mod origin;
mod overrides;
pub mod raw;
mod reader;
pub mod resolve;
mod secrets;
pub mod template;

pub use lock::{LockedDomain, lock};
pub use origin::{Origin, Resolved};
pub use overrides::Overrides;
pub use resolve::{load, resolve};

use chrono::NaiveDate;
use serde::Serialize;
use std::path::PathBuf;

/// The file `rechost run` and `rechost config` read when given no `--config`.
pub const DEFAULT_FILE: &str = "rechost.toml";

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax, a wrong type, an unknown or missing key.
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: String,
        line: usize,
        message: String,
    },
    #[error(
        "{file}:{line}: `{key}` {what}: secrets never go in the project file; keep them in \
         connections.toml or SNOWFLAKE_* variables (Snowflake), ~/.databrickscfg (Databricks) \
         or the AWS credential chain (S3)"
    )]
    Secret {
        file: String,
        line: usize,
        key: String,
        what: &'static str,
    },
    #[error("{at}: {message}")]
    Invalid { at: Origin, message: String },
    #[error("{key} is set twice: at {first} and at {second} (keep one)")]
    Conflict {
        key: String,
        // Boxed: origins are large and errors travel in every `Result` here.
        first: Box<Origin>,
        second: Box<Origin>,
    },
    #[error("{file}: no enabled domain (add [domains.<name>] with plugin = \"...\")")]
    NoDomain { file: String },
    #[error("domain {domain}: {plugin} has sha256 {actual}, but {at} pins {expected}")]
    PinMismatch {
        domain: String,
        plugin: PathBuf,
        expected: String,
        actual: String,
        at: Box<Origin>,
    },
}

/// Where rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WarehouseKind {
    Files,
    Snowflake,
    Databricks,
}

impl WarehouseKind {
    const ALL: [Self; 3] = [Self::Files, Self::Snowflake, Self::Databricks];

    /// As written in `warehouse.type`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Files => "files",
            Self::Snowflake => "snowflake",
            Self::Databricks => "databricks",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == text)
    }
}

/// The date window before today is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowSpec {
    Dates { start: NaiveDate, end: NaiveDate },
    LookBackDays(u32),
}

/// Where the datasets go, by the form of `output.path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputTarget {
    Local(PathBuf),
    S3(String),
    /// `@stage[/prefix]`: Snowflake unloads there (pushdown).
    SnowflakeStage(String),
    /// `/Volumes/...`: Databricks writes there (pushdown).
    DatabricksVolume(String),
}

impl OutputTarget {
    /// The path as `--out` takes it.
    pub fn as_out(&self) -> String {
        match self {
            OutputTarget::Local(path) => path.display().to_string(),
            OutputTarget::S3(p) | OutputTarget::SnowflakeStage(p) => p.clone(),
            OutputTarget::DatabricksVolume(p) => p.clone(),
        }
    }
}

/// Where a domain's rows come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainSource {
    /// Files, folder or glob (relative to the project file's folder).
    Files(String),
    /// A warehouse table; `None`: the plugin's table in the connection's schema.
    Table(Option<String>),
}

/// The project, resolved and checked (before the plugins are loaded).
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub file: PathBuf,
    pub warehouse: Resolved<WarehouseKind>,
    pub connection: Option<Resolved<String>>,
    pub profile: Option<Resolved<String>>,
    pub pushdown: Resolved<bool>,
    pub udf_schema: Option<Resolved<String>>,
    pub output: Option<Resolved<OutputTarget>>,
    pub s3_endpoint: Option<Resolved<String>>,
    pub storage_integration: Option<Resolved<String>>,
    /// dbt's `tables_to_export`, split among the domains when their plugins are loaded.
    pub tables_to_export: Option<Resolved<Vec<String>>>,
    pub domains: Vec<Domain>,
    /// Declared with `enabled = false`.
    pub disabled: Vec<Resolved<String>>,
}

/// One enabled domain.
#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub name: String,
    pub plugin: Resolved<PathBuf>,
    pub sha256: Option<Resolved<String>>,
    /// `None`: every dataset of the plugin (or its share of `tables_to_export`).
    pub export: Option<Resolved<Vec<String>>>,
    pub source: Resolved<DomainSource>,
    pub window: Resolved<WindowSpec>,
    /// Options given in the file (the plugin's defaults are added when locking).
    pub options: Vec<Resolved<(String, String)>>,
}

#[cfg(test)]
mod tests;
