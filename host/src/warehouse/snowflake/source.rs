//! Rows straight from Snowflake: the query generated from the manifest (only its columns, only
//! the window), its Arrow result streamed chunk by chunk, Snowflake's encodings made plain, then
//! the same normalisation as files, in batches of the pipeline's size.

use std::path::PathBuf;

use super::{ConnectionSettings, ResultStream, Snowflake, SnowflakeError};
use crate::manifest::{Manifest, SourceSpec};
use crate::source::{Batches, OpenSource, Source, SourceError, rebatched, shape};
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
        // Names the table in messages, where a file source names the file.
        let origin = PathBuf::from(format!("snowflake:{table}"));
        let mut next_row = 1u64;
        let shaped_spec = spec.clone();
        let shaped_origin = origin.clone();
        let shaped = rows.map(move |raw| {
            let raw = raw.map_err(|e| SourceError::Warehouse(Box::new(e)))?;
            let first_row = next_row;
            next_row += raw.num_rows() as u64;
            let plain = super::arrow::to_plain(&raw).map_err(|e| SourceError::Unreadable {
                file: shaped_origin.clone(),
                format: "Snowflake Arrow",
                message: e.to_string(),
            })?;
            shape(&shaped_origin, &shaped_spec, &plain, first_row)
        });
        rebatched(shaped, &spec, batch_size, origin, "Snowflake Arrow")
    }
}
