//! Cells of the returned columns as the reducer reads, keeps, compares and rebuilds them:
//! read in place from Arrow arrays, encoded back to back in the byte map, decoded without
//! allocating.

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use std::cmp::Ordering;
use std::sync::Arc;

use crate::manifest::DataType;

/// A cell read in place from an array or from a kept row (no allocation).
#[derive(Debug, Clone, Copy)]
pub(super) enum CellRef<'a> {
    Null,
    Utf8(&'a str),
    Int64(i64),
    Float64(f64),
    Boolean(bool),
}

impl CellRef<'_> {
    pub(super) fn cmp_nulls_lowest(self, other: CellRef<'_>) -> Ordering {
        match (self, other) {
            (CellRef::Null, CellRef::Null) => Ordering::Equal,
            (CellRef::Null, _) => Ordering::Less,
            (_, CellRef::Null) => Ordering::Greater,
            (CellRef::Utf8(a), CellRef::Utf8(b)) => a.cmp(b),
            (CellRef::Int64(a), CellRef::Int64(b)) => a.cmp(&b),
            (CellRef::Float64(a), CellRef::Float64(b)) => a.total_cmp(&b),
            (CellRef::Boolean(a), CellRef::Boolean(b)) => a.cmp(&b),
            _ => unreachable!("columns are checked against their declared types"),
        }
    }

    /// Appends the cell to a kept row's bytes: a NULL flag, then the value (text
    /// length-prefixed), so millions of kept rows cost little more than their bytes.
    pub(super) fn encode(self, out: &mut Vec<u8>) {
        match self {
            CellRef::Null => out.push(0),
            CellRef::Utf8(v) => {
                out.push(1);
                out.extend_from_slice(&(v.len() as u32).to_le_bytes());
                out.extend_from_slice(v.as_bytes());
            }
            CellRef::Int64(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            CellRef::Float64(v) => {
                out.push(1);
                out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            CellRef::Boolean(v) => out.extend_from_slice(&[1, v as u8]),
        }
    }
}

/// Reads the cell `encode` wrote at the front of `bytes`; returns it and the rest.
pub(super) fn decode(data_type: DataType, bytes: &[u8]) -> (CellRef<'_>, &[u8]) {
    let (&flag, rest) = bytes.split_first().expect("encoded row");
    if flag == 0 {
        return (CellRef::Null, rest);
    }
    let word = |rest: &[u8]| u64::from_le_bytes(rest[..8].try_into().expect("8 bytes"));
    match data_type {
        DataType::Utf8 => {
            let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
            let text = std::str::from_utf8(&rest[4..4 + len]).expect("encoded from a str");
            (CellRef::Utf8(text), &rest[4 + len..])
        }
        DataType::Int64 | DataType::Timestamp => (CellRef::Int64(word(rest) as i64), &rest[8..]),
        DataType::Float64 => (CellRef::Float64(f64::from_bits(word(rest))), &rest[8..]),
        DataType::Boolean => (CellRef::Boolean(rest[0] != 0), &rest[1..]),
    }
}

/// The key cell back from its key bytes (the inverse of `key_bytes`).
pub(super) fn key_cell(data_type: DataType, key: &[u8]) -> CellRef<'_> {
    let word = || u64::from_be_bytes(key.try_into().expect("8 key bytes"));
    match data_type {
        DataType::Utf8 => CellRef::Utf8(std::str::from_utf8(key).expect("key from a str")),
        DataType::Int64 | DataType::Timestamp => CellRef::Int64(word() as i64 ^ i64::MIN),
        DataType::Float64 => CellRef::Float64(f64::from_bits(word())),
        DataType::Boolean => CellRef::Boolean(key[0] != 0),
    }
}

/// A returned column, downcast once per batch rather than once per cell.
#[derive(Clone, Copy)]
pub(super) enum Typed<'a> {
    Utf8(&'a StringArray),
    Int64(&'a Int64Array),
    Timestamp(&'a TimestampMicrosecondArray),
    Float64(&'a Float64Array),
    Boolean(&'a BooleanArray),
}

impl<'a> Typed<'a> {
    pub(super) fn new(array: &'a ArrayRef, data_type: DataType) -> Self {
        match data_type {
            DataType::Utf8 => Typed::Utf8(array.as_string()),
            DataType::Int64 => Typed::Int64(array.as_primitive()),
            DataType::Timestamp => Typed::Timestamp(array.as_primitive()),
            DataType::Float64 => Typed::Float64(array.as_primitive()),
            DataType::Boolean => Typed::Boolean(array.as_boolean()),
        }
    }

    pub(super) fn is_null(self, row: usize) -> bool {
        match self {
            Typed::Utf8(a) => a.is_null(row),
            Typed::Int64(a) => a.is_null(row),
            Typed::Timestamp(a) => a.is_null(row),
            Typed::Float64(a) => a.is_null(row),
            Typed::Boolean(a) => a.is_null(row),
        }
    }

    pub(super) fn cell(self, row: usize) -> CellRef<'a> {
        if self.is_null(row) {
            return CellRef::Null;
        }
        match self {
            Typed::Utf8(a) => CellRef::Utf8(a.value(row)),
            Typed::Int64(a) => CellRef::Int64(a.value(row)),
            Typed::Timestamp(a) => CellRef::Int64(a.value(row)),
            Typed::Float64(a) => CellRef::Float64(a.value(row)),
            Typed::Boolean(a) => CellRef::Boolean(a.value(row)),
        }
    }

    /// Key bytes that sort like the key: text as is (borrowed), numbers big-endian in
    /// `scratch` (integers with the sign flipped).
    pub(super) fn key_bytes<'s>(self, row: usize, scratch: &'s mut [u8; 8]) -> &'s [u8]
    where
        'a: 's,
    {
        let word = match self {
            Typed::Utf8(a) => return a.value(row).as_bytes(),
            Typed::Boolean(a) => {
                scratch[0] = a.value(row) as u8;
                return &scratch[..1];
            }
            Typed::Int64(a) => (a.value(row) ^ i64::MIN) as u64,
            Typed::Timestamp(a) => (a.value(row) ^ i64::MIN) as u64,
            Typed::Float64(a) => a.value(row).to_bits(),
        };
        *scratch = word.to_be_bytes();
        &scratch[..]
    }
}

pub(super) fn build_array(data_type: DataType, cells: &[CellRef<'_>]) -> ArrayRef {
    let n = cells.len();
    macro_rules! build {
        ($builder:expr, $variant:ident) => {{
            let mut builder = $builder;
            for c in cells {
                match *c {
                    CellRef::$variant(v) => builder.append_value(v),
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish()) as ArrayRef
        }};
    }
    match data_type {
        DataType::Utf8 => build!(StringBuilder::with_capacity(n, n * 16), Utf8),
        DataType::Int64 => build!(Int64Builder::with_capacity(n), Int64),
        DataType::Timestamp => build!(TimestampMicrosecondBuilder::with_capacity(n), Int64),
        DataType::Float64 => build!(Float64Builder::with_capacity(n), Float64),
        DataType::Boolean => build!(BooleanBuilder::with_capacity(n), Boolean),
    }
}
