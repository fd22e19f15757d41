//! A kept row as the value stored under its key, and the latest-wins rule on it.
//!
//! The value holds where the row came from (input order breaks full ties, so batches may be
//! folded in any order, by any thread, and still keep the first such row), then the latest-by
//! cells (compared on every fold, so they come first), then the written cells but the key
//! (`CellRef::encode`). Kept rows in memory and in spilled runs use the same bytes, so both
//! apply one rule.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use std::cmp::Ordering;

use super::cells::{CellRef, Typed, build_array, decode, key_cell};
use crate::manifest::{DataType, DatasetSpec, Reduction};

/// Bytes of a row's position at the front of its value.
const POSITION_BYTES: usize = 12;

/// Input position: batch index, row in the batch; the lower one wins a full tie.
pub(super) type Position = (u64, u32);

fn decode_position(value: &[u8]) -> Position {
    (
        u64::from_le_bytes(value[..8].try_into().expect("8 bytes")),
        u32::from_le_bytes(value[8..12].try_into().expect("4 bytes")),
    )
}

/// The columns the reducer is given (written ones, then latest-by) and where the key is.
pub(super) struct RowLayout {
    pub key_index: usize,
    /// Types of the returned columns: written ones, then latest-by.
    types: Vec<DataType>,
    written: usize,
    schema: SchemaRef,
}

impl RowLayout {
    /// `None` for an events dataset.
    pub fn for_dataset(spec: &DatasetSpec) -> Option<Self> {
        let Reduction::Entity { key_index, .. } = &spec.reduction else {
            return None;
        };
        Some(Self {
            key_index: *key_index,
            types: spec.returned_columns().map(|c| c.data_type).collect(),
            written: spec.columns.len(),
            schema: spec.written_schema(),
        })
    }

    /// A batch's columns, downcast once.
    pub fn columns<'a>(&self, batch: &'a RecordBatch) -> Vec<Typed<'a>> {
        (batch.columns().iter())
            .zip(&self.types)
            .map(|(array, &data_type)| Typed::new(array, data_type))
            .collect()
    }

    /// Whether `row` (at `position`) beats the kept row `stored`.
    pub fn row_beats(
        &self,
        columns: &[Typed<'_>],
        row: usize,
        position: Position,
        stored: &[u8],
    ) -> bool {
        let mut kept = &stored[POSITION_BYTES..];
        for (column, &data_type) in columns.iter().zip(&self.types).skip(self.written) {
            let (cell, rest) = decode(data_type, kept);
            kept = rest;
            match column.cell(row).cmp_nulls_lowest(cell) {
                Ordering::Equal => continue,
                ordering => return ordering == Ordering::Greater,
            }
        }
        position < decode_position(stored)
    }

    /// Whether kept row `a` beats kept row `b` of the same key (the rule of `row_beats`).
    pub fn value_beats(&self, a: &[u8], b: &[u8]) -> bool {
        let (mut rest_a, mut rest_b) = (&a[POSITION_BYTES..], &b[POSITION_BYTES..]);
        for &data_type in &self.types[self.written..] {
            let (cell_a, after_a) = decode(data_type, rest_a);
            let (cell_b, after_b) = decode(data_type, rest_b);
            (rest_a, rest_b) = (after_a, after_b);
            match cell_a.cmp_nulls_lowest(cell_b) {
                Ordering::Equal => continue,
                ordering => return ordering == Ordering::Greater,
            }
        }
        decode_position(a) < decode_position(b)
    }

    /// The value kept for `row`: its position, its latest-by cells, its written cells but
    /// the key.
    pub fn encode_row(
        &self,
        columns: &[Typed<'_>],
        row: usize,
        position: Position,
        out: &mut Vec<u8>,
    ) {
        out.clear();
        out.extend_from_slice(&position.0.to_le_bytes());
        out.extend_from_slice(&position.1.to_le_bytes());
        let latest_by = self.written..self.types.len();
        for index in latest_by.chain((0..self.written).filter(|&i| i != self.key_index)) {
            columns[index].cell(row).encode(out);
        }
    }

    /// Kept rows (key, value), in output order, as a batch of the written columns.
    pub fn output_batch(&self, rows: &[(&[u8], &[u8])]) -> RecordBatch {
        let mut columns: Vec<Vec<CellRef<'_>>> = vec![Vec::with_capacity(rows.len()); self.written];
        for &(key, value) in rows {
            let mut cells = &value[POSITION_BYTES..];
            for &data_type in &self.types[self.written..] {
                cells = decode(data_type, cells).1; // latest-by cells are not written
            }
            for (index, column) in columns.iter_mut().enumerate() {
                let data_type = self.types[index];
                let cell = if index == self.key_index {
                    key_cell(data_type, key)
                } else {
                    let (cell, rest) = decode(data_type, cells);
                    cells = rest;
                    cell
                };
                column.push(cell);
            }
        }
        let arrays = (columns.iter())
            .zip(&self.types)
            .map(|(cells, &data_type)| build_array(data_type, cells))
            .collect();
        RecordBatch::try_new(self.schema.clone(), arrays).expect("cells follow the declared schema")
    }
}
