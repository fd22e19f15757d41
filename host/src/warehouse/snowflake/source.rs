//! Rows straight from Snowflake: the query generated from the manifest (only its columns, only
//! the window), its Arrow result streamed chunk by chunk, Snowflake's encodings made plain, then
//! the same normalisation as files, in batches of the pipeline's size.

use std::path::PathBuf;

use super::{ConnectionSettings, ResultStream, Snowflake, SnowflakeError};
use crate::manifest::{Manifest, SourceSpec};
use crate::source::{Batches, OpenSource, Source, SourceError, warehouse_batches};
use crate::warehouse::{Warehouse, source_query};
use crate::window::DateWindow;

/// `--source snowflake`: a table (default: the one the plugin's manifest names).
#[derive(Debug, Clone)]
pub struct SnowflakeTable {
    pub connection: Box<ConnectionSettings>,
    pub table: Option<String>,
}

impl OpenSource for SnowflakeTable {
    fn open(
        &self,
        manifest: &Manifest,
        window: &DateWindow,
        batch_rows: usize,
    ) -> Result<Box<dyn Source>, SourceError> {
        let (table, query) = source_query(
            Warehouse::Snowflake,
            manifest,
            self.table.as_deref(),
            window,
        )
        .map_err(|e| SourceError::Warehouse(Box::new(e)))?;
        let source = SnowflakeSource::open(
            &self.connection,
            &table,
            &query,
            &manifest.source,
            batch_rows,
        )
        .map_err(|e| SourceError::Warehouse(Box::new(e)))?;
        Ok(Box::new(source))
    }
}

pub struct SnowflakeSource {
    table: String,
    spec: SourceSpec,
    rows: ResultStream,
    batch_size: usize,
}

impl SnowflakeSource {
    /// Logs in and runs `query` (from [`source_query`]); rows are read as the batches are
    /// consumed.
    pub fn open(
        settings: &ConnectionSettings,
        table: &str,
        query: &str,
        spec: &SourceSpec,
        batch_size: usize,
    ) -> Result<Self, SnowflakeError> {
        let with_table = |error: SnowflakeError| match error {
            SnowflakeError::Query { code, message } => SnowflakeError::Query {
                code,
                message: format!("reading {table}: {message}"),
            },
            other => other,
        };
        let rows = Snowflake::connect(settings)
            .and_then(|session| session.query(query))
            .map_err(with_table)?;
        Ok(Self {
            table: table.to_string(),
            spec: spec.clone(),
            rows,
            batch_size,
        })
    }
}

impl Source for SnowflakeSource {
    fn describe(&self) -> String {
        format!("snowflake:{}", self.table)
    }

    fn row_count_hint(&self) -> Option<u64> {
        self.rows.total_rows
    }

    fn into_batches(self: Box<Self>) -> Batches {
        let SnowflakeSource {
            table,
            spec,
            rows,
            batch_size,
        } = *self;
        let origin = PathBuf::from(format!("snowflake:{table}"));
        let plain = super::arrow::to_plain;
        warehouse_batches(rows, origin, &spec, batch_size, "Snowflake Arrow", plain)
    }
}
