//! `rechost.toml` as written: plain serde structs, unknown keys refused. Values keep their
//! position (`Spanned`) so later checks can name the line. Nothing here is checked beyond
//! its TOML type: [`super::resolve`] turns this into the resolved form.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub type Text = Spanned<String>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProject {
    #[serde(default)]
    pub window: RawWindow,
    #[serde(default)]
    pub warehouse: RawWarehouse,
    #[serde(default)]
    pub output: RawOutput,
    /// One table per domain, e.g. `[domains.ecommerce]`.
    #[serde(default)]
    pub domains: BTreeMap<String, Spanned<RawDomain>>,
    /// The dbt package's variables under their dbt names (see [`super::dbt`]).
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<toml::Value>>,
}

/// The date window: both dates (UTC, inclusive) or the last N whole days before today.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    pub start_date: Option<Text>,
    pub end_date: Option<Text>,
    pub look_back_days: Option<Spanned<Count>>,
}

/// A count written as a number, or as a string (for `"${VAR}"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Count {
    Number(i64),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWarehouse {
    /// `files`, `snowflake` or `databricks`.
    #[serde(rename = "type")]
    pub kind: Option<Text>,
    /// Snowflake: a connection of connections.toml.
    pub connection: Option<Text>,
    /// Databricks: a profile of ~/.databrickscfg.
    pub profile: Option<Text>,
    /// Run the job inside the warehouse (`rechost register` functions).
    pub pushdown: Option<Spanned<bool>>,
    /// Schema of the registered functions.
    pub udf_schema: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// Local folder, `s3://bucket/prefix`, `@stage/prefix` or `/Volumes/...`.
    pub path: Option<Text>,
    pub s3_endpoint: Option<Text>,
    /// Snowflake storage integration for an `s3://` path with pushdown.
    pub storage_integration: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDomain {
    pub enabled: Option<Spanned<bool>>,
    pub plugin: Option<Text>,
    /// Hex sha256 the plugin file must have.
    pub sha256: Option<Text>,
    /// Datasets to write (default: all of the plugin's).
    pub export: Option<Spanned<Vec<Text>>>,
    /// Source files (warehouse type `files`).
    pub input: Option<Text>,
    /// Source table (warehouse types `snowflake`, `databricks`).
    pub table: Option<Text>,
    /// This domain's own window, over `[window]`.
    pub start_date: Option<Text>,
    pub end_date: Option<Text>,
    pub look_back_days: Option<Spanned<Count>>,
    /// Plugin options, `name = "value"`.
    #[serde(default)]
    pub options: BTreeMap<String, Text>,
}
