//! Whatever a plugin returns, `from_returned` gives an error or a valid batch, never a panic;
//! and a batch means the same sent as 0.1's typed lists or as 0.2's bytes.

use super::*;
use crate::manifest::DataType;
use proptest::prelude::*;
use v0_1::types::{
    BatchResult as Batch, ColumnResult as Column, Utf8ValuesResult as Utf8Values,
    ValuesResult as Values,
};

const TYPES: [DataType; 5] = [
    DataType::Utf8,
    DataType::Int64,
    DataType::Float64,
    DataType::Boolean,
    DataType::Timestamp,
];

fn spec(i: usize, data_type: DataType, nullable: bool) -> ColumnSpec {
    ColumnSpec {
        name: format!("c{i}"),
        data_type,
        nullable,
        categorical: false,
        role: None,
    }
}

fn convert(batch: impl Into<ReturnedBatch>, specs: &[ColumnSpec]) -> Result<RecordBatch, String> {
    let schema = Arc::new(arrow_schema::Schema::new(
        specs
            .iter()
            .map(ColumnSpec::arrow_field)
            .collect::<Vec<_>>(),
    ));
    from_returned(batch.into(), &specs.iter().collect::<Vec<_>>(), schema)
}

fn le_bytes<const N: usize, T: Copy>(values: &[T], to_bytes: fn(T) -> [u8; N]) -> Vec<u8> {
    values.iter().flat_map(|&v| to_bytes(v)).collect()
}

/// The same batch in contract 0.2's form: every buffer as little-endian bytes, with the last
/// `cut` bytes of each number buffer dropped (0 keeps it whole).
fn as_v0_2(batch: &Batch, cut: usize) -> v0_2::columns::BatchResult {
    use v0_2::columns::{ColumnResult, Utf8ValuesResult, ValuesResult};
    let chop = |mut bytes: Vec<u8>| {
        bytes.truncate(bytes.len().saturating_sub(cut));
        bytes
    };
    let columns = (batch.columns.iter())
        .map(|c| ColumnResult {
            validity: c.validity.clone(),
            values: match &c.values {
                Values::Utf8(v) => ValuesResult::Utf8(Utf8ValuesResult {
                    offsets: chop(le_bytes(&v.offsets, i32::to_le_bytes)),
                    data: v.data.clone(),
                }),
                Values::Int64(v) => ValuesResult::Int64(chop(le_bytes(v, i64::to_le_bytes))),
                Values::Float64(v) => ValuesResult::Float64(chop(le_bytes(v, f64::to_le_bytes))),
                Values::Boolean(v) => ValuesResult::Boolean(v.clone()),
                Values::Timestamp(v) => {
                    ValuesResult::Timestamp(chop(le_bytes(v, i64::to_le_bytes)))
                }
            },
        })
        .collect();
    v0_2::columns::BatchResult {
        rows: batch.rows,
        columns,
    }
}

#[test]
fn a_buffer_not_aligned_for_its_values_is_copied_not_refused() {
    let bytes = Buffer::from_vec(le_bytes(&[0i64, 7, -9], i64::to_le_bytes)).slice(8);
    let misaligned = Buffer::from_vec([vec![1u8], bytes.to_vec()].concat()).slice(1);
    assert_ne!(misaligned.as_ptr().align_offset(8), 0);
    let values: ScalarBuffer<i64> = typed(misaligned, 2, "values").unwrap();
    assert_eq!(&values[..], &[7, -9]);
    let err = typed::<i64>(Buffer::from_vec(vec![0u8; 15]), 2, "values").unwrap_err();
    assert_eq!(
        err,
        "values has 15 bytes, not a whole number of 8-byte values"
    );
}

/// A length: usually `want`, sometimes off.
fn len(want: usize) -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(want), 1 => 0..want + 3]
}

/// A list of `element`s, usually `want` long.
fn list<T: std::fmt::Debug>(
    want: usize,
    element: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = Vec<T>> {
    len(want).prop_flat_map(move |n| prop::collection::vec(element.clone(), n))
}

/// Offsets that usually start at 0 and grow (by a step that may be negative).
fn offsets(rows: usize) -> impl Strategy<Value = Vec<i32>> {
    (
        prop_oneof![3 => Just(0), 1 => -2..3i32],
        list(rows, -1..5i32),
    )
        .prop_map(|(first, steps)| {
            let mut at = first;
            std::iter::once(first)
                .chain(steps.into_iter().map(|step| {
                    at = at.saturating_add(step);
                    at
                }))
                .collect()
        })
}

/// Values of any type, usually of the right length for `rows`.
fn values(rows: usize) -> impl Strategy<Value = Values> {
    prop_oneof![
        (offsets(rows), prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(offsets, data)| Values::Utf8(Utf8Values { offsets, data })),
        list(rows, any::<i64>()).prop_map(Values::Int64),
        list(rows, any::<f64>()).prop_map(Values::Float64),
        list(rows.div_ceil(8), any::<u8>()).prop_map(Values::Boolean),
        list(rows, any::<i64>()).prop_map(Values::Timestamp),
    ]
}

fn column(rows: usize) -> impl Strategy<Value = Column> {
    let validity = prop::option::of(list(rows.div_ceil(8), any::<u8>()));
    (validity, values(rows)).prop_map(|(validity, values)| Column { validity, values })
}

/// Specs and returned columns: usually one per spec, sometimes one fewer or more.
fn batch() -> impl Strategy<Value = (Vec<ColumnSpec>, Batch)> {
    (0..20usize).prop_flat_map(|rows| {
        let typed = (0..5usize, any::<bool>(), column(rows));
        (prop::collection::vec(typed, 0..4), 0..8u8, column(rows)).prop_map(
            move |(typed, change, extra)| {
                let mut specs = Vec::new();
                let mut columns = Vec::new();
                for (i, (t, nullable, column)) in typed.into_iter().enumerate() {
                    specs.push(spec(i, TYPES[t], nullable));
                    columns.push(column);
                }
                match change {
                    0 => drop(columns.pop()),
                    1 => columns.push(extra),
                    _ => {}
                }
                (
                    specs,
                    Batch {
                        rows: rows as u32,
                        columns,
                    },
                )
            },
        )
    })
}

/// A valid column of `data_type` from optional cells (`None` = NULL), as a plugin would
/// send it (numbers and booleans derived from the text's length).
fn encode(data_type: DataType, cells: &[Option<String>]) -> Column {
    let rows = cells.len();
    let mut validity = vec![0u8; rows.div_ceil(8)];
    for (i, cell) in cells.iter().enumerate() {
        validity[i / 8] |= u8::from(cell.is_some()) << (i % 8);
    }
    let number = |c: &Option<String>| c.as_ref().map_or(0, |s| s.len() as i64);
    let values = match data_type {
        DataType::Utf8 => {
            let mut offsets = vec![0i32];
            let mut data = Vec::new();
            for cell in cells {
                data.extend_from_slice(cell.as_deref().unwrap_or("").as_bytes());
                offsets.push(data.len() as i32);
            }
            Values::Utf8(Utf8Values { offsets, data })
        }
        DataType::Int64 => Values::Int64(cells.iter().map(number).collect()),
        DataType::Timestamp => Values::Timestamp(cells.iter().map(number).collect()),
        DataType::Float64 => {
            Values::Float64(cells.iter().map(|c| number(c) as f64 / 2.0).collect())
        }
        DataType::Boolean => {
            let mut bits = vec![0u8; rows.div_ceil(8)];
            for (i, cell) in cells.iter().enumerate() {
                bits[i / 8] |= u8::from(number(cell) % 2 == 1) << (i % 8);
            }
            Values::Boolean(bits)
        }
    };
    Column {
        validity: Some(validity),
        values,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_buffers_give_an_error_or_a_valid_batch((specs, batch) in batch()) {
        let rows = batch.rows;
        if let Ok(batch) = convert(batch, &specs) {
            prop_assert_eq!(batch.num_rows(), rows as usize);
            for (array, spec) in batch.columns().iter().zip(&specs) {
                prop_assert!(array.to_data().validate_full().is_ok());
                prop_assert_eq!(array.data_type(), &spec.data_type.arrow());
                prop_assert!(spec.nullable || array.null_count() == 0);
            }
        }
    }

    #[test]
    fn bytes_convert_like_the_typed_lists_they_encode((specs, batch) in batch(), cut in 0..3usize) {
        let whole = convert(as_v0_2(&batch, 0), &specs);
        let chopped = convert(as_v0_2(&batch, cut), &specs);
        // Whether a cut removes bytes: from offsets (never empty) or a non-empty number buffer.
        let cut_something = cut > 0
            && batch.columns.iter().any(|c| match &c.values {
                Values::Utf8(_) => true,
                Values::Int64(v) | Values::Timestamp(v) => !v.is_empty(),
                Values::Float64(v) => !v.is_empty(),
                Values::Boolean(_) => false,
            });
        let typed = convert(batch, &specs);
        prop_assert_eq!(&whole, &typed);
        if cut_something {
            prop_assert!(chopped.is_err());
        } else {
            prop_assert_eq!(chopped, typed);
        }
    }

    #[test]
    fn valid_buffers_give_the_values_sent(
        types in prop::collection::vec((0..5usize, any::<bool>()), 1..4),
        cells in prop::collection::vec(prop::option::of("\\PC{0,6}"), 0..20),
    ) {
        let specs: Vec<ColumnSpec> = (types.iter().enumerate())
            .map(|(i, &(t, nullable))| spec(i, TYPES[t], nullable))
            .collect();
        let columns = specs.iter().map(|s| encode(s.data_type, &cells)).collect();
        let rows = cells.len() as u32;
        let result = convert(Batch { rows, columns }, &specs);
        let has_null = cells.iter().any(Option::is_none);
        if specs.iter().any(|s| !s.nullable) && has_null {
            prop_assert!(result.unwrap_err().contains("not nullable"));
            return Ok(());
        }
        let batch = result.unwrap();
        for (array, spec) in batch.columns().iter().zip(&specs) {
            prop_assert!(array.to_data().validate_full().is_ok());
            for (row, cell) in cells.iter().enumerate() {
                prop_assert_eq!(array.is_valid(row), cell.is_some());
            }
            if spec.data_type == DataType::Utf8 {
                let text = array.as_string::<i32>();
                for (row, cell) in cells.iter().enumerate() {
                    if let Some(cell) = cell {
                        prop_assert_eq!(text.value(row), cell.as_str());
                    }
                }
            }
        }
    }
}
