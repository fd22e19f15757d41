//! Rows straight from a Databricks table: the query rendered from the manifest
//! (`sql/databricks/source_query.sql.j2`: only its columns, only the window), its Arrow result
//! streamed chunk by chunk, then the same shaping as every source, re-batched to the
//! pipeline's batch size.

use arrow_array::RecordBatch;
use arrow_select::coalesce::BatchCoalescer;
use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::path::PathBuf;

use super::{Databricks, DatabricksError, ResultStream};
use crate::manifest::{Manifest, SourceSpec};
use crate::source::{SourceError, shape};
use crate::sql::SqlError;
use crate::window::DateWindow;

/// Manifest-shaped batches, as every source yields them.
pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch, SourceError>> + Send>;

fn is_plain(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && text.len() <= 255
}

/// A column name from a manifest as Spark SQL: plain names as they are (Databricks matches
/// them case-insensitively), any other name in backquotes (`` ` `` doubled).
pub fn column(name: &str) -> String {
    if is_plain(name) {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// `table`, `schema.table` or `catalog.schema.table`, each part a plain identifier or a
/// backquoted one (dots inside backquotes do not split; no line breaks).
pub fn table_name(text: &str) -> Result<String, SqlError> {
    let bad = || SqlError::BadIdentifier {
        what: "table",
        text: text.into(),
    };
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '`' => {
                quoted = !quoted;
                parts.last_mut().expect("one part").push(c);
            }
            '.' if !quoted => parts.push(String::new()),
            '\n' | '\r' => return Err(bad()),
            _ => parts.last_mut().expect("one part").push(c),
        }
    }
    let valid = |p: &String| {
        is_plain(p)
            || (p.len() >= 3
                && p.starts_with('`')
                && p.ends_with('`')
                && !p[1..p.len() - 1].replace("``", "").contains('`'))
    };
    if quoted || parts.len() > 3 || !parts.iter().all(valid) {
        return Err(bad());
    }
    Ok(parts.join("."))
}

#[derive(Serialize)]
struct SourceQuery<'a> {
    plugin: &'a str,
    plugin_version: &'a str,
    table: &'a str,
    columns: Vec<String>,
    time_column: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    day_after_end: NaiveDate,
}

/// The table `--source databricks` reads (default: the manifest's), checked, and the query
/// that reads it (`--dry-run` prints it).
pub fn source_query(
    manifest: &Manifest,
    table: Option<&str>,
    window: &DateWindow,
) -> Result<(String, String), SourceError> {
    let table = table_name(table.unwrap_or(&manifest.source.table))?;
    let spec = &manifest.source;
    let query = crate::sql::render_owned(
        "databricks/source_query.sql".into(),
        SourceQuery {
            plugin: &manifest.name,
            plugin_version: &manifest.version,
            table: &table,
            columns: spec.columns.iter().map(|c| column(&c.name)).collect(),
            time_column: column(&spec.time_column),
            start_date: window.start,
            end_date: window.end,
            day_after_end: window
                .end
                .checked_add_days(Days::new(1))
                .unwrap_or(window.end),
        },
    )?;
    Ok((table, query))
}

pub struct DatabricksSource {
    /// Names the table in messages, where a file source names the file.
    origin: PathBuf,
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
            origin: PathBuf::from(format!("databricks:{table}")),
            spec: spec.clone(),
            rows: client.query(query)?,
            batch_size: batch_size.max(1),
        })
    }

    pub fn row_count_hint(&self) -> Option<u64> {
        self.rows.total_rows
    }

    pub fn into_batches(self) -> Batches {
        let DatabricksSource {
            origin,
            spec,
            rows,
            batch_size,
        } = self;
        let mut next_row = 1u64;
        let (shape_origin, shape_spec) = (origin.clone(), spec.clone());
        let shaped = rows.map(move |raw| {
            let raw = raw?;
            let first_row = next_row;
            next_row += raw.num_rows() as u64;
            shape(&shape_origin, &shape_spec, &raw, first_row)
        });
        Box::new(Rebatched {
            input: shaped,
            coalescer: BatchCoalescer::new(spec.arrow_schema(), batch_size),
            finished: false,
            origin,
        })
    }
}

fn unreadable(origin: &std::path::Path, message: String) -> SourceError {
    SourceError::Unreadable {
        file: origin.into(),
        format: "Databricks Arrow",
        message,
    }
}

/// Re-batches to the pipeline's batch size: chunks come in whatever sizes the warehouse chose.
struct Rebatched<I> {
    input: I,
    coalescer: BatchCoalescer,
    finished: bool,
    origin: PathBuf,
}

impl<I: Iterator<Item = Result<RecordBatch, SourceError>>> Iterator for Rebatched<I> {
    type Item = Result<RecordBatch, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(batch) = self.coalescer.next_completed_batch() {
                return Some(Ok(batch));
            }
            if self.finished {
                return None;
            }
            let pushed = match self.input.next() {
                Some(Ok(batch)) => self.coalescer.push_batch(batch),
                Some(Err(e)) => return Some(Err(e)),
                None => {
                    self.finished = true;
                    self.coalescer.finish_buffered_batch()
                }
            };
            if let Err(e) = pushed {
                return Some(Err(unreadable(&self.origin, e.to_string())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_or_quoted() {
        assert_eq!(
            table_name("main.snowplow.events").unwrap(),
            "main.snowplow.events"
        );
        assert_eq!(
            table_name("`my cat`.`a.b`.t_1").unwrap(),
            "`my cat`.`a.b`.t_1"
        );
        for bad in [
            "a.b.c.d",
            "t; DROP TABLE x",
            "\"t\"",
            "`open",
            "a..b",
            "t\n",
            "1t",
            "`a`b`",
        ] {
            assert!(table_name(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(column("derived_tstamp"), "derived_tstamp");
        assert_eq!(column("we`ird name"), "`we``ird name`");
    }
}
