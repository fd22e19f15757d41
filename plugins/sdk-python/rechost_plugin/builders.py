"""Output columns in the contract's (Arrow) layout, built a column at a time.

`append`/`extend` only collect values; `finish()` converts the whole column at once with C-level
primitives and checks every value, so a bad value fails the transform with a message naming the
row here, rather than trapping later while the component lowers it.
"""

from array import array
from itertools import accumulate, repeat
from operator import is_not

from .bits import pack
from .buffers import FLOAT64, INT64, OFFSET, to_bytes
from .wit_types import columns as wit

_I32_MAX = 2**31 - 1


class _Builder:
    kind = ""

    def __init__(self, values=()):
        self._values = list(values)

    def append(self, value):
        self._values.append(value)

    def extend(self, values):
        self._values.extend(values)

    def __len__(self):
        return len(self._values)

    def _split_nulls(self, fill):
        """(values with `fill` for None, validity bitmap or None when no value is None)."""
        values = self._values
        if None not in values:
            return values, None
        flags = bytes(map(is_not, values, repeat(None)))
        filled = list(map(tuple.__getitem__, zip(repeat(fill), values), flags))
        return filled, pack(flags)

    def _bad(self, values, ok, what):
        for row, value in enumerate(values):
            if not ok(value):
                raise TypeError(f"{self.kind} output row {row}: {value!r} is not {what}")
        raise TypeError(f"{self.kind} output: a value is not {what}")


class Utf8Builder(_Builder):
    """Text column: values are `str`, UTF-8 `bytes`, or None for NULL."""

    kind = "utf8"

    def finish(self):
        values, validity = self._split_nulls(b"")
        try:
            data = b"".join(values)
            encoded = values
        except TypeError:
            encoded = self._encode(values)
            data = b"".join(encoded)
        if len(data) > _I32_MAX:
            raise ValueError(f"utf8 output column holds {len(data)} bytes (at most 2 GiB-1)")
        offsets = to_bytes(OFFSET, accumulate(map(len, encoded), initial=0))
        return wit.Column(validity, wit.Values_Utf8(wit.Utf8Values(offsets, data)))

    def _encode(self, values):
        try:
            return list(map(str.encode, values))
        except TypeError:
            pass  # mixed str and bytes, or neither: per value, naming the bad one
        ok = lambda v: isinstance(v, (str, bytes))  # noqa: E731
        if all(map(ok, values)):
            return [v.encode() if isinstance(v, str) else v for v in values]
        self._bad(values, ok, "str, bytes or None")


class _PrimitiveBuilder(_Builder):
    typecode = INT64
    variant = None
    what = "an int between -2**63 and 2**63-1"

    def _checked(self, values):
        """The contract buffer of `values`, or a TypeError naming the first bad one."""
        try:
            return to_bytes(self.typecode, values)
        except (TypeError, OverflowError):
            self._bad(values, self._ok, self.what)

    @staticmethod
    def _ok(value):
        try:
            array("q", [value])
            return True
        except (TypeError, OverflowError):
            return False

    def finish(self):
        values, validity = self._split_nulls(0)
        return wit.Column(validity, self.variant(self._checked(values)))


class Int64Builder(_PrimitiveBuilder):
    kind = "int64"
    variant = wit.Values_Int64


class TimestampBuilder(_PrimitiveBuilder):
    """Microseconds since the Unix epoch, UTC."""

    kind = "timestamp"
    variant = wit.Values_Timestamp


class Float64Builder(_PrimitiveBuilder):
    kind = "float64"
    typecode = FLOAT64
    variant = wit.Values_Float64
    what = "a float or an int"

    def _checked(self, values):
        try:
            return to_bytes(FLOAT64, map(float, values))
        except (TypeError, ValueError, OverflowError):
            self._bad(values, lambda v: isinstance(v, (int, float)), self.what)


class BoolBuilder(_Builder):
    kind = "boolean"

    def finish(self):
        values, validity = self._split_nulls(False)
        return wit.Column(validity, wit.Values_Boolean(pack(bytes(map(bool, values)))))


def utf8(values):
    """A finished text column of `values` (str, bytes or None)."""
    return Utf8Builder(values).finish()


def int64(values):
    return Int64Builder(values).finish()


def float64(values):
    return Float64Builder(values).finish()


def boolean(values):
    return BoolBuilder(values).finish()


def timestamp(values):
    """A finished timestamp column of microseconds since the epoch (or None)."""
    return TimestampBuilder(values).finish()


def constant_utf8(value, rows):
    """`rows` copies of one text value, built without a list of `rows` strings."""
    encoded = value.encode() if isinstance(value, str) else bytes(value)
    offsets = to_bytes(OFFSET, range(0, len(encoded) * rows + 1, len(encoded) or 1))
    if not encoded:
        offsets = bytes(4 * (rows + 1))
    return wit.Column(None, wit.Values_Utf8(wit.Utf8Values(offsets, encoded * rows)))
