//! Warehouses: what each provides (its SQL dialect, source query, the DDL that registers a
//! plugin as table functions, the pushdown script, a statement runner) and one folder per
//! warehouse client. A plugin inside a warehouse is one table function (UDTF) per dataset
//! running the very same component through the Python runtime (`python/`).

#[cfg(feature = "databricks")]
pub mod databricks;
mod publish;
mod pushdown;
pub mod readiness;
mod register;
mod script;
#[cfg(feature = "snowflake")]
pub mod snowflake;
mod source_query;
pub mod sql;

use serde::Serialize;

pub use publish::{STAGING_PREFIX, publish_sql, staging_location, write_file_sql};
pub use pushdown::{PushdownPlan, pushdown_sql};
pub use register::{RegisterPlan, function_name, register_sql};
pub use script::{StatementRunner, run_script, statements};
pub use source_query::source_query;
pub use sql::SqlError;

use crate::manifest::DataType;

/// The handler modules inlined into each function's body (see `sql/HANDLERS.md`).
const SNOWFLAKE_HANDLER: &str = include_str!("../../../sql/snowflake/handler.py");
const DATABRICKS_HANDLER: &str = include_str!("../../../sql/databricks/handler.py");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Warehouse {
    Snowflake,
    Databricks,
}

impl Warehouse {
    pub(crate) fn type_name(self, data_type: DataType) -> &'static str {
        match (self, data_type) {
            (Warehouse::Snowflake, DataType::Utf8) => "VARCHAR",
            (Warehouse::Snowflake, DataType::Int64) => "NUMBER(38, 0)",
            (Warehouse::Snowflake, DataType::Float64) => "FLOAT",
            (Warehouse::Snowflake, DataType::Boolean) => "BOOLEAN",
            (Warehouse::Snowflake, DataType::Timestamp) => "TIMESTAMP_NTZ",
            (Warehouse::Databricks, DataType::Utf8) => "STRING",
            (Warehouse::Databricks, DataType::Int64) => "BIGINT",
            (Warehouse::Databricks, DataType::Float64) => "DOUBLE",
            (Warehouse::Databricks, DataType::Boolean) => "BOOLEAN",
            (Warehouse::Databricks, DataType::Timestamp) => "TIMESTAMP_NTZ",
        }
    }

    /// A name quoted exactly in this warehouse's dialect (output names are case-sensitive, and
    /// some, like `TIMESTAMP`, are keywords): Snowflake `"..."`, Databricks/Spark `` `...` ``
    /// (Spark reads `"..."` as a string literal).
    pub fn quoted(self, name: &str) -> String {
        let quote = self.quote_char();
        format!(
            "{quote}{}{quote}",
            name.replace(quote, &format!("{quote}{quote}"))
        )
    }

    /// `table`, `schema.table` or `catalog.schema.table` from a flag or a manifest, each part a
    /// plain name or quoted in this dialect's quotes (without line breaks); anything else is
    /// refused.
    pub fn qualified_name(self, what: &'static str, text: &str) -> Result<String, SqlError> {
        sql::qualified_name(what, text, self.quote_char())
    }

    fn quote_char(self) -> char {
        match self {
            Warehouse::Snowflake => '"',
            Warehouse::Databricks => '`',
        }
    }

    /// A column name from a plugin manifest: a plain name stays unquoted (so it matches
    /// case-insensitively, as the warehouse created it), any other name is quoted exactly.
    pub fn column(self, name: &str) -> String {
        if sql::is_plain(name) {
            name.to_string()
        } else {
            self.quoted(name)
        }
    }

    pub(crate) fn handler(self) -> &'static str {
        match self {
            Warehouse::Snowflake => SNOWFLAKE_HANDLER,
            Warehouse::Databricks => DATABRICKS_HANDLER,
        }
    }

    pub(crate) fn template(self, job: &str) -> String {
        format!("{}/{job}.sql", self.name())
    }

    pub fn name(self) -> &'static str {
        match self {
            Warehouse::Snowflake => "snowflake",
            Warehouse::Databricks => "databricks",
        }
    }
}
