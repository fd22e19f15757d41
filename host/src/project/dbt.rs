//! The dbt package's variables (snowplow/dbt-snowplow-recommendations, `vars:` of
//! `dbt_project.yml`), accepted under `[vars]` by their dbt names where they map one to one
//! onto a `rechost.toml` key. This table is the only place the mapping is written; the
//! README's table is checked against it.

use std::collections::BTreeMap;
use toml::Spanned;

/// Where a dbt variable lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `output.path`, the value prefixed (`@` turns a stage name into a stage path).
    OutputPath { prefix: &'static str },
    /// Every enabled domain's `export`: each name goes to the domain whose plugin has it.
    Export,
    /// `window.look_back_days`.
    LookBack,
    /// A key of `[domains.<domain>]`.
    Domain(&'static str, DomainKey),
    /// Refused, with the reason.
    Unsupported(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainKey {
    Table,
    StartDate,
    EndDate,
    LookBackDays,
    PluginOption(&'static str),
}

pub struct DbtVariable {
    pub name: &'static str,
    pub target: Target,
    /// The `rechost.toml` key, as documented (empty for refused variables).
    pub key: &'static str,
}

const fn var(name: &'static str, target: Target, key: &'static str) -> DbtVariable {
    DbtVariable { name, target, key }
}

use DomainKey::{EndDate, LookBackDays, PluginOption, StartDate, Table};
use Target::{Domain, Export, LookBack, OutputPath, Unsupported};

pub const DBT_VARIABLES: &[DbtVariable] = &[
    var("tables_to_export", Export, "domains.<domain>.export"),
    var(
        "snowflake_stage_name",
        OutputPath { prefix: "@" },
        "output.path = \"@<stage>\"",
    ),
    var("s3_bucket", OutputPath { prefix: "" }, "output.path"),
    var(
        "ecommerce_product_source",
        Domain("ecommerce", Table),
        "domains.ecommerce.table",
    ),
    var(
        "ecommerce_start_date",
        Domain("ecommerce", StartDate),
        "domains.ecommerce.start_date",
    ),
    var(
        "ecommerce_end_date",
        Domain("ecommerce", EndDate),
        "domains.ecommerce.end_date",
    ),
    var(
        "ecommerce_look_back_days",
        Domain("ecommerce", LookBackDays),
        "domains.ecommerce.look_back_days",
    ),
    var(
        "ecommerce_product_categories_separator",
        Domain("ecommerce", PluginOption("category-separator")),
        "domains.ecommerce.options.category-separator",
    ),
    var(
        "media_player_source",
        Domain("media", Table),
        "domains.media.table",
    ),
    var(
        "media_start_date",
        Domain("media", StartDate),
        "domains.media.start_date",
    ),
    var(
        "media_end_date",
        Domain("media", EndDate),
        "domains.media.end_date",
    ),
    var(
        "media_look_back_days",
        Domain("media", LookBackDays),
        "domains.media.look_back_days",
    ),
    var("look_back_days", LookBack, "window.look_back_days"),
    var(
        "external_catalog",
        Unsupported(
            "rechost writes files, not Databricks external tables; set output.path to the \
             external location instead",
        ),
        "",
    ),
];

/// A `[vars]` entry, matched to its table row.
pub struct Assignment {
    pub var: &'static DbtVariable,
    pub value: Spanned<toml::Value>,
}

/// A `[vars]` entry that is not in the table or is refused: (offset, message).
pub type Refusal = (usize, String);

/// Matches each `[vars]` entry to its row.
pub fn assignments(
    vars: &BTreeMap<String, Spanned<toml::Value>>,
) -> Result<Vec<Assignment>, Refusal> {
    vars.iter()
        .map(|(name, value)| {
            let Some(var) = DBT_VARIABLES.iter().find(|v| v.name == name) else {
                let known: Vec<&str> = DBT_VARIABLES.iter().map(|v| v.name).collect();
                return Err((
                    value.span().start,
                    format!(
                        "unknown dbt variable `{name}` in [vars], expected one of {}",
                        known.join(", ")
                    ),
                ));
            };
            if let Unsupported(reason) = var.target {
                return Err((
                    value.span().start,
                    format!("dbt variable `{name}`: {reason}"),
                ));
            }
            Ok(Assignment {
                var,
                value: value.clone(),
            })
        })
        .collect()
}

/// The assignment for `target`, if `[vars]` has one.
pub fn find(assignments: &[Assignment], target: Target) -> Option<&Assignment> {
    assignments.iter().find(|a| a.var.target == target)
}
