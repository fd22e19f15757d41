//! The batches real exports contain and plugins get wrong, built for the plugin's own source
//! columns, each sent to a fresh instance.

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use std::sync::Arc;

use super::{Finding, call_hint};
use crate::manifest::{DataType, SourceSpec};
use crate::plugin::Plugin;
use crate::transform::TransformResult;

/// Rows of a full batch, as runs send them.
const FULL_BATCH: usize = 32 * 1024;

/// What each case puts in the columns, by type.
#[derive(Clone, Copy)]
enum Case {
    Empty,
    AllNull,
    NullAndEmptyStrings,
    Pre1970,
    Unicode,
    LongIds,
    Full,
}

const CASES: &[(Case, &str)] = &[
    (Case::Empty, "an empty batch"),
    (Case::AllNull, "every column NULL"),
    (Case::NullAndEmptyStrings, "NULL next to empty strings"),
    (Case::Pre1970, "pre-1970 timestamps"),
    (Case::Unicode, "Unicode text"),
    (Case::LongIds, "256-character ids"),
    (Case::Full, "a full batch (32768 rows)"),
];

fn rows(case: Case) -> usize {
    match case {
        Case::Empty => 0,
        Case::Full => FULL_BATCH,
        _ => 6,
    }
}

fn text(case: Case, row: usize) -> Option<String> {
    match case {
        Case::AllNull => None,
        Case::NullAndEmptyStrings => {
            [None, Some(""), Some("x"), Some(""), None, Some("y")][row % 6].map(str::to_string)
        }
        Case::Unicode => {
            Some(["é", "日本語", "👩‍👩‍👧", "\u{202e}rtl", "a\u{301}", "ß/Ω|∑"][row % 6].to_string())
        }
        Case::LongIds => Some(if row.is_multiple_of(2) {
            "x".repeat(256)
        } else {
            "é".repeat(256)
        }),
        _ => Some(format!("v{}", row % 97)),
    }
}

fn micros(case: Case, row: usize) -> Option<i64> {
    match case {
        Case::AllNull => None,
        // The last microsecond of 1969, a second and a day before the epoch, 1900-01-01.
        Case::Pre1970 => Some(
            [
                -1,
                -1_000_000,
                -86_400_000_001,
                -2_208_988_800_000_000,
                0,
                -999,
            ][row % 6],
        ),
        _ => Some(1_700_000_000_000_000 + row as i64 * 1_000_000),
    }
}

fn column(data_type: DataType, case: Case, n: usize) -> ArrayRef {
    let null = matches!(case, Case::AllNull);
    let value = |row: usize| (!null).then_some(row);
    match data_type {
        DataType::Utf8 => Arc::new((0..n).map(|r| text(case, r)).collect::<StringArray>()),
        DataType::Int64 => Arc::new(
            (0..n)
                .map(|r| value(r).map(|v| v as i64))
                .collect::<Int64Array>(),
        ),
        DataType::Float64 => Arc::new(
            (0..n)
                .map(|r| value(r).map(|v| v as f64 * 1.5))
                .collect::<Float64Array>(),
        ),
        DataType::Boolean => Arc::new(
            (0..n)
                .map(|r| value(r).map(|v| v % 2 == 0))
                .collect::<BooleanArray>(),
        ),
        DataType::Timestamp => Arc::new(
            (0..n)
                .map(|r| micros(case, r))
                .collect::<TimestampMicrosecondArray>(),
        ),
    }
}

fn batch(spec: &SourceSpec, case: Case) -> RecordBatch {
    let n = rows(case);
    let columns = (spec.columns.iter())
        .map(|c| column(c.data_type, case, n))
        .collect();
    RecordBatch::try_new(spec.arrow_schema(), columns).expect("columns built to the schema")
}

fn run(
    plugin: &Plugin,
    options: &[(String, String)],
    input: &RecordBatch,
    index: u64,
) -> Result<TransformResult, crate::transform::TransformError> {
    let mut instance = crate::transform::Transformer::instantiate(plugin)?;
    instance.transform(options, input, index)
}

pub(super) fn batch_cases(plugin: &Plugin, options: &[(String, String)]) -> Vec<Finding> {
    let spec = &plugin.manifest.source;
    let mut findings = Vec::new();
    for (index, (case, name)) in CASES.iter().enumerate() {
        let check = format!("batch: {name}");
        let input = batch(spec, *case);
        findings.push(match run(plugin, options, &input, index as u64) {
            Ok(_) => Finding::pass(check),
            Err(error) => Finding::fail(check, error.to_string(), call_hint(&error)),
        });
    }
    findings.push(determinism(plugin, options, &batch(spec, Case::Unicode)));
    findings
}

/// The same batch twice gives the same datasets: runs must be reproducible.
fn determinism(plugin: &Plugin, options: &[(String, String)], input: &RecordBatch) -> Finding {
    let check = "batch: the same input twice gives the same output";
    match (
        run(plugin, options, input, 0),
        run(plugin, options, input, 0),
    ) {
        (Ok(first), Ok(second)) if first.datasets == second.datasets => Finding::pass(check),
        (Ok(_), Ok(_)) => Finding::fail(
            check,
            "two calls on the same batch returned different datasets",
            "do not use clocks, random numbers or state kept across calls",
        ),
        _ => Finding::fail(
            check,
            "a call failed (see above)",
            "fix the failures above first",
        ),
    }
}
