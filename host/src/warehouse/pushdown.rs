//! `rechost run --pushdown`: the window's rows through the plugin's all-datasets function
//! once (materialised: every dataset's rows, tagged), then each dataset split from it, entity
//! datasets reduced to their latest row per key, everything unloaded inside the warehouse.

use chrono::NaiveDate;
use serde::Serialize;

use super::Warehouse;
use super::register::all_datasets_function_name;
use super::sql::{self, SqlError};
use crate::manifest::tagged::{TAG_COLUMN, TaggedLayout};
use crate::manifest::{DatasetSpec, Reduction};
use crate::window::DateWindow;

/// Where a pushdown run reads and writes.
pub struct PushdownPlan<'a> {
    pub warehouse: Warehouse,
    pub manifest: &'a crate::manifest::Manifest,
    /// Checked source table.
    pub table: String,
    pub window: DateWindow,
    /// Checked schema of the registered functions.
    pub schema: Option<String>,
    /// Output root: Snowflake `@stage/prefix` or `s3://bucket/prefix` (with an integration);
    /// Databricks any path Spark can write (`s3://...`, `/Volumes/...`, a local folder).
    pub out: String,
    /// Snowflake: the storage integration for an `s3://` output.
    pub storage_integration: Option<String>,
    /// Snowflake: UDTF partitions per day of data.
    pub buckets_per_day: u32,
    /// The datasets to unload (`None`: every one). The plugin still computes all of them in
    /// its one pass, and each keeps its tag (its position in the whole manifest).
    pub exported: Option<&'a [String]>,
}

#[derive(Serialize)]
struct Entity {
    key: String,
    latest_by: Vec<String>,
}

#[derive(Serialize)]
struct PushdownDataset {
    name: String,
    /// The dataset's value of the tag column (its 1-based position in the manifest).
    tag: usize,
    rows_table: String,
    /// Its written columns out of the tagged rows: `"C"`, or `"C_2" AS "C"` when the union
    /// renamed a clashing column.
    written: Vec<String>,
    entity: Option<Entity>,
    csv_location: String,
    parquet_location: String,
}

#[derive(Serialize)]
struct PushdownContext<'a> {
    plugin: &'a str,
    plugin_version: &'a str,
    table: &'a str,
    columns: Vec<String>,
    time_column: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    day_after_end: NaiveDate,
    out: &'a str,
    storage_integration: String,
    buckets_per_day: u32,
    /// The all-datasets function and the tag column of its rows.
    all_function: String,
    tag_column: String,
    datasets: Vec<PushdownDataset>,
}

fn pushdown_dataset(
    plan: &PushdownPlan<'_>,
    out: &str,
    layout: &TaggedLayout,
    (index, exported_index): (usize, usize),
    spec: &DatasetSpec,
) -> Result<PushdownDataset, SqlError> {
    let warehouse = plan.warehouse;
    // The name of a returned column among the tagged rows' columns.
    let positions = &layout.positions[index];
    let union_name = |returned: usize| warehouse.quoted(&layout.columns[positions[returned]].name);
    let location = |file: &str| match warehouse {
        Warehouse::Snowflake if out.starts_with('@') => format!("{out}/{}/{file}", spec.name),
        _ => format!("'{out}/{}/{file}'", spec.name),
    };
    let entity = match &spec.reduction {
        Reduction::Events => None,
        Reduction::Entity { key_index, .. } => Some(Entity {
            key: union_name(*key_index),
            // Returned columns: the written ones, then latest-by.
            latest_by: (spec.columns.len()..positions.len())
                .map(union_name)
                .collect(),
        }),
    };
    let written = (spec.columns.iter().enumerate())
        .map(|(i, c)| {
            let (from, to) = (union_name(i), warehouse.quoted(&c.name));
            if from == to {
                to
            } else {
                format!("{from} AS {to}")
            }
        })
        .collect();
    Ok(PushdownDataset {
        name: spec.name.clone(),
        tag: index + 1,
        // Numbered among the exported datasets, as the readiness query over them reads them.
        rows_table: super::readiness::snowflake_rows_table(exported_index),
        written,
        entity,
        csv_location: location("personalize-dataset.csv"),
        parquet_location: location("personalize-dataset.parquet"),
    })
}

impl PushdownPlan<'_> {
    /// The manifest restricted to the datasets this run unloads: what its report covers.
    pub fn exported_manifest(&self) -> crate::manifest::Manifest {
        let mut manifest = self.manifest.clone();
        if let Some(names) = self.exported {
            manifest.datasets.retain(|d| names.contains(&d.name));
        }
        manifest
    }
}

/// `--out` checked for where it goes in the SQL: Snowflake `@stage[/prefix]` (the stage a
/// name, the prefix a location) or `s3://...` with a storage integration; Databricks any
/// location (inside string literals and a backquoted path).
fn output_location(plan: &PushdownPlan<'_>) -> Result<String, SqlError> {
    let out = plan.out.as_str();
    match plan.warehouse {
        Warehouse::Snowflake => {
            if let Some(stage_path) = out.strip_prefix('@') {
                let (stage, prefix) = stage_path.split_once('/').unwrap_or((stage_path, ""));
                let stage = Warehouse::Snowflake.qualified_name("stage", stage)?;
                if prefix.trim_matches('/').is_empty() {
                    return Ok(format!("@{stage}"));
                }
                return Ok(format!(
                    "@{stage}/{}",
                    sql::location("stage prefix", prefix)?
                ));
            }
            if out.starts_with("s3://") && plan.storage_integration.is_some() {
                return sql::location("output location", out);
            }
            Err(SqlError::BadText {
                what: "Snowflake output (want @stage[/prefix], or s3://bucket/prefix with --storage-integration)",
                text: out.to_string(),
            })
        }
        Warehouse::Databricks => sql::location("output location", out),
    }
}

/// The SQL of a pushdown run: every dataset computed and unloaded inside the warehouse.
pub fn pushdown_sql(plan: &PushdownPlan<'_>) -> Result<String, SqlError> {
    let out = output_location(plan)?;
    let integration = match &plan.storage_integration {
        Some(name) => format!(
            "\n  STORAGE_INTEGRATION = {}",
            Warehouse::Snowflake.qualified_name("storage integration", name)?
        ),
        None => String::new(),
    };
    let source = &plan.manifest.source;
    let layout = TaggedLayout::of(plan.manifest);
    let context = PushdownContext {
        plugin: &plan.manifest.name,
        plugin_version: &plan.manifest.version,
        table: &plan.table,
        columns: source
            .columns
            .iter()
            .map(|c| plan.warehouse.column(&c.name))
            .collect(),
        time_column: plan.warehouse.column(&source.time_column),
        start_date: plan.window.start,
        end_date: plan.window.end,
        day_after_end: plan.window.day_after_end(),
        out: &out,
        storage_integration: integration,
        buckets_per_day: plan.buckets_per_day.max(1),
        all_function: all_datasets_function_name(
            plan.warehouse,
            plan.schema.as_deref(),
            plan.manifest,
        ),
        tag_column: plan.warehouse.quoted(TAG_COLUMN),
        datasets: (plan.manifest.datasets.iter().enumerate())
            .filter(|(_, spec)| plan.exported.is_none_or(|names| names.contains(&spec.name)))
            .enumerate()
            .map(|(n, (i, spec))| pushdown_dataset(plan, &out, &layout, (i, n), spec))
            .collect::<Result<_, _>>()?,
    };
    sql::render_owned(plan.warehouse.template("pushdown"), context)
}
