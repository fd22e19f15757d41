//! A plugin inside a warehouse: one table function (UDTF) per dataset running the very same
//! component through the Python runtime (`python/`), registered by `rechost register`, and the
//! pushdown job that applies them, reduces entity datasets and unloads the seed's layout.
//! Everything here is SQL text rendered from `sql/<warehouse>/*.sql.j2`.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::manifest::{DataType, DatasetSpec, Manifest, Reduction};
use crate::sql::{self, SqlError};
use crate::window::DateWindow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Warehouse {
    Snowflake,
    Databricks,
}

/// The handler modules inlined into each function's body (see `sql/HANDLERS.md`).
const SNOWFLAKE_HANDLER: &str = include_str!("../../sql/snowflake/handler.py");
const DATABRICKS_HANDLER: &str = include_str!("../../sql/databricks/handler.py");

impl Warehouse {
    fn type_name(self, data_type: DataType) -> &'static str {
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

    /// A column the function returns, quoted exactly (output names are case-sensitive, and
    /// some, like `TIMESTAMP`, are keywords).
    fn output_column(self, name: &str) -> String {
        match self {
            Warehouse::Snowflake => format!("\"{}\"", name.replace('"', "\"\"")),
            Warehouse::Databricks => format!("`{}`", name.replace('`', "``")),
        }
    }

    fn handler(self) -> &'static str {
        match self {
            Warehouse::Snowflake => SNOWFLAKE_HANDLER,
            Warehouse::Databricks => DATABRICKS_HANDLER,
        }
    }

    fn template(self, job: &str) -> String {
        format!("{}/{job}.sql", self.name())
    }

    pub fn name(self) -> &'static str {
        match self {
            Warehouse::Snowflake => "snowflake",
            Warehouse::Databricks => "databricks",
        }
    }
}

#[derive(Serialize)]
struct Column {
    name: String,
    #[serde(rename = "type")]
    type_name: &'static str,
}

#[derive(Serialize)]
struct Function {
    name: String,
    dataset: String,
    args: Vec<Column>,
    returns: Vec<Column>,
}

/// `rechost_<dataset>`, in `schema` when given (already a checked name).
pub fn function_name(schema: Option<&str>, dataset: &str) -> String {
    let name = sql::column(&format!("rechost_{dataset}"));
    match schema {
        Some(schema) => format!("{schema}.{name}"),
        None => name,
    }
}

fn functions(warehouse: Warehouse, manifest: &Manifest, schema: Option<&str>) -> Vec<Function> {
    manifest
        .datasets
        .iter()
        .map(|dataset| Function {
            name: function_name(schema, &dataset.name),
            dataset: dataset.name.clone(),
            args: manifest
                .source
                .columns
                .iter()
                .map(|c| Column {
                    name: sql::column(&c.name),
                    type_name: warehouse.type_name(c.data_type),
                })
                .collect(),
            returns: dataset
                .returned_columns()
                .map(|c| Column {
                    name: warehouse.output_column(&c.name),
                    type_name: warehouse.type_name(c.data_type),
                })
                .collect(),
        })
        .collect()
}

/// Where a warehouse finds the plugin and the runtime.
pub struct RegisterPlan<'a> {
    pub warehouse: Warehouse,
    pub manifest: &'a Manifest,
    pub sha256: &'a str,
    /// The local `.wasm` (Snowflake uploads it with PUT).
    pub wasm_path: &'a std::path::Path,
    /// Checked schema for the functions; `None`: the session's current schema.
    pub schema: Option<String>,
    /// Plugin options baked into every function.
    pub options: &'a [(String, String)],
    /// A pip requirement (`rechost-runtime==0.1.0`) or, on Databricks, a wheel path.
    pub runtime: String,
    /// Snowflake: the internal stage the plugin is uploaded to.
    pub stage: String,
    /// Snowflake: the Python runtime version of the functions.
    pub python_version: String,
    /// Databricks: the volume folder holding the plugin (`/Volumes/catalog/schema/volume`).
    pub volume: String,
}

#[derive(Serialize)]
struct RegisterContext<'a> {
    plugin: &'a str,
    plugin_version: &'a str,
    sha256: &'a str,
    wasm_path: String,
    wasm_file: String,
    stage: &'a str,
    stage_folder: &'a str,
    plugin_path: String,
    python_version: &'a str,
    runtime: &'a str,
    options: std::collections::BTreeMap<&'a str, &'a str>,
    handler: &'static str,
    functions: Vec<Function>,
}

fn checked_text(what: &'static str, text: &str) -> Result<(), SqlError> {
    // Text inside '...' or `...` literals and $$ bodies: no quote, no $$, no line break.
    if text.is_empty() || text.contains(['\'', '`', '\n', '\r', '\\']) || text.contains("$$") {
        return Err(SqlError::BadText {
            what,
            text: text.into(),
        });
    }
    Ok(())
}

/// The DDL that creates every dataset's function (and, on Snowflake, uploads the plugin).
pub fn register_sql(plan: &RegisterPlan<'_>) -> Result<String, SqlError> {
    let wasm_path = plan.wasm_path.to_string_lossy().into_owned();
    let wasm_file = plan
        .wasm_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin.wasm".into());
    checked_text("plugin path", &wasm_path)?;
    checked_text("runtime", &plan.runtime)?;
    match plan.warehouse {
        Warehouse::Snowflake => checked_text("python version", &plan.python_version)?,
        Warehouse::Databricks => checked_text("volume", &plan.volume)?,
    }
    // The handler becomes a $$ body: it must not end it early.
    if plan.warehouse.handler().contains("$$") {
        return Err(SqlError::BadText {
            what: "handler module (contains $$)",
            text: format!("sql/{}/handler.py", plan.warehouse.name()),
        });
    }
    for (name, value) in plan.options {
        checked_text("option", name)?;
        if value.contains("$$") {
            return Err(SqlError::BadText {
                what: "option value",
                text: value.clone(),
            });
        }
    }
    let stage = sql::qualified_name(&plan.stage)?;
    let context = RegisterContext {
        plugin: &plan.manifest.name,
        plugin_version: &plan.manifest.version,
        sha256: plan.sha256,
        plugin_path: format!("{}/{wasm_file}", plan.volume.trim_end_matches('/')),
        wasm_path: std::path::absolute(&wasm_path)
            .map_or(wasm_path.clone(), |p| p.to_string_lossy().into_owned()),
        wasm_file,
        stage: &stage,
        // One folder per plugin build: a new build never overwrites what running functions use.
        stage_folder: &plan.sha256[..plan.sha256.len().min(16)],
        python_version: &plan.python_version,
        runtime: &plan.runtime,
        options: plan
            .options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        handler: plan.warehouse.handler().trim_end(),
        functions: functions(plan.warehouse, plan.manifest, plan.schema.as_deref()),
    };
    sql::render_owned(plan.warehouse.template("register"), context)
}

/// Where a pushdown run reads and writes.
pub struct PushdownPlan<'a> {
    pub warehouse: Warehouse,
    pub manifest: &'a Manifest,
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
}

#[derive(Serialize)]
struct Entity {
    key: String,
    latest_by: Vec<String>,
}

#[derive(Serialize)]
struct PushdownDataset {
    name: String,
    function: String,
    rows_table: String,
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
    datasets: Vec<PushdownDataset>,
}

fn pushdown_dataset(
    plan: &PushdownPlan<'_>,
    index: usize,
    spec: &DatasetSpec,
) -> Result<PushdownDataset, SqlError> {
    let warehouse = plan.warehouse;
    let column = |name: &str| warehouse.output_column(name);
    let location = |file: &str| match warehouse {
        Warehouse::Snowflake if plan.out.starts_with('@') => {
            format!("{}/{}/{file}", plan.out.trim_end_matches('/'), spec.name)
        }
        _ => format!("'{}/{}/{file}'", plan.out.trim_end_matches('/'), spec.name),
    };
    let entity = match &spec.reduction {
        Reduction::Events => None,
        Reduction::Entity { key, latest_by, .. } => Some(Entity {
            key: column(key),
            latest_by: latest_by.iter().map(|c| column(&c.name)).collect(),
        }),
    };
    Ok(PushdownDataset {
        name: spec.name.clone(),
        function: function_name(plan.schema.as_deref(), &spec.name),
        rows_table: format!("rechost_rows_{}", index + 1),
        written: spec.columns.iter().map(|c| column(&c.name)).collect(),
        entity,
        csv_location: location("personalize-dataset.csv"),
        parquet_location: location("personalize-dataset.parquet"),
    })
}

/// The SQL of a pushdown run: every dataset computed and unloaded inside the warehouse.
pub fn pushdown_sql(plan: &PushdownPlan<'_>) -> Result<String, SqlError> {
    checked_text("output location", &plan.out)?;
    match plan.warehouse {
        Warehouse::Snowflake => {
            let is_stage = plan.out.starts_with('@')
                && sql::qualified_name(plan.out[1..].split('/').next().unwrap_or_default()).is_ok();
            let is_s3 = plan.out.starts_with("s3://") && plan.storage_integration.is_some();
            if !(is_stage || is_s3) {
                return Err(SqlError::BadText {
                    what: "Snowflake output (want @stage[/prefix], or s3://bucket/prefix with --storage-integration)",
                    text: plan.out.clone(),
                });
            }
        }
        Warehouse::Databricks => {}
    }
    let integration = match &plan.storage_integration {
        Some(name) => format!("\n  STORAGE_INTEGRATION = {}", sql::qualified_name(name)?),
        None => String::new(),
    };
    let source = &plan.manifest.source;
    let context = PushdownContext {
        plugin: &plan.manifest.name,
        plugin_version: &plan.manifest.version,
        table: &plan.table,
        columns: source
            .columns
            .iter()
            .map(|c| sql::column(&c.name))
            .collect(),
        time_column: sql::column(&source.time_column),
        start_date: plan.window.start,
        end_date: plan.window.end,
        day_after_end: plan
            .window
            .end
            .checked_add_days(Days::new(1))
            .unwrap_or(plan.window.end),
        out: plan.out.trim_end_matches('/'),
        storage_integration: integration,
        buckets_per_day: plan.buckets_per_day.max(1),
        datasets: plan
            .manifest
            .datasets
            .iter()
            .enumerate()
            .map(|(i, spec)| pushdown_dataset(plan, i, spec))
            .collect::<Result<_, _>>()?,
    };
    sql::render_owned(plan.warehouse.template("pushdown"), context)
}

/// Splits a script into statements at `;` line ends, outside quotes and `$$` bodies (for
/// running it through a client that takes one statement at a time).
pub fn statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut in_quote, mut in_body) = (false, false);
    for line in script.lines() {
        if current.is_empty() && line.trim_start().starts_with("--") {
            continue;
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' if !in_body => in_quote = !in_quote,
                '$' if !in_quote && chars.peek() == Some(&'$') => {
                    chars.next();
                    in_body = !in_body;
                    current.push('$');
                }
                _ => {}
            }
            current.push(c);
        }
        if !in_quote && !in_body && line.trim_end().ends_with(';') {
            let statement = current.trim().trim_end_matches(';').trim().to_string();
            if !statement.is_empty() {
                out.push(statement);
            }
            current.clear();
        } else {
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_outside_bodies_and_quotes() {
        let script = "-- header\nCREATE STAGE s;\nCREATE FUNCTION f()\nAS $$\nx = 1;\ny = ';'\n$$;\nCOPY INTO 'a;\nb' FROM t;\n";
        assert_eq!(
            statements(script),
            vec![
                "CREATE STAGE s",
                "CREATE FUNCTION f()\nAS $$\nx = 1;\ny = ';'\n$$",
                "COPY INTO 'a;\nb' FROM t",
            ]
        );
    }
}
