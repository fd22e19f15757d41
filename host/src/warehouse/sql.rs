//! Generated SQL: identifiers validated, then the templates under `sql/` rendered with
//! minijinja. snowflake-api has no bind parameters, so nothing from a flag, a config file or
//! a plugin manifest reaches SQL text without passing [`identifier`], being quoted for its
//! dialect ([`super::Warehouse::quoted`]) or being a typed date.

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(
        "{what} {text:?} is not a valid SQL identifier (letters, digits, _ and $, not starting with a digit; or quoted in the warehouse's quotes, without line breaks)"
    )]
    BadIdentifier { what: &'static str, text: String },
    #[error(
        "{what} {text:?} cannot be put in SQL (no quotes, backquotes, backslashes, line breaks or $$)"
    )]
    BadText { what: &'static str, text: String },
    #[error(
        "{what} {text:?} is not a location rechost can put in SQL (letters, digits and / _ - . = @ :)"
    )]
    BadLocation { what: &'static str, text: String },
    #[error("cannot render the SQL template {template}: {message}")]
    Template { template: String, message: String },
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "snowflake/source_query.sql",
        include_str!("../../../sql/snowflake/source_query.sql.j2"),
    ),
    (
        "snowflake/register.sql",
        include_str!("../../../sql/snowflake/register.sql.j2"),
    ),
    (
        "snowflake/pushdown.sql",
        include_str!("../../../sql/snowflake/pushdown.sql.j2"),
    ),
    (
        "databricks/source_query.sql",
        include_str!("../../../sql/databricks/source_query.sql.j2"),
    ),
    (
        "databricks/register.sql",
        include_str!("../../../sql/databricks/register.sql.j2"),
    ),
    (
        "databricks/pushdown.sql",
        include_str!("../../../sql/databricks/pushdown.sql.j2"),
    ),
    (
        "snowflake/readiness.sql",
        include_str!("../../../sql/snowflake/readiness.sql.j2"),
    ),
    (
        "snowflake/write_file.sql",
        include_str!("../../../sql/snowflake/write_file.sql.j2"),
    ),
    (
        "databricks/readiness.sql",
        include_str!("../../../sql/databricks/readiness.sql.j2"),
    ),
    (
        "databricks/publish.sql",
        include_str!("../../../sql/databricks/publish.sql.j2"),
    ),
];

pub(crate) fn is_plain(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && text.len() <= 255
}

/// A quoted identifier in the dialect's quote character, with inner quotes doubled and no
/// control character (a line break would end a `--` comment line it is echoed in).
fn is_quoted(text: &str, quote: char) -> bool {
    let inner = text
        .strip_prefix(quote)
        .and_then(|rest| rest.strip_suffix(quote))
        .unwrap_or_default();
    !inner.is_empty()
        && !inner.chars().any(char::is_control)
        && !inner
            .replace(&format!("{quote}{quote}"), "")
            .contains(quote)
}

/// An identifier as SQL text: a plain name stays unquoted (so it matches case-insensitively, as
/// the warehouse created it), one already quoted with `quote` is kept as written; anything
/// else is refused.
pub fn identifier(what: &'static str, text: &str, quote: char) -> Result<String, SqlError> {
    if is_plain(text) || is_quoted(text, quote) {
        Ok(text.to_string())
    } else {
        Err(SqlError::BadIdentifier {
            what,
            text: text.into(),
        })
    }
}

/// `table`, `schema.table` or `database.schema.table`, each part validated; dots inside
/// quoted parts do not split.
pub fn qualified_name(what: &'static str, text: &str, quote: char) -> Result<String, SqlError> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in text.chars() {
        if c == quote {
            in_quotes = !in_quotes;
        }
        if c == '.' && !in_quotes {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    if parts.len() > 3 {
        return Err(SqlError::BadIdentifier {
            what,
            text: text.into(),
        });
    }
    let parts = parts
        .iter()
        .map(|p| identifier(what, p, quote))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts.join("."))
}

/// A storage location written inside a SQL string literal or path: `/`-separated segments of
/// letters, digits and `_ - . = @ :`, nothing that could close the literal or a comment.
pub fn location(what: &'static str, text: &str) -> Result<String, SqlError> {
    let valid = !text.is_empty()
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '.' | '=' | '@' | ':')
        })
        && !text.contains("..")
        && !text.contains("--");
    if valid {
        Ok(text.trim_end_matches('/').to_string())
    } else {
        Err(SqlError::BadLocation {
            what,
            text: text.into(),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let snowflake = |t: &str| qualified_name("table", t, '"');
        let databricks = |t: &str| qualified_name("table", t, '`');
        assert_eq!(snowflake("db.sch.t").unwrap(), "db.sch.t");
        assert_eq!(
            snowflake(r#""My DB"."a.b".T_1$"#).unwrap(),
            r#""My DB"."a.b".T_1$"#
        );
        assert_eq!(
            databricks("main.`my schema`.t").unwrap(),
            "main.`my schema`.t"
        );
        // Spark reads "..." as a string literal: never an identifier there.
        assert!(databricks(r#"main."x".t"#).is_err());
        assert!(snowflake("\"a\nDROP TABLE victims;\n--\"").is_err());
        assert!(databricks("`a\rb`").is_err());
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
            assert!(snowflake(bad).is_err(), "{bad} accepted");
        }
    }
}
