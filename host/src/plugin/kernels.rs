//! The `kernels` import of contract 0.2: whole-column operations a plugin asks the host to run,
//! because loops are slow in the interpreters Python and JavaScript plugins carry. Each is a
//! pure function of its arguments, done by Arrow's kernels. The arguments come from untrusted
//! code, so every buffer is checked before Arrow sees it, and a malformed one traps the call
//! with a message naming the kernel and the argument, never a host panic.

use arrow_array::{Array, BinaryArray, BooleanArray, Int64Array};
use arrow_buffer::{BooleanBuffer, Buffer};
use arrow_select::{filter::filter, zip::zip};
use wasmtime::component::{HasData, Linker};

use super::bindings::v0_2::kernels::{self, Utf8Values};
use super::buffers::{bits, checked_offsets, typed};
use super::sandbox::SandboxState;

/// Why a kernel refused its arguments (the plugin traps with this message).
#[derive(Debug, thiserror::Error)]
#[error("rechost kernel {kernel}: {problem}")]
pub struct KernelError {
    kernel: &'static str,
    problem: String,
}

fn refused(kernel: &'static str) -> impl Fn(String) -> KernelError {
    move |problem| KernelError { kernel, problem }
}

/// Links the kernels for plugins that import them (0.2 plugins built with an SDK do).
pub fn add_to_linker(linker: &mut Linker<SandboxState>) -> wasmtime::Result<()> {
    kernels::add_to_linker::<SandboxState, Stateless>(linker, |_| Kernels)
}

/// The kernels keep nothing between calls: the store's state is not theirs to see.
struct Stateless;

impl HasData for Stateless {
    type Data<'a> = Kernels;
}

pub struct Kernels;

impl kernels::Host for Kernels {
    fn filter_utf8(&mut self, values: Utf8Values, keep: Vec<u8>) -> wasmtime::Result<Utf8Values> {
        Ok(filter_utf8(values, keep)?)
    }

    fn filter_fixed64(&mut self, values: Vec<u8>, keep: Vec<u8>) -> wasmtime::Result<Vec<u8>> {
        Ok(filter_fixed64(values, keep)?)
    }

    fn filter_bits(
        &mut self,
        bits: Vec<u8>,
        rows: u32,
        keep: Vec<u8>,
    ) -> wasmtime::Result<Vec<u8>> {
        Ok(filter_bits(bits, rows, keep)?)
    }

    fn choose_utf8(
        &mut self,
        pick: Vec<u8>,
        first: Utf8Values,
        second: Utf8Values,
    ) -> wasmtime::Result<Utf8Values> {
        Ok(choose_utf8(pick, first, second)?)
    }

    fn floor_divide(&mut self, values: Vec<u8>, divisor: i64) -> wasmtime::Result<Vec<u8>> {
        Ok(floor_divide(values, divisor)?)
    }
}

/// Strings as Arrow binary (UTF-8 is the plugin's business until the host checks its output).
fn strings(values: Utf8Values, what: &str) -> Result<BinaryArray, String> {
    let entries = values.offsets.len() / 4;
    if entries == 0 {
        return Err(format!(
            "{what}.offsets is empty: rows + 1 offsets are needed"
        ));
    }
    let offsets = checked_offsets(
        Buffer::from_vec(values.offsets),
        entries - 1,
        values.data.len(),
    )
    .map_err(|e| format!("{what}.{e}"))?;
    BinaryArray::try_new(offsets, Buffer::from_vec(values.data), None)
        .map_err(|e| format!("{what}: {e}"))
}

fn utf8_values(array: &BinaryArray) -> Utf8Values {
    let offsets = array.offsets();
    let (start, end) = (offsets[0] as usize, offsets[array.len()] as usize);
    let data = array.values().as_slice()[start..end].to_vec();
    let offsets = offsets.iter().map(|o| o - offsets[0]);
    Utf8Values {
        offsets: offsets.flat_map(i32::to_le_bytes).collect(),
        data,
    }
}

fn mask(bytes: Vec<u8>, rows: usize, what: &str) -> Result<BooleanArray, String> {
    Ok(BooleanArray::new(bits(bytes, rows, what)?, None))
}

/// Bits `0..len` of `buffer`, packed from bit 0, with the bits past `len` cleared.
fn packed(buffer: &BooleanBuffer) -> Vec<u8> {
    let mut bytes = buffer.sliced().as_slice()[..buffer.len().div_ceil(8)].to_vec();
    if let Some(last) = bytes.last_mut()
        && !buffer.len().is_multiple_of(8)
    {
        *last &= (1u8 << (buffer.len() % 8)) - 1;
    }
    bytes
}

fn arrow_failed(e: arrow_schema::ArrowError) -> String {
    e.to_string()
}

pub fn filter_utf8(values: Utf8Values, keep: Vec<u8>) -> Result<Utf8Values, KernelError> {
    let refuse = refused("filter-utf8");
    let values = strings(values, "values").map_err(&refuse)?;
    let keep = mask(keep, values.len(), "keep").map_err(&refuse)?;
    let kept = filter(&values, &keep)
        .map_err(arrow_failed)
        .map_err(&refuse)?;
    Ok(utf8_values(
        kept.as_any().downcast_ref().expect("filter keeps the type"),
    ))
}

pub fn filter_fixed64(values: Vec<u8>, keep: Vec<u8>) -> Result<Vec<u8>, KernelError> {
    let refuse = refused("filter-fixed64");
    let rows = values.len() / 8;
    let values = Int64Array::new(
        typed(Buffer::from_vec(values), rows, "values").map_err(&refuse)?,
        None,
    );
    let keep = mask(keep, rows, "keep").map_err(&refuse)?;
    let kept = filter(&values, &keep)
        .map_err(arrow_failed)
        .map_err(&refuse)?;
    let kept: &Int64Array = kept.as_any().downcast_ref().expect("filter keeps the type");
    Ok(kept.values().inner().as_slice().to_vec())
}

pub fn filter_bits(bits: Vec<u8>, rows: u32, keep: Vec<u8>) -> Result<Vec<u8>, KernelError> {
    let refuse = refused("filter-bits");
    let rows = rows as usize;
    let values = mask(bits, rows, "bits").map_err(&refuse)?;
    let keep = mask(keep, rows, "keep").map_err(&refuse)?;
    let kept = filter(&values, &keep)
        .map_err(arrow_failed)
        .map_err(&refuse)?;
    let kept: &BooleanArray = kept.as_any().downcast_ref().expect("filter keeps the type");
    Ok(packed(kept.values()))
}

pub fn choose_utf8(
    pick: Vec<u8>,
    first: Utf8Values,
    second: Utf8Values,
) -> Result<Utf8Values, KernelError> {
    let refuse = refused("choose-utf8");
    let first = strings(first, "first").map_err(&refuse)?;
    let second = strings(second, "second").map_err(&refuse)?;
    if first.len() != second.len() {
        return Err(refuse(format!(
            "first has {} rows, second {}",
            first.len(),
            second.len()
        )));
    }
    // The result's offsets are s32 like the contract's: refuse what could not fit them.
    let bytes = first.value_data().len() + second.value_data().len();
    if bytes > i32::MAX as usize {
        return Err(refuse(format!(
            "{bytes} bytes of text exceed what s32 offsets address"
        )));
    }
    let pick = mask(pick, first.len(), "pick").map_err(&refuse)?;
    let chosen = zip(&pick, &first, &second)
        .map_err(arrow_failed)
        .map_err(&refuse)?;
    Ok(utf8_values(
        chosen.as_any().downcast_ref().expect("zip keeps the type"),
    ))
}

pub fn floor_divide(values: Vec<u8>, divisor: i64) -> Result<Vec<u8>, KernelError> {
    let refuse = refused("floor-divide");
    if divisor <= 0 {
        return Err(refuse(format!("divisor is {divisor}; it must be positive")));
    }
    let rows = values.len() / 8;
    let values = typed::<i64>(Buffer::from_vec(values), rows, "values").map_err(&refuse)?;
    // Euclidean division by a positive divisor is floor division, and cannot overflow.
    Ok(values
        .iter()
        .flat_map(|v| v.div_euclid(divisor).to_le_bytes())
        .collect())
}

#[cfg(test)]
mod tests;
