//! What a plugin returned, the same for every contract version: each version's output types
//! are moved into these (no copy; 0.1's typed lists become byte buffers as they are), so one
//! set of checks serves all versions.

use arrow_buffer::Buffer;

use crate::plugin::bindings::{v0_1, v0_2};

pub struct Returned {
    /// One batch per manifest dataset, if the plugin kept to its manifest.
    pub datasets: Vec<ReturnedBatch>,
    /// Rows dropped on purpose, by reason.
    pub dropped: Vec<(String, u64)>,
}

pub struct ReturnedBatch {
    pub rows: u32,
    pub columns: Vec<ReturnedColumn>,
}

pub struct ReturnedColumn {
    pub validity: Option<Vec<u8>>,
    pub values: ReturnedValues,
}

/// Buffers as returned, not yet checked: a length need not be a whole number of values.
pub enum ReturnedValues {
    Utf8 { offsets: Buffer, data: Vec<u8> },
    Int64(Buffer),
    Float64(Buffer),
    Boolean(Vec<u8>),
    Timestamp(Buffer),
}

impl ReturnedValues {
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Utf8 { .. } => "utf8",
            Self::Int64(_) => "int64",
            Self::Float64(_) => "float64",
            Self::Boolean(_) => "boolean",
            Self::Timestamp(_) => "timestamp",
        }
    }
}

/// Each version's output types have the same shape; only a buffer's element type differs, and
/// `Buffer::from_vec` takes every element type without copying.
macro_rules! returned_from {
    ($($types:ident)::+) => {
        impl From<$($types)::+::BatchResult> for ReturnedBatch {
            fn from(batch: $($types)::+::BatchResult) -> Self {
                use $($types)::+::{ColumnResult, ValuesResult as Values};
                let column = |c: ColumnResult| ReturnedColumn {
                    validity: c.validity,
                    values: match c.values {
                        Values::Utf8(v) => ReturnedValues::Utf8 {
                            offsets: Buffer::from_vec(v.offsets),
                            data: v.data,
                        },
                        Values::Int64(v) => ReturnedValues::Int64(Buffer::from_vec(v)),
                        Values::Float64(v) => ReturnedValues::Float64(Buffer::from_vec(v)),
                        Values::Boolean(v) => ReturnedValues::Boolean(v),
                        Values::Timestamp(v) => ReturnedValues::Timestamp(Buffer::from_vec(v)),
                    },
                };
                ReturnedBatch {
                    rows: batch.rows,
                    columns: batch.columns.into_iter().map(column).collect(),
                }
            }
        }

        impl From<$($types)::+::TransformOutput> for Returned {
            fn from(output: $($types)::+::TransformOutput) -> Self {
                Returned {
                    datasets: output.datasets.into_iter().map(ReturnedBatch::from).collect(),
                    dropped: (output.dropped.into_iter())
                        .map(|d| (d.reason, d.rows))
                        .collect(),
                }
            }
        }
    };
}

returned_from!(v0_1::types);
returned_from!(v0_2::columns);
