//! Rows straight from a Databricks table: the query rendered from the manifest
//! (`sql/databricks/source_query.sql.j2`: only its columns, only the window), its Arrow result
//! streamed chunk by chunk, then the same shaping as every source, re-batched to the
//! pipeline's batch size.

use arrow_array::RecordBatch;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::{Databricks, DatabricksError, ProgressFn, ResultStream, Settings};
use crate::manifest::{Manifest, SourceSpec};
use crate::source::{Batches, OpenSource, Source, SourceError, warehouse_batches};
use crate::warehouse::{Warehouse, source_query};
use crate::window::DateWindow;

/// `--source databricks`: a table (default: the one the plugin's manifest names) read through
/// the settings' SQL warehouse.
#[derive(Clone)]
pub struct DatabricksTable {
    pub settings: Box<Settings>,
    pub table: Option<String>,
    /// Told while the query waits for its warehouse (the CLI's progress line).
    pub progress: Option<ProgressFn>,
    /// The run's interrupt flag (Ctrl-C): cancels the query while it waits or runs.
    pub interrupt: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for DatabricksTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabricksTable")
            .field("settings", &self.settings)
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl OpenSource for DatabricksTable {
    fn open(
        &self,
        manifest: &Manifest,
        window: &DateWindow,
        batch_rows: usize,
    ) -> Result<Box<dyn Source>, SourceError> {
        let warehouse = |e: DatabricksError| SourceError::Warehouse(Box::new(e));
        let (table, query) = source_query(
            Warehouse::Databricks,
            manifest,
            self.table.as_deref(),
            window,
        )
        .map_err(|e| SourceError::Warehouse(Box::new(e)))?;
        let mut client = Databricks::connect(&self.settings).map_err(warehouse)?;
        if let Some(report) = self.progress.clone() {
            client = client.with_progress(move |p| report(p));
        }
        if let Some(flag) = self.interrupt.clone() {
            client = client.with_interrupt(flag);
        }
        let source = DatabricksSource::open(&client, &table, &query, &manifest.source, batch_rows)
            .map_err(warehouse)?;
        Ok(Box::new(source))
    }
}

pub struct DatabricksSource {
    table: String,
    spec: SourceSpec,
    rows: ResultStream,
    batch_size: usize,
}

impl DatabricksSource {
    /// Runs `query` (from [`source_query`]) on `client`'s warehouse; rows are downloaded as
    /// the batches are consumed.
    pub fn open(
        client: &Databricks,
        table: &str,
        query: &str,
        spec: &SourceSpec,
        batch_size: usize,
    ) -> Result<Self, DatabricksError> {
        Ok(Self {
            table: table.to_string(),
            spec: spec.clone(),
            rows: client.query(query)?,
            batch_size: batch_size.max(1),
        })
    }
}

impl Source for DatabricksSource {
    fn describe(&self) -> String {
        format!("databricks:{}", self.table)
    }

    fn row_count_hint(&self) -> Option<u64> {
        self.rows.total_rows
    }

    fn into_batches(self: Box<Self>) -> Batches {
        let DatabricksSource {
            table,
            spec,
            rows,
            batch_size,
        } = *self;
        let origin = PathBuf::from(format!("databricks:{table}"));
        // Databricks' Arrow is plain already.
        let plain = |batch: &RecordBatch| Ok(batch.clone());
        warehouse_batches(rows, origin, &spec, batch_size, "Databricks Arrow", plain)
    }
}
