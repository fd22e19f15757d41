//! Where a pushdown run writes while it runs, and how its results become visible: datasets
//! are written under a staging folder of the output, moved into place only once every
//! statement succeeded (Databricks), and the readiness report written beside them.

use serde::Serialize;

use super::Warehouse;
use super::sql::{self, SqlError};
use crate::manifest::Manifest;

/// The folder prefix a run stages its datasets under, inside the output. Hidden (a leading
/// dot), so readers of the output folder skip it while it exists.
pub const STAGING_PREFIX: &str = ".rechost-staging-";

/// The staging folder of run `run_id` inside `out`.
pub fn staging_location(out: &str, run_id: &str) -> String {
    format!("{}/{STAGING_PREFIX}{run_id}", out.trim_end_matches('/'))
}

#[derive(Serialize)]
struct PublishContext<'a> {
    plugin: &'a str,
    plugin_version: &'a str,
    out: String,
    staging: String,
    datasets: Vec<&'a str>,
}

/// Databricks: the statements that copy each dataset from `staging` to `out/<dataset>/`.
pub fn publish_sql(manifest: &Manifest, staging: &str, out: &str) -> Result<String, SqlError> {
    let context = PublishContext {
        plugin: &manifest.name,
        plugin_version: &manifest.version,
        out: sql::location("output location", out)?,
        staging: sql::location("staging location", staging)?,
        datasets: manifest.datasets.iter().map(|d| d.name.as_str()).collect(),
    };
    sql::render_owned(Warehouse::Databricks.template("publish"), context)
}

#[derive(Serialize)]
struct WriteFileContext<'a> {
    plugin: &'a str,
    plugin_version: &'a str,
    file: &'a str,
    location: String,
    text: String,
    storage_integration: String,
}

/// Snowflake: the statement that writes `text` as the file `name` under `out` (`@stage[/prefix]`
/// or `s3://...` with `storage_integration`), through the warehouse itself (PUT is a
/// client-side upload to an internal stage only).
pub fn write_file_sql(
    manifest: &Manifest,
    out: &str,
    name: &str,
    text: &str,
    storage_integration: Option<&str>,
) -> Result<String, SqlError> {
    let out = out.trim_end_matches('/');
    let location = if let Some(stage_path) = out.strip_prefix('@') {
        let (stage, prefix) = stage_path.split_once('/').unwrap_or((stage_path, ""));
        let stage = Warehouse::Snowflake.qualified_name("stage", stage)?;
        match prefix.trim_matches('/') {
            "" => format!("@{stage}/{}", sql::location("file name", name)?),
            prefix => format!(
                "@{stage}/{}",
                sql::location("stage prefix", &format!("{prefix}/{name}"))?
            ),
        }
    } else {
        format!(
            "'{}'",
            sql::location("output location", &format!("{out}/{name}"))?
        )
    };
    let integration = match storage_integration {
        Some(name) if !out.starts_with('@') => format!(
            "\n  STORAGE_INTEGRATION = {}",
            Warehouse::Snowflake.qualified_name("storage integration", name)?
        ),
        _ => String::new(),
    };
    let context = WriteFileContext {
        plugin: &manifest.name,
        plugin_version: &manifest.version,
        file: name,
        location,
        text: string_literal(text),
        storage_integration: integration,
    };
    sql::render_owned(Warehouse::Snowflake.template("write_file"), context)
}

/// `text` as a Snowflake string literal: backslashes and single quotes escaped.
fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_is_a_hidden_folder_of_the_output() {
        assert_eq!(
            staging_location("/Volumes/c/s/v/out/", "r1"),
            "/Volumes/c/s/v/out/.rechost-staging-r1"
        );
    }

    #[test]
    fn text_is_escaped_for_snowflake() {
        assert_eq!(
            string_literal(r#"{"a": "it's \"x\""}"#),
            r#"'{"a": "it\'s \\"x\\""}'"#
        );
    }
}
