//! Snowflake's Arrow result encoding, turned into plain Arrow types before anything else sees
//! it. Each field carries its Snowflake type in metadata (`logicalType`, `scale`, `precision`):
//! - TIMESTAMP_NTZ/LTZ/TZ arrive either as a struct `{epoch: i64 seconds, fraction: i32
//!   nanoseconds[, timezone]}` or as one i64 counting units of 10^-scale seconds; both become
//!   `Timestamp(Microsecond)` (UTC instants; sub-microsecond digits are floored).
//! - NUMBER(p, s) with s > 0 arrives as scaled integers; it becomes `Decimal128(p, s)`. NUMBER(p, 0)
//!   stays an integer (of whatever width the server chose) or decimal.
//! - Everything else is already plain Arrow.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Decimal128Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
};
use arrow_array::{
    Array, ArrayRef, Decimal128Array, Int64Array, RecordBatch, StructArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use std::sync::Arc;

/// Converts every column of a Snowflake result batch to plain Arrow.
pub fn to_plain(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let plain = column_to_plain(field, column)?;
        fields.push(Field::new(
            field.name(),
            plain.data_type().clone(),
            field.is_nullable(),
        ));
        columns.push(plain);
    }
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options)
}

fn metadata_number(field: &Field, key: &str) -> Option<i64> {
    field.metadata().get(key).and_then(|v| v.parse().ok())
}

fn column_to_plain(field: &Field, column: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let logical = field
        .metadata()
        .get("logicalType")
        .map(|t| t.to_ascii_uppercase())
        .unwrap_or_default();
    let scale = metadata_number(field, "scale").unwrap_or(0);
    let unsupported = || {
        ArrowError::InvalidArgumentError(format!(
            "column {}: unexpected Arrow type {} for Snowflake type {logical} (scale {scale})",
            field.name(),
            column.data_type()
        ))
    };
    match logical.as_str() {
        "TIMESTAMP_NTZ" | "TIMESTAMP_LTZ" | "TIMESTAMP_TZ" => {
            timestamp_micros(column, scale).ok_or_else(unsupported)
        }
        "FIXED" if scale > 0 && column.data_type().is_integer() => {
            let precision = metadata_number(field, "precision").unwrap_or(38);
            scaled_decimal(column, precision, scale).ok_or_else(unsupported)
        }
        _ => Ok(column.clone()),
    }
}

/// Integers of any width as i64 (the server picks the narrowest width that fits a chunk).
fn as_i64(column: &ArrayRef) -> Option<Int64Array> {
    Some(match column.data_type() {
        DataType::Int8 => column.as_primitive::<Int8Type>().unary(i64::from),
        DataType::Int16 => column.as_primitive::<Int16Type>().unary(i64::from),
        DataType::Int32 => column.as_primitive::<Int32Type>().unary(i64::from),
        DataType::Int64 => column.as_primitive::<Int64Type>().clone(),
        _ => return None,
    })
}

fn scaled_decimal(column: &ArrayRef, precision: i64, scale: i64) -> Option<ArrayRef> {
    let decimal: Decimal128Array = as_i64(column)?
        .unary::<_, Decimal128Type>(i128::from)
        .with_precision_and_scale(u8::try_from(precision).ok()?, i8::try_from(scale).ok()?)
        .ok()?;
    Some(Arc::new(decimal))
}

fn timestamp_micros(column: &ArrayRef, scale: i64) -> Option<ArrayRef> {
    let micros: TimestampMicrosecondArray = match column.data_type() {
        DataType::Struct(_) => {
            let parts: &StructArray = column.as_struct();
            let epoch = as_i64(parts.column_by_name("epoch")?)?;
            let fraction = parts.column_by_name("fraction").and_then(as_i64);
            let values: Vec<Option<i64>> = (0..parts.len())
                .map(|i| {
                    if parts.is_null(i) {
                        return None;
                    }
                    let nanos = fraction.as_ref().map_or(0, |f| f.value(i));
                    epoch
                        .value(i)
                        .checked_mul(1_000_000)?
                        .checked_add(nanos.div_euclid(1_000))
                })
                .collect();
            values.into_iter().collect()
        }
        data_type if data_type.is_integer() => {
            let units = as_i64(column)?;
            let scale = u32::try_from(scale).ok().filter(|&s| s <= 9)?;
            if scale <= 6 {
                let factor = 10_i64.pow(6 - scale);
                units.unary_opt::<_, TimestampMicrosecondType>(|v| v.checked_mul(factor))
            } else {
                let divisor = 10_i64.pow(scale - 6);
                units.unary::<_, TimestampMicrosecondType>(|v| v.div_euclid(divisor))
            }
        }
        _ => return None,
    };
    Some(Arc::new(micros))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int32Array, Int64Array};
    use std::collections::HashMap;

    fn field(name: &str, data_type: DataType, logical: &str, scale: &str) -> Field {
        Field::new(name, data_type, true).with_metadata(HashMap::from([
            ("logicalType".to_string(), logical.to_string()),
            ("scale".to_string(), scale.to_string()),
            ("precision".to_string(), "10".to_string()),
        ]))
    }

    #[test]
    fn timestamps_struct_and_scaled() {
        let epoch = Arc::new(Int64Array::from(vec![1_671_715_566, -1])) as ArrayRef;
        let fraction = Arc::new(Int32Array::from(vec![632_000_999, 999_999_999])) as ArrayRef;
        let parts = StructArray::from(vec![
            (Arc::new(Field::new("epoch", DataType::Int64, false)), epoch),
            (
                Arc::new(Field::new("fraction", DataType::Int32, false)),
                fraction,
            ),
        ]);
        let f = field("T", parts.data_type().clone(), "TIMESTAMP_NTZ", "9");
        let out = column_to_plain(&f, &(Arc::new(parts) as ArrayRef)).unwrap();
        let out = out.as_primitive::<arrow_array::types::TimestampMicrosecondType>();
        assert_eq!(out.value(0), 1_671_715_566_632_000);
        assert_eq!(out.value(1), -1);

        let scaled = Arc::new(Int64Array::from(vec![Some(16_717_155_666_329), None])) as ArrayRef;
        let f = field("T", DataType::Int64, "TIMESTAMP_NTZ", "4");
        let out = column_to_plain(&f, &scaled).unwrap();
        let out = out.as_primitive::<arrow_array::types::TimestampMicrosecondType>();
        assert_eq!(out.value(0), 1_671_715_566_632_900);
        assert!(out.is_null(1));
    }

    #[test]
    fn scaled_numbers_become_decimals() {
        let cents = Arc::new(Int32Array::from(vec![1320, -5])) as ArrayRef;
        let out = column_to_plain(&field("P", DataType::Int32, "FIXED", "2"), &cents).unwrap();
        assert_eq!(out.data_type(), &DataType::Decimal128(10, 2));
        let out = out.as_primitive::<arrow_array::types::Decimal128Type>();
        assert_eq!(out.value_as_string(0), "13.20");
        assert_eq!(out.value_as_string(1), "-0.05");
    }
}
