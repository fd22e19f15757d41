//! The readiness report of a pushdown run, computed inside the warehouse: one aggregate query
//! over the datasets just written (`sql/<warehouse>/readiness.sql.j2`) answers a few small
//! rows, which become the very report a local run writes ([`crate::readiness::Aggregates`]).

use serde::Serialize;

mod collect;

use collect::{Collector, StatRow};

use super::Warehouse;
use super::sql::{self, SqlError};
use crate::manifest::{ColumnRole, DataType, DatasetKind, DatasetSpec, Manifest};
use crate::readiness::Aggregates;
use crate::readiness::limits::{MAX_CATEGORICAL_CHARS, MAX_ID_CHARS};

/// Categories counted per categorical column, as many as a local run keeps.
const MAX_CATEGORIES: u64 = 100_000;

/// Where each dataset's rows are, for the aggregate query.
pub struct ReadinessPlan<'a> {
    pub warehouse: Warehouse,
    pub manifest: &'a Manifest,
    /// Per dataset of the manifest: what to read its rows from, as SQL (a table, or
    /// Databricks `` parquet.`<folder>` ``).
    pub relations: Vec<String>,
    /// Databricks: per dataset, the folder of its CSV part files (their sizes are read too).
    pub csv_folders: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadinessSqlError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[cfg(feature = "databricks")]
    #[error("reading the readiness statistics: {0}")]
    Databricks(#[from] super::databricks::DatabricksError),
    #[cfg(feature = "snowflake")]
    #[error("reading the readiness statistics: {0}")]
    Snowflake(#[from] super::snowflake::SnowflakeError),
    #[error("unexpected readiness statistics row {row:?}: {message}")]
    BadRow {
        row: Vec<Option<String>>,
        message: String,
    },
}

#[derive(Serialize)]
struct IdColumn {
    role: &'static str,
    column: String,
}

#[derive(Serialize)]
struct Categorical {
    slot: usize,
    column: String,
}

#[derive(Serialize)]
struct DatasetStats {
    index: usize,
    relation: String,
    ids: Vec<IdColumn>,
    categorical: Vec<Categorical>,
    interactions: bool,
    user: Option<String>,
    item: Option<String>,
    event_type: Option<String>,
    event_time: Option<String>,
    time_is_timestamp: bool,
    csv: Option<String>,
}

#[derive(Serialize)]
struct ReadinessContext<'a> {
    plugin: &'a str,
    plugin_version: &'a str,
    max_id_chars: usize,
    max_categorical_chars: usize,
    max_categories: u64,
    datasets: Vec<DatasetStats>,
}

/// The columns of `spec` the statistics need, by role (text columns only, as a local run).
fn dataset_stats(
    warehouse: Warehouse,
    index: usize,
    spec: &DatasetSpec,
    interactions: bool,
    relation: String,
    csv: Option<String>,
) -> DatasetStats {
    let text = |role: ColumnRole| {
        (spec.columns.iter())
            .find(|c| c.role == Some(role) && c.data_type == DataType::Utf8)
            .map(|c| warehouse.column(&c.name))
    };
    let time = (spec.columns.iter()).find(|c| {
        c.role == Some(ColumnRole::EventTime)
            && matches!(c.data_type, DataType::Int64 | DataType::Timestamp)
    });
    let ids = [
        ("USER_ID", ColumnRole::UserId),
        ("ITEM_ID", ColumnRole::ItemId),
    ]
    .into_iter()
    .filter_map(|(name, role)| text(role).map(|column| IdColumn { role: name, column }))
    .collect();
    let categorical = (spec.columns.iter())
        .filter(|c| c.categorical && c.data_type == DataType::Utf8)
        .enumerate()
        .map(|(slot, c)| Categorical {
            slot,
            column: warehouse.column(&c.name),
        })
        .collect();
    DatasetStats {
        index,
        relation,
        ids,
        categorical,
        interactions,
        user: text(ColumnRole::UserId),
        item: text(ColumnRole::ItemId),
        event_type: text(ColumnRole::EventType),
        event_time: time.map(|c| warehouse.column(&c.name)),
        time_is_timestamp: time.is_some_and(|c| c.data_type == DataType::Timestamp),
        csv,
    }
}

/// Snowflake: the temporary table the pushdown script unloads dataset `index` from (in the
/// script's session, so the statistics are those of exactly the rows unloaded).
pub fn snowflake_rows_table(index: usize) -> String {
    format!("rechost_rows_{}", index + 1)
}

/// The aggregate query of `plan`: rows of `(stat, dataset, k1, k2, n)`, all text.
pub fn readiness_sql(plan: &ReadinessPlan<'_>) -> Result<String, SqlError> {
    let interactions = interactions_index(plan.manifest);
    let datasets = (plan.manifest.datasets.iter().enumerate())
        .map(|(i, spec)| {
            let csv = match &plan.csv_folders {
                Some(folders) => Some(sql::location("CSV folder", &folders[i])?),
                None => None,
            };
            Ok(dataset_stats(
                plan.warehouse,
                i,
                spec,
                Some(i) == interactions,
                plan.relations[i].clone(),
                csv,
            ))
        })
        .collect::<Result<_, SqlError>>()?;
    let context = ReadinessContext {
        plugin: &plan.manifest.name,
        plugin_version: &plan.manifest.version,
        max_id_chars: MAX_ID_CHARS,
        max_categorical_chars: MAX_CATEGORICAL_CHARS,
        max_categories: MAX_CATEGORIES,
        datasets,
    };
    sql::render_owned(plan.warehouse.template("readiness"), context)
}

/// The dataset whose statistics the report shows: the first interactions dataset.
fn interactions_index(manifest: &Manifest) -> Option<usize> {
    (manifest.datasets.iter()).position(|d| d.kind == DatasetKind::Interactions)
}

/// The statistics of the query's rows. `import_from` names, per dataset, what to import
/// (relative to the output root) when its CSV sizes were read.
pub fn aggregates(
    manifest: &Manifest,
    rows: &[Vec<Option<String>>],
    import_from: &dyn Fn(&str, usize) -> String,
) -> Result<Aggregates, ReadinessSqlError> {
    let mut collector = Collector::new(manifest);
    for row in rows {
        collector.add(&StatRow(row))?;
    }
    Ok(collector.finish(import_from))
}

/// Databricks: the statistics of the datasets Spark wrote under `root` (`<root>/<dataset>/
/// parquet/` and `csv/`, as the pushdown script writes them).
#[cfg(feature = "databricks")]
pub fn databricks_aggregates(
    client: &super::databricks::Databricks,
    manifest: &Manifest,
    root: &str,
) -> Result<Aggregates, ReadinessSqlError> {
    let root = sql::location("output location", root)?;
    let folder = |name: &str, format: &str| format!("{root}/{name}/{format}");
    let query = readiness_sql(&ReadinessPlan {
        warehouse: Warehouse::Databricks,
        manifest,
        relations: (manifest.datasets.iter())
            .map(|d| format!("parquet.`{}`", folder(&d.name, "parquet")))
            .collect(),
        csv_folders: Some(
            manifest
                .datasets
                .iter()
                .map(|d| folder(&d.name, "csv"))
                .collect(),
        ),
    })?;
    let rows = client.query_inline(&query)?.rows;
    aggregates(manifest, &rows, &|name, _| format!("{name}/csv/"))
}

/// Snowflake: the statistics of the pushdown script's temporary tables, read in its session
/// (which the query consumes).
#[cfg(feature = "snowflake")]
pub fn snowflake_aggregates(
    session: super::snowflake::Snowflake,
    manifest: &Manifest,
) -> Result<Aggregates, ReadinessSqlError> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    let query = readiness_sql(&ReadinessPlan {
        warehouse: Warehouse::Snowflake,
        manifest,
        relations: (0..manifest.datasets.len())
            .map(snowflake_rows_table)
            .collect(),
        csv_folders: None,
    })?;
    let mut rows = Vec::new();
    for batch in session.query(&query)? {
        let batch = batch?;
        let columns = (batch.columns().iter())
            .map(|c| arrow_cast::cast(c, &arrow_schema::DataType::Utf8))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| super::snowflake::SnowflakeError::Result(e.to_string()))?;
        for row in 0..batch.num_rows() {
            rows.push(
                (columns.iter())
                    .map(|c| {
                        let c = c.as_string::<i32>();
                        c.is_valid(row).then(|| c.value(row).to_string())
                    })
                    .collect(),
            );
        }
    }
    aggregates(manifest, &rows, &|_, _| String::new())
}
