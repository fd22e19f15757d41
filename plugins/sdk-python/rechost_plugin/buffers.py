"""Contract buffers (little-endian bytes) <-> `array`s of numbers, and whole-buffer arithmetic.

Contract 0.2 passes offsets and numbers as bytes, which componentize-py copies in one piece;
`array.frombytes`/`tobytes` turn them into numbers and back with one copy in C, no Python object
per value until one is read. Some operations never need the values: read as one big integer, a
buffer of non-negative lanes can be subtracted or masked lane by lane in one C-level operation,
as long as no lane borrows from the next.
"""

import sys
from array import array

from .bits import TO_FLAG

OFFSET = "i"  # s32 string offsets
INT64 = "q"  # s64 numbers and timestamps
FLOAT64 = "d"  # IEEE 754 binary64

if sys.byteorder != "little":  # pragma: no cover - WebAssembly is little-endian
    raise ImportError("rechost_plugin reads contract buffers in place: it needs a little-endian CPU")
for _code, _size in ((OFFSET, 4), (INT64, 8), (FLOAT64, 8)):
    if array(_code).itemsize != _size:  # pragma: no cover - C types of every CPython we target
        raise ImportError(f"array typecode {_code!r} is not {_size} bytes on this platform")



def numbers(typecode, data):
    """The values of a contract buffer, as an array of `typecode`."""
    values = array(typecode)
    values.frombytes(data)
    return values


def to_bytes(typecode, values):
    """`values` (an array or any iterable of numbers) as a contract buffer."""
    if not (isinstance(values, array) and values.typecode == typecode):
        values = array(typecode, values)
    return values.tobytes()


def differences(data):
    """`offsets[i + 1] - offsets[i]` for every i of an offsets buffer, as s32 lanes: one big-int
    subtraction. Exact because offsets never decrease, so no lane borrows from the next."""
    difference = int.from_bytes(data[4:], "little") - int.from_bytes(data[:-4], "little")
    return difference.to_bytes(len(data) - 4, "little")


def nonzero_lanes(data, width):
    """One flag per `width`-byte lane of `data`: 1 where any of its bytes is not zero."""
    bits = int.from_bytes(data.translate(TO_FLAG), "little")
    combined = bits
    for shift in range(8, 8 * width, 8):
        combined |= bits >> shift  # a lane's upper bytes onto its first byte
    return combined.to_bytes(len(data), "little")[::width]
