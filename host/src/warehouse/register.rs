//! `rechost register`: the DDL that creates every dataset's table function (and, on
//! Snowflake, uploads the plugin).

use serde::Serialize;

use super::Warehouse;
use super::sql::{self, SqlError};
use crate::manifest::tagged::{TAG_COLUMN, TaggedLayout};
use crate::manifest::{DataType, Manifest};

#[derive(Serialize)]
struct Column {
    name: String,
    #[serde(rename = "type")]
    type_name: &'static str,
}

#[derive(Serialize)]
struct Function {
    name: String,
    /// `None`: the all-datasets function (rows tagged with their dataset).
    dataset: Option<String>,
    args: Vec<Column>,
    returns: Vec<Column>,
}

/// `rechost_<dataset>`, in `schema` when given (already a checked name).
pub fn function_name(warehouse: Warehouse, schema: Option<&str>, dataset: &str) -> String {
    in_schema(schema, warehouse.column(&format!("rechost_{dataset}")))
}

/// `rechost_<plugin name>_all_datasets` (`-` and `.` as `_`): the function returning every
/// dataset's rows tagged with the dataset's position ([`TaggedLayout`]), which the pushdown
/// runs once.
pub fn all_datasets_function_name(
    warehouse: Warehouse,
    schema: Option<&str>,
    manifest: &Manifest,
) -> String {
    let plugin = manifest.name.replace(['-', '.'], "_");
    in_schema(
        schema,
        warehouse.column(&format!("rechost_{plugin}_all_datasets")),
    )
}

fn in_schema(schema: Option<&str>, name: String) -> String {
    match schema {
        Some(schema) => format!("{schema}.{name}"),
        None => name,
    }
}

fn functions(warehouse: Warehouse, manifest: &Manifest, schema: Option<&str>) -> Vec<Function> {
    let args = || {
        (manifest.source.columns.iter())
            .map(|c| Column {
                name: warehouse.column(&c.name),
                type_name: warehouse.type_name(c.data_type),
            })
            .collect()
    };
    let returns = |columns: &mut dyn Iterator<Item = (&str, DataType)>| {
        columns
            .map(|(name, data_type)| Column {
                name: warehouse.quoted(name),
                type_name: warehouse.type_name(data_type),
            })
            .collect()
    };
    let mut functions: Vec<Function> = (manifest.datasets.iter())
        .map(|dataset| Function {
            name: function_name(warehouse, schema, &dataset.name),
            dataset: Some(dataset.name.clone()),
            args: args(),
            returns: returns(
                &mut dataset
                    .returned_columns()
                    .map(|c| (c.name.as_str(), c.data_type)),
            ),
        })
        .collect();
    // The pushdown's function: every dataset in one pass over the source rows.
    let layout = TaggedLayout::of(manifest);
    let tag = std::iter::once((TAG_COLUMN, DataType::Int64));
    functions.push(Function {
        name: all_datasets_function_name(warehouse, schema, manifest),
        dataset: None,
        args: args(),
        returns: returns(
            &mut tag.chain(
                layout
                    .columns
                    .iter()
                    .map(|c| (c.name.as_str(), c.data_type)),
            ),
        ),
    });
    functions
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

pub(super) fn checked_text(what: &'static str, text: &str) -> Result<(), SqlError> {
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
    let stage = Warehouse::Snowflake.qualified_name("stage", &plan.stage)?;
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
