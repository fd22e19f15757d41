//! Generated SQL: identifiers made safe, then the templates under `sql/` rendered with
//! minijinja. snowflake-api has no bind parameters, so nothing from a flag, a config file or
//! a plugin manifest reaches SQL text without passing [`identifier`] or being a typed date.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::manifest::SourceSpec;
use crate::window::DateWindow;

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(
        "{what} {text:?} is not a valid SQL identifier (letters, digits, _ and $, not starting with a digit; or a double-quoted identifier)"
    )]
    BadIdentifier { what: &'static str, text: String },
    #[error(
        "{what} {text:?} cannot be put in SQL (no quotes, backquotes, backslashes, line breaks or $$)"
    )]
    BadText { what: &'static str, text: String },
    #[error("cannot render the SQL template {template}: {message}")]
    Template { template: String, message: String },
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "snowflake/source_query.sql",
        include_str!("../../sql/snowflake/source_query.sql.j2"),
    ),
    (
        "snowflake/register.sql",
        include_str!("../../sql/snowflake/register.sql.j2"),
    ),
    (
        "snowflake/pushdown.sql",
        include_str!("../../sql/snowflake/pushdown.sql.j2"),
    ),
    (
        "databricks/source_query.sql",
        include_str!("../../sql/databricks/source_query.sql.j2"),
    ),
    (
        "databricks/register.sql",
        include_str!("../../sql/databricks/register.sql.j2"),
    ),
    (
        "databricks/pushdown.sql",
        include_str!("../../sql/databricks/pushdown.sql.j2"),
    ),
];

fn is_plain(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && text.len() <= 255
}

fn is_quoted(text: &str) -> bool {
    text.len() >= 3
        && text.starts_with('"')
        && text.ends_with('"')
        && text[1..text.len() - 1]
            .replace("\"\"", "")
            .find('"')
            .is_none()
}

/// An identifier as SQL text: a plain name stays unquoted (so it matches case-insensitively, as
/// the warehouse created it), an already double-quoted one is kept as written; anything else
/// is refused.
pub fn identifier(what: &'static str, text: &str) -> Result<String, SqlError> {
    if is_plain(text) || is_quoted(text) {
        Ok(text.to_string())
    } else {
        Err(SqlError::BadIdentifier {
            what,
            text: text.into(),
        })
    }
}

/// A column name from a plugin manifest: plain names unquoted, any other name quoted exactly
/// (`"` doubled), so no manifest can inject SQL.
pub fn column(name: &str) -> String {
    if is_plain(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `table`, `schema.table` or `database.schema.table`, each part validated; dots inside
/// quoted parts do not split.
pub fn qualified_name(text: &str) -> Result<String, SqlError> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in text.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                current.push(c);
            }
            '.' if !in_quotes => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    if parts.len() > 3 {
        return Err(SqlError::BadIdentifier {
            what: "table",
            text: text.into(),
        });
    }
    let parts = parts
        .iter()
        .map(|p| identifier("table", p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts.join("."))
}

fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("templates compiled into the binary parse");
    }
    env
}

/// Renders `template` (a name under `sql/`, without `.j2`).
pub fn render_owned(template: String, context: impl Serialize) -> Result<String, SqlError> {
    let rendered = environment()
        .get_template(&template)
        .and_then(|t| t.render(minijinja::value::Serde(&context)));
    rendered.map_err(|e| SqlError::Template {
        message: format!("{e:#}"),
        template,
    })
}

fn render(template: &str, context: impl Serialize) -> Result<String, SqlError> {
    render_owned(template.to_string(), context)
}

/// What the source query template receives.
#[derive(Serialize)]
struct SourceQuery<'a> {
    plugin: &'a str,
    plugin_version: &'a str,
    table: String,
    columns: Vec<String>,
    time_column: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    day_after_end: NaiveDate,
}

/// The Snowflake query for a plugin's source rows in `window`, from `table` (already a checked
/// [`qualified_name`]).
pub fn snowflake_source_query(
    plugin: (&str, &str),
    spec: &SourceSpec,
    table: &str,
    window: &DateWindow,
) -> Result<String, SqlError> {
    render(
        "snowflake/source_query.sql",
        SourceQuery {
            plugin: plugin.0,
            plugin_version: plugin.1,
            table: table.to_string(),
            columns: spec.columns.iter().map(|c| column(&c.name)).collect(),
            time_column: column(&spec.time_column),
            start_date: window.start,
            end_date: window.end,
            day_after_end: window
                .end
                .checked_add_days(Days::new(1))
                .unwrap_or(window.end),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(qualified_name("db.sch.t").unwrap(), "db.sch.t");
        assert_eq!(
            qualified_name(r#""My DB"."a.b".T_1$"#).unwrap(),
            r#""My DB"."a.b".T_1$"#
        );
        for bad in [
            "t; DROP TABLE x",
            "a.b.c.d",
            "1abc",
            "",
            "a..b",
            r#""a"b""#,
            "t--",
            "t'",
        ] {
            assert!(qualified_name(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(column("derived_tstamp"), "derived_tstamp");
        assert_eq!(column(r#"we"ird name"#), r#""we""ird name""#);
    }
}
