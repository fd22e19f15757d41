//! Arrow arrays <-> the contract's column buffers. Arrow's physical layout crosses the
//! boundary as is; what comes back from a plugin is checked before Arrow sees it, so a broken
//! plugin produces an error message, never a panic or an invalid array.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_buffer::{
    ArrowNativeType, BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer, ToByteSlice,
};
use std::borrow::Cow;
use std::sync::Arc;

use super::bindings::{v0_1, v0_2};
use crate::manifest::ColumnSpec;
pub use returned::{Returned, ReturnedBatch, ReturnedColumn, ReturnedValues};
use text::checked_characters;
pub use text::checked_text;

mod returned;
mod text;

// Contract 0.2 sends Arrow's buffers as little-endian bytes, as they are in memory.
#[cfg(target_endian = "big")]
compile_error!("rechost passes Arrow buffers to plugins as little-endian bytes");

/// Bit-packed bits of `buffer`, starting at bit 0: borrowed, or re-packed only when Arrow's
/// slice is not byte-aligned.
fn packed_bits(buffer: &BooleanBuffer) -> Cow<'_, [u8]> {
    if buffer.offset().is_multiple_of(8) {
        let start = buffer.offset() / 8;
        Cow::Borrowed(&buffer.values()[start..start + buffer.len().div_ceil(8)])
    } else {
        Cow::Owned(buffer.sliced().as_slice()[..buffer.len().div_ceil(8)].to_vec())
    }
}

/// One input column's buffers, borrowed from Arrow where its layout already is the contract's.
enum InputValues<'a> {
    Utf8 {
        offsets: Cow<'a, [i32]>,
        data: &'a [u8],
    },
    Int64(&'a [i64]),
    Float64(&'a [f64]),
    Boolean(Cow<'a, [u8]>),
    Timestamp(&'a [i64]),
}

/// A batch's buffers, ready to pass to a plugin (see [`InputBuffers::columns`]). Lowering the
/// call copies them into the plugin's memory; nothing is copied before that except offsets of
/// a sliced string array (rebased to 0) and bits not starting on a byte.
pub struct InputBuffers<'a> {
    pub rows: u32,
    columns: Vec<(Option<Cow<'a, [u8]>>, InputValues<'a>)>,
}

/// Reads a batch whose columns have the manifest's source types (the source layer guarantees
/// it) as the contract's buffers.
pub fn input_buffers(batch: &RecordBatch) -> InputBuffers<'_> {
    let columns = batch
        .columns()
        .iter()
        .map(|array| {
            let values = match array.data_type() {
                arrow_schema::DataType::Utf8 => {
                    let strings = array.as_string::<i32>();
                    let offsets = strings.value_offsets();
                    let (first, last) = (offsets[0], offsets[offsets.len() - 1]);
                    InputValues::Utf8 {
                        offsets: if first == 0 {
                            Cow::Borrowed(offsets)
                        } else {
                            Cow::Owned(offsets.iter().map(|o| o - first).collect())
                        },
                        data: &strings.value_data()[first as usize..last as usize],
                    }
                }
                arrow_schema::DataType::Int64 => {
                    InputValues::Int64(array.as_primitive::<Int64Type>().values())
                }
                arrow_schema::DataType::Float64 => {
                    InputValues::Float64(array.as_primitive::<Float64Type>().values())
                }
                arrow_schema::DataType::Boolean => {
                    InputValues::Boolean(packed_bits(array.as_boolean().values()))
                }
                arrow_schema::DataType::Timestamp(_, _) => InputValues::Timestamp(
                    array.as_primitive::<TimestampMicrosecondType>().values(),
                ),
                other => unreachable!("source layer produced unsupported type {other}"),
            };
            let validity = array
                .nulls()
                .filter(|n| n.null_count() > 0)
                .map(|n| packed_bits(n.inner()));
            (validity, values)
        })
        .collect();
    InputBuffers {
        rows: batch.num_rows() as u32,
        columns,
    }
}

impl InputBuffers<'_> {
    /// The columns as contract 0.1's parameter type, borrowing these buffers.
    pub fn columns_v0_1(&self) -> Vec<v0_1::types::ColumnParam<'_>> {
        use v0_1::types::{ColumnParam, Utf8ValuesParam, ValuesParam};
        (self.columns.iter())
            .map(|(validity, values)| ColumnParam {
                validity: validity.as_deref(),
                values: match values {
                    InputValues::Utf8 { offsets, data } => {
                        ValuesParam::Utf8(Utf8ValuesParam { offsets, data })
                    }
                    InputValues::Int64(values) => ValuesParam::Int64(values),
                    InputValues::Float64(values) => ValuesParam::Float64(values),
                    InputValues::Boolean(bits) => ValuesParam::Boolean(bits),
                    InputValues::Timestamp(values) => ValuesParam::Timestamp(values),
                },
            })
            .collect()
    }

    /// The columns as contract 0.2's parameter type: the same buffers, seen as bytes.
    pub fn columns_v0_2(&self) -> Vec<v0_2::columns::ColumnParam<'_>> {
        use v0_2::columns::{ColumnParam, Utf8ValuesParam, ValuesParam};
        (self.columns.iter())
            .map(|(validity, values)| ColumnParam {
                validity: validity.as_deref(),
                values: match values {
                    InputValues::Utf8 { offsets, data } => ValuesParam::Utf8(Utf8ValuesParam {
                        offsets: offsets.to_byte_slice(),
                        data,
                    }),
                    InputValues::Int64(values) => ValuesParam::Int64(values.to_byte_slice()),
                    InputValues::Float64(values) => ValuesParam::Float64(values.to_byte_slice()),
                    InputValues::Boolean(bits) => ValuesParam::Boolean(bits),
                    InputValues::Timestamp(values) => {
                        ValuesParam::Timestamp(values.to_byte_slice())
                    }
                },
            })
            .collect()
    }
}

/// `bytes` as `want` values of `T`, if that is what it holds; copied only when the plugin's
/// buffer is not aligned for `T`.
pub(super) fn typed<T: ArrowNativeType>(
    bytes: Buffer,
    want: usize,
    what: &str,
) -> Result<ScalarBuffer<T>, String> {
    let size = size_of::<T>();
    if !bytes.len().is_multiple_of(size) {
        return Err(format!(
            "{what} has {} bytes, not a whole number of {size}-byte values",
            bytes.len()
        ));
    }
    let got = bytes.len() / size;
    if got != want {
        return Err(format!("{what} has {got} entries, expected {want}"));
    }
    let aligned = if bytes.as_ptr().align_offset(align_of::<T>()) == 0 {
        bytes
    } else {
        Buffer::from_slice_ref(bytes.as_slice())
    };
    Ok(ScalarBuffer::new(aligned, 0, want))
}

/// String offsets of `rows` rows that Arrow can take without panicking: `rows + 1` of them,
/// from a non-negative start, never decreasing, ending within `data_len` bytes.
pub(super) fn checked_offsets(
    bytes: Buffer,
    rows: usize,
    data_len: usize,
) -> Result<OffsetBuffer<i32>, String> {
    let offsets = typed::<i32>(bytes, rows + 1, "offsets")?;
    // One pass with no early exit, so that it vectorizes: every returned string column goes
    // through here, and a plugin's offsets are almost always fine.
    let pairs = offsets.iter().zip(&offsets[1..]);
    let decreasing = pairs.fold(false, |seen, (before, after)| seen | (after < before));
    if offsets[0] < 0 || decreasing {
        return Err("offsets are negative or decreasing".into());
    }
    let end = offsets[rows] as usize;
    if end > data_len {
        return Err(format!(
            "offsets reach byte {end} but the data has {data_len} bytes"
        ));
    }
    // SAFETY: checked just above: rows + 1 >= 1 of them, from 0 or more, never decreasing
    // (`OffsetBuffer::new` would make the same pass again, panicking instead of erring).
    Ok(unsafe { OffsetBuffer::new_unchecked(offsets) })
}

pub(super) fn bits(bytes: Vec<u8>, rows: usize, what: &str) -> Result<BooleanBuffer, String> {
    if bytes.len() < rows.div_ceil(8) {
        return Err(format!(
            "{what} has {} bytes, {rows} rows need {}",
            bytes.len(),
            rows.div_ceil(8)
        ));
    }
    Ok(BooleanBuffer::new(Buffer::from_vec(bytes), 0, rows))
}

/// Converts one returned column to Arrow, checking it against its spec.
fn column_from_returned(
    column: ReturnedColumn,
    spec: &ColumnSpec,
    rows: usize,
) -> Result<ArrayRef, String> {
    let got = column.values.type_name();
    if got != spec.data_type.name() {
        return Err(format!(
            "has type {got}, the manifest declares {}",
            spec.data_type.name()
        ));
    }
    let nulls = column
        .validity
        .map(|v| bits(v, rows, "validity bitmap").map(NullBuffer::new))
        .transpose()?;
    if !spec.nullable
        && let Some(row) = nulls
            .as_ref()
            .and_then(|n| (0..rows).find(|&r| n.is_null(r)))
    {
        return Err(format!(
            "is NULL at row {row} of the batch, but the manifest declares it not nullable"
        ));
    }
    let array: ArrayRef = match column.values {
        ReturnedValues::Utf8 { offsets, data } => {
            let offsets = checked_offsets(offsets, rows, data.len())?;
            checked_characters(&offsets, &data).map_err(|e| format!("is not valid text: {e}"))?;
            // SAFETY: offsets checked (`checked_offsets`), text and its character boundaries
            // too (`checked_characters`, several times faster than `try_new`'s validation),
            // and `nulls`, if any, has `rows` bits (`bits`).
            Arc::new(unsafe { StringArray::new_unchecked(offsets, Buffer::from_vec(data), nulls) })
        }
        ReturnedValues::Int64(values) => {
            Arc::new(Int64Array::new(typed(values, rows, "values")?, nulls))
        }
        ReturnedValues::Float64(values) => {
            Arc::new(Float64Array::new(typed(values, rows, "values")?, nulls))
        }
        ReturnedValues::Timestamp(values) => Arc::new(TimestampMicrosecondArray::new(
            typed(values, rows, "values")?,
            nulls,
        )),
        ReturnedValues::Boolean(values) => Arc::new(BooleanArray::new(
            bits(values, rows, "boolean values")?,
            nulls,
        )),
    };
    debug_assert_eq!(array.data_type(), &spec.data_type.arrow());
    Ok(array)
}

/// Converts a returned batch (either contract version) to Arrow with `schema` (the dataset's returned columns).
/// The error names the offending column.
pub fn from_returned(
    batch: ReturnedBatch,
    specs: &[&ColumnSpec],
    schema: arrow_schema::SchemaRef,
) -> Result<RecordBatch, String> {
    if batch.columns.len() != specs.len() {
        return Err(format!(
            "returned {} columns, the manifest declares {} ({})",
            batch.columns.len(),
            specs.len(),
            specs
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let rows = batch.rows as usize;
    let arrays = batch
        .columns
        .into_iter()
        .zip(specs)
        .map(|(column, spec)| {
            column_from_returned(column, spec, rows)
                .map_err(|e| format!("column {}: {e}", spec.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(schema, arrays, &options).map_err(|e| e.to_string())
}

#[cfg(test)]
mod props;
