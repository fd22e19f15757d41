//! The query that reads a plugin's source rows from a warehouse table: only the manifest's
//! columns, only the window (on the raw time column, so the warehouse prunes partitions).

use chrono::NaiveDate;
use serde::Serialize;

use super::Warehouse;
use super::sql::{self, SqlError};
use crate::manifest::Manifest;
use crate::window::DateWindow;

/// What the source query template receives.
#[derive(Serialize)]
struct SourceQuery<'a> {
    plugin: &'a str,
    plugin_version: &'a str,
    table: &'a str,
    columns: Vec<String>,
    time_column: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    day_after_end: NaiveDate,
}

/// The checked table (`table`, else the manifest's) and the query over it in `window`.
pub fn source_query(
    warehouse: Warehouse,
    manifest: &Manifest,
    table: Option<&str>,
    window: &DateWindow,
) -> Result<(String, String), SqlError> {
    let table = warehouse.qualified_name("table", table.unwrap_or(&manifest.source.table))?;
    let spec = &manifest.source;
    let query = sql::render_owned(
        warehouse.template("source_query"),
        SourceQuery {
            plugin: &manifest.name,
            plugin_version: &manifest.version,
            table: &table,
            columns: (spec.columns.iter())
                .map(|c| warehouse.column(&c.name))
                .collect(),
            time_column: warehouse.column(&spec.time_column),
            start_date: window.start,
            end_date: window.end,
            day_after_end: window.day_after_end(),
        },
    )?;
    Ok((table, query))
}
