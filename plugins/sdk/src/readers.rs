//! Zero-copy typed views over the input batch's columns.
//!
//! `get` is `#[inline(always)]` for the reason given in `builders.rs`.

use crate::{Batch, Column, Values};

/// The input batch, with column access by position (the manifest's source column order).
pub struct Input<'a> {
    batch: &'a Batch,
    /// The host vouched for the text columns (see [`Input::from_host`]).
    text_checked: bool,
}

impl<'a> Input<'a> {
    /// A batch the plugin built itself (its tests, benchmarks): text is checked when read.
    pub fn new(batch: &'a Batch) -> Self {
        Self {
            batch,
            text_checked: false,
        }
    }

    /// The batch the host sent, whose text is not checked again: checking it cost more than a
    /// tenth of the ecommerce plugin's transform. `export_plugin!` calls this.
    ///
    /// # Safety
    /// Every utf8 column's data must be valid UTF-8 and every offset must fall on a character
    /// boundary. The host guarantees both for what it sends: its batches are Arrow string
    /// arrays, validated when read from any source.
    #[doc(hidden)]
    pub unsafe fn from_host(batch: &'a Batch) -> Self {
        Self {
            batch,
            text_checked: true,
        }
    }

    pub fn rows(&self) -> usize {
        self.batch.rows as usize
    }

    fn column(&self, index: usize) -> Result<&'a Column, String> {
        self.batch
            .columns
            .get(index)
            .ok_or_else(|| format!("input has no column {index}"))
    }

    pub fn utf8(&self, index: usize) -> Result<Utf8Column<'a>, String> {
        let column = self.column(index)?;
        let Values::Utf8(values) = &column.values else {
            return Err(format!("input column {index} is not utf8"));
        };
        let data = if self.text_checked {
            // SAFETY: valid UTF-8, as `from_host`'s caller guaranteed.
            unsafe { std::str::from_utf8_unchecked(&values.data) }
        } else {
            std::str::from_utf8(&values.data)
                .map_err(|e| format!("input column {index} is not valid UTF-8: {e}"))?
        };
        Ok(Utf8Column {
            offsets: &values.offsets,
            data,
            validity: Validity::new(column),
            boundaries_checked: self.text_checked,
        })
    }

    pub fn int64(&self, index: usize) -> Result<PrimitiveColumn<'a, i64>, String> {
        match &self.column(index)?.values {
            Values::Int64(v) => Ok(PrimitiveColumn::new(v, self.column(index)?)),
            _ => Err(format!("input column {index} is not int64")),
        }
    }

    pub fn float64(&self, index: usize) -> Result<PrimitiveColumn<'a, f64>, String> {
        match &self.column(index)?.values {
            Values::Float64(v) => Ok(PrimitiveColumn::new(v, self.column(index)?)),
            _ => Err(format!("input column {index} is not float64")),
        }
    }

    pub fn timestamp(&self, index: usize) -> Result<PrimitiveColumn<'a, i64>, String> {
        match &self.column(index)?.values {
            Values::Timestamp(v) => Ok(PrimitiveColumn::new(v, self.column(index)?)),
            _ => Err(format!("input column {index} is not a timestamp")),
        }
    }

    pub fn boolean(&self, index: usize) -> Result<BoolColumn<'a>, String> {
        let column = self.column(index)?;
        match &column.values {
            Values::Boolean(bits) => Ok(BoolColumn {
                bits,
                validity: Validity::new(column),
            }),
            _ => Err(format!("input column {index} is not boolean")),
        }
    }
}

fn bit(bits: &[u8], row: usize) -> bool {
    bits[row / 8] & (1 << (row % 8)) != 0
}

#[derive(Clone, Copy)]
struct Validity<'a>(Option<&'a [u8]>);

impl<'a> Validity<'a> {
    fn new(column: &'a Column) -> Self {
        Self(column.validity.as_deref())
    }

    #[inline(always)]
    fn is_valid(self, row: usize) -> bool {
        self.0.is_none_or(|bits| bit(bits, row))
    }
}

pub struct Utf8Column<'a> {
    offsets: &'a [i32],
    data: &'a str,
    validity: Validity<'a>,
    /// Every offset is on a character boundary (the host's text, see [`Input::from_host`]).
    boundaries_checked: bool,
}

impl<'a> Utf8Column<'a> {
    /// The bytes of text its rows span: room enough for a copy of any of its values, so an
    /// output built from them can be sized once instead of growing.
    pub fn value_bytes(&self) -> usize {
        let first = self.offsets.first().copied().unwrap_or_default();
        let last = self.offsets.last().copied().unwrap_or_default();
        last.saturating_sub(first).max(0) as usize
    }

    /// The value of `row`, `None` for NULL. A value whose offsets are out of range, or (in a
    /// batch the plugin built) not on a character boundary, reads as NULL rather than panicking.
    #[inline(always)]
    pub fn get(&self, row: usize) -> Option<&'a str> {
        if !self.validity.is_valid(row) {
            return None;
        }
        let start = *self.offsets.get(row)? as usize;
        let end = *self.offsets.get(row + 1)? as usize;
        if self.boundaries_checked {
            let bytes = self.data.as_bytes().get(start..end)?;
            // SAFETY: both ends are character boundaries of valid UTF-8 (see `from_host`).
            Some(unsafe { std::str::from_utf8_unchecked(bytes) })
        } else {
            self.data.get(start..end)
        }
    }
}

pub struct PrimitiveColumn<'a, T> {
    values: &'a [T],
    validity: Validity<'a>,
}

impl<'a, T: Copy> PrimitiveColumn<'a, T> {
    fn new(values: &'a [T], column: &'a Column) -> Self {
        Self {
            values,
            validity: Validity::new(column),
        }
    }

    #[inline(always)]
    pub fn get(&self, row: usize) -> Option<T> {
        if self.validity.is_valid(row) {
            self.values.get(row).copied()
        } else {
            None
        }
    }
}

pub struct BoolColumn<'a> {
    bits: &'a [u8],
    validity: Validity<'a>,
}

impl BoolColumn<'_> {
    #[inline(always)]
    pub fn get(&self, row: usize) -> Option<bool> {
        if self.validity.is_valid(row) && row / 8 < self.bits.len() {
            Some(bit(self.bits, row))
        } else {
            None
        }
    }
}
