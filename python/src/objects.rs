//! pandas object columns as Arrow arrays, read in place.
//!
//! Snowflake hands a vectorized UDTF its partition as a pandas DataFrame: text and nullable
//! booleans arrive as object columns, one Python object per value. pyarrow's general
//! conversion costs about 40 ns a value there, more than the plugin's whole transform; these
//! loops read each object once through the numpy array's own pointers. A value they do not
//! know (not text / bool, not a missing value) makes them return `None`, and the caller falls
//! back to pyarrow's conversion, with its own coercions and errors.

use arrow_array::builder::{ArrayBuilder, BooleanBuilder, StringBuilder};
use arrow_pyarrow::ToPyArrow;
use numpy::PyReadonlyArray1;
use numpy::PyUntypedArrayMethods;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyString};

/// One object as a value: `None` and NaN (pandas' two spellings of missing) are NULL.
enum Value<'a, 'py> {
    Missing,
    Text(&'a Bound<'py, PyString>),
    Bool(bool),
    Other,
}

fn value<'a, 'py>(object: &'a Bound<'py, PyAny>) -> Value<'a, 'py> {
    if object.is_none() {
        Value::Missing
    } else if let Ok(text) = object.downcast::<PyString>() {
        Value::Text(text)
    } else if let Ok(flag) = object.downcast::<PyBool>() {
        Value::Bool(flag.is_true())
    } else if object
        .downcast::<PyFloat>()
        .is_ok_and(|number| number.value().is_nan())
    {
        Value::Missing
    } else {
        Value::Other
    }
}

/// Calls `each` on every object of a 1-D object array in order, until it returns false
/// (then false).
fn all_objects(
    objects: &PyReadonlyArray1<'_, Py<PyAny>>,
    mut each: impl FnMut(&Bound<'_, PyAny>) -> PyResult<bool>,
) -> PyResult<bool> {
    let py = objects.py();
    if let Ok(contiguous) = objects.as_slice() {
        for object in contiguous {
            if !each(object.bind(py))? {
                return Ok(false);
            }
        }
    } else {
        for object in objects.as_array() {
            if !each(object.bind(py))? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Appends every object's value to `builder` with `push` until it returns false; the array as
/// pyarrow, or `None` when `push` stopped.
fn from_objects<B: ArrayBuilder>(
    objects: &PyReadonlyArray1<'_, Py<PyAny>>,
    mut builder: B,
    mut push: impl FnMut(&mut B, Value<'_, '_>) -> PyResult<bool>,
) -> PyResult<Option<Py<PyAny>>> {
    if !all_objects(objects, |object| push(&mut builder, value(object)))? {
        return Ok(None);
    }
    let array = builder.finish().to_data();
    Ok(Some(array.to_pyarrow(objects.py())?.unbind()))
}

/// An object column of `str` and missing values as a pyarrow `string` array; `None` when
/// another kind of value is in it, or its text outgrows one array's 2 GiB.
#[pyfunction]
pub fn text_from_objects(objects: PyReadonlyArray1<'_, Py<PyAny>>) -> PyResult<Option<Py<PyAny>>> {
    let texts = StringBuilder::with_capacity(objects.len(), 16 * objects.len());
    let mut bytes = 0usize;
    from_objects(&objects, texts, |texts, value| match value {
        Value::Missing => {
            texts.append_null();
            Ok(true)
        }
        Value::Text(text) => {
            // UTF-8 as CPython keeps it: ASCII text is read in place, other text encoded
            // once. A lone surrogate is not UTF-8 and fails here.
            let text = text.to_str().map_err(|error| {
                let row = texts.len() + 1;
                PyValueError::new_err(format!("row {row}: not valid text: {error}"))
            })?;
            bytes += text.len();
            if bytes > i32::MAX as usize {
                return Ok(false); // past one array's offsets: left to pyarrow
            }
            texts.append_value(text);
            Ok(true)
        }
        Value::Bool(_) | Value::Other => Ok(false),
    })
}

/// An object column of `bool` and missing values as a pyarrow `bool` array; `None` when
/// another kind of value is in it.
#[pyfunction]
pub fn booleans_from_objects(
    objects: PyReadonlyArray1<'_, Py<PyAny>>,
) -> PyResult<Option<Py<PyAny>>> {
    let flags = BooleanBuilder::with_capacity(objects.len());
    from_objects(&objects, flags, |flags, value| match value {
        Value::Missing => {
            flags.append_null();
            Ok(true)
        }
        Value::Bool(flag) => {
            flags.append_value(flag);
            Ok(true)
        }
        Value::Text(_) | Value::Other => Ok(false),
    })
}
