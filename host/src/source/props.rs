//! Property tests of the input side: the CSV reader and the shaping of any batch into the
//! manifest's columns never panic, and what they accept comes out as written.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch};
use arrow_array::{StringArray, TimestampMicrosecondArray};
use proptest::prelude::*;
use std::path::Path;
use std::sync::Arc;

use super::SourceError;
use super::csv::ProjectedRows;
use super::shape::shape;
use crate::manifest::{ColumnSpec, DataType, SourceSpec};

const TYPES: [DataType; 5] = [
    DataType::Utf8,
    DataType::Int64,
    DataType::Float64,
    DataType::Boolean,
    DataType::Timestamp,
];

fn source_spec(types: &[DataType]) -> SourceSpec {
    let columns = (types.iter().enumerate())
        .map(|(i, &data_type)| ColumnSpec {
            name: format!("col_{i}"),
            data_type,
            nullable: true,
            categorical: false,
            role: None,
        })
        .collect();
    SourceSpec {
        table: "t".into(),
        columns,
        time_column: "col_0".into(),
        time_index: 0,
    }
}

/// `name` with each letter's case picked by `upper` (warehouses upper-case names).
fn recased(name: &str, upper: &[bool]) -> String {
    (name.chars().zip(upper.iter().cycle()))
        .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
        .collect()
}

/// One CSV field: quoted when it must be (or when `quote` says so), quotes doubled.
fn field(bytes: &[u8], quote: bool) -> Vec<u8> {
    let special = bytes.is_empty() || bytes.iter().any(|b| b"\",\r\n".contains(b));
    if !(quote || special) {
        return bytes.to_vec();
    }
    let mut out = vec![b'"'];
    for &b in bytes {
        out.extend_from_slice(if b == b'"' {
            b"\"\""
        } else {
            std::slice::from_ref(&b)
        });
    }
    out.push(b'"');
    out
}

/// A CSV file: `needed` text columns (names in random case) among `extra` columns of any
/// bytes (often not UTF-8), in a random order.
#[derive(Debug)]
struct CsvCase {
    needed: usize,
    /// File position of each needed column.
    positions: Vec<usize>,
    header: Vec<String>,
    /// Rows as the file's fields; the needed ones are UTF-8.
    rows: Vec<Vec<Vec<u8>>>,
    quote: Vec<bool>,
}

fn csv_case() -> impl Strategy<Value = CsvCase> {
    let text = "[a-z \",\r\n\u{e9}\u{1F600}]{0,6}";
    let bytes = prop::collection::vec(
        prop_oneof![Just(b'"'), Just(b','), Just(b'\n'), any::<u8>()],
        0..6,
    );
    (1..4usize, 0..4usize, 0..30usize).prop_flat_map(move |(needed, extra, rows)| {
        let width = needed + extra;
        (
            // Distinct file positions of the needed columns.
            Just((0..width).collect::<Vec<_>>())
                .prop_shuffle()
                .prop_map(move |all| all[..needed].to_vec()),
            prop::collection::vec(any::<bool>(), 6),
            prop::collection::vec(
                (
                    prop::collection::vec(text, needed),
                    prop::collection::vec(bytes.clone(), extra),
                ),
                rows,
            ),
            prop::collection::vec(any::<bool>(), width),
        )
            .prop_map(move |(positions, upper, rows, quote)| {
                let mut header: Vec<String> = (0..width).map(|i| format!("extra_{i}")).collect();
                for (i, &p) in positions.iter().enumerate() {
                    header[p] = recased(&format!("col_{i}"), &upper);
                }
                let rows = (rows.into_iter())
                    .map(|(texts, mut others)| {
                        let mut fields = vec![Vec::new(); width];
                        for (i, &p) in positions.iter().enumerate() {
                            fields[p] = texts[i].clone().into_bytes();
                        }
                        for slot in (0..width).filter(|c| !positions.contains(c)) {
                            fields[slot] = others.pop().unwrap_or_default();
                        }
                        fields
                    })
                    .collect();
                CsvCase {
                    needed,
                    positions,
                    header,
                    rows,
                    quote,
                }
            })
    })
}

impl CsvCase {
    fn text(&self) -> Vec<u8> {
        let line = |fields: Vec<Vec<u8>>| {
            let quoted: Vec<Vec<u8>> = (fields.iter().zip(&self.quote))
                .map(|(f, &q)| field(f, q))
                .collect();
            let mut line = quoted.join(&b","[..]);
            line.push(b'\n');
            line
        };
        let header = self.header.iter().map(|h| h.clone().into_bytes()).collect();
        let mut text = line(header);
        for row in &self.rows {
            text.extend(line(row.clone()));
        }
        text
    }
}

fn read_csv(text: &[u8], spec: &SourceSpec, batch: usize) -> Result<Vec<RecordBatch>, SourceError> {
    let rows = ProjectedRows::new(Path::new("t.csv"), text, spec, batch)?;
    rows.collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Quoted commas, quotes and newlines, any bytes in unread columns, names in any case:
    /// the needed columns come out as written (empty = NULL), in spec order.
    #[test]
    fn csv_needed_columns_round_trip(case in csv_case(), batch_size in 1..8usize) {
        let spec = source_spec(&vec![DataType::Utf8; case.needed]);
        let batches = read_csv(&case.text(), &spec, batch_size)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{case:?}")))?;
        prop_assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), case.rows.len());
        let mut row = 0;
        for batch in &batches {
            prop_assert!(batch.num_rows() <= batch_size);
            for r in 0..batch.num_rows() {
                for (i, &p) in case.positions.iter().enumerate() {
                    // ProjectedRows keeps file order; `order` maps spec columns into it.
                    let mut sorted = case.positions.clone();
                    sorted.sort_unstable();
                    let column = batch.column(sorted.binary_search(&p).unwrap()).as_string::<i32>();
                    let want = &case.rows[row][case.positions[i]];
                    if want.is_empty() {
                        prop_assert!(column.is_null(r));
                    } else {
                        prop_assert_eq!(column.value(r).as_bytes(), want.as_slice());
                    }
                }
                row += 1;
            }
        }
    }

    /// Any bytes at all, after a header that may or may not name the columns: an error or
    /// batches, never a panic.
    #[test]
    fn csv_garbage_never_panics(
        header in prop_oneof![Just("col_0,col_1\n"), Just("COL_1,x,Col_0,col_0\n"), Just("")],
        body in prop::collection::vec(prop_oneof![Just(b'"'), Just(b','), Just(b'\n'), any::<u8>()], 0..300),
        batch in 1..5usize,
    ) {
        let spec = source_spec(&[DataType::Utf8, DataType::Utf8]);
        let mut text = header.as_bytes().to_vec();
        text.extend(body);
        if let Ok(batches) = read_csv(&text, &spec, batch) {
            for b in batches {
                prop_assert_eq!(b.num_columns(), 2);
                prop_assert!(b.num_rows() <= batch);
            }
        }
    }
}

/// A column of `data_type` with `rows` values derived from `seed` (some NULL).
fn array(data_type: DataType, rows: usize, seed: i64) -> ArrayRef {
    let value = |r: usize| (r % 3 != 2).then_some(seed.wrapping_add(r as i64));
    match data_type {
        DataType::Utf8 => Arc::new(
            (0..rows)
                .map(|r| value(r).map(|v| v.to_string()))
                .collect::<StringArray>(),
        ),
        DataType::Int64 => Arc::new((0..rows).map(value).collect::<Int64Array>()),
        DataType::Float64 => Arc::new(
            (0..rows)
                .map(|r| value(r).map(|v| v as f64))
                .collect::<Float64Array>(),
        ),
        DataType::Boolean => Arc::new(
            (0..rows)
                .map(|r| value(r).map(|v| v % 2 == 0))
                .collect::<BooleanArray>(),
        ),
        DataType::Timestamp => {
            Arc::new((0..rows).map(value).collect::<TimestampMicrosecondArray>())
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// A batch with the spec's columns in any order and case, of any type, among extra
    /// columns, maybe twice: the manifest's columns or an error, never a panic.
    #[test]
    fn shape_gives_the_manifest_columns_or_an_error(
        spec_types in prop::collection::vec(0..5usize, 1..4),
        file in prop::collection::vec((0..6usize, 0..5usize, prop::collection::vec(any::<bool>(), 5)), 0..7),
        rows in 0..6usize,
        seed in any::<i64>(),
    ) {
        let spec = source_spec(&spec_types.iter().map(|&t| TYPES[t]).collect::<Vec<_>>());
        // Name 0..3 is a spec column (maybe missing, maybe twice), 4..5 an extra one.
        let columns: Vec<(String, ArrayRef)> = (file.iter().enumerate())
            .map(|(i, (name, t, upper))| {
                let name = if *name < 4 { recased(&format!("col_{name}"), upper) } else { format!("extra_{i}") };
                (name, array(TYPES[*t], rows, seed))
            })
            .collect();
        let raw = RecordBatch::try_from_iter(columns.clone());
        let Ok(raw) = raw else { return Ok(()) };
        match shape(Path::new("batch"), &spec, &raw, 1) {
            Ok(shaped) => {
                prop_assert_eq!(shaped.schema(), spec.arrow_schema());
                prop_assert_eq!(shaped.num_rows(), rows);
            }
            Err(SourceError::DuplicateColumn { first, second, .. }) => {
                prop_assert!(first.eq_ignore_ascii_case(&second));
            }
            Err(SourceError::MissingColumn { column, .. }) => {
                prop_assert!(!columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(&column)));
            }
            Err(SourceError::WrongType { .. } | SourceError::BadValue { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error: {other}"),
        }
    }
}

#[test]
fn a_column_present_twice_in_different_case_is_an_error_naming_both() {
    let spec = source_spec(&[DataType::Utf8]);
    let raw = RecordBatch::try_from_iter([
        ("col_0", array(DataType::Utf8, 2, 0)),
        ("COL_0", array(DataType::Utf8, 2, 9)),
    ])
    .unwrap();
    let error = shape(Path::new("t"), &spec, &raw, 1)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`col_0`") && error.contains("`COL_0`"),
        "{error}"
    );
}
