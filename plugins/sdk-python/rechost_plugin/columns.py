"""Typed readers over the input batch, decoded a column at a time.

Every method works on a whole column, never a Python function call per row: selections,
coalesce and floor division are the host's kernels (native code, see `kernels`), the rest
C-level primitives (`map`, `compress`, big-int masks). Text columns stay offsets + bytes, so no
per-row `bytes` object is made unless asked for (`values()`, `bytes()`). Values of NULL rows are
`None`; `valid` masks the non-NULL rows.
"""

from array import array
from itertools import compress, islice

from . import kernels
from .bits import Mask, expand, pack, with_nones
from .buffers import FLOAT64, INT64, OFFSET, differences, nonzero_lanes, numbers
from .wit_types import columns as wit

_DATA_TYPE_NAMES = {
    wit.Values_Utf8: "utf8",
    wit.Values_Int64: "int64",
    wit.Values_Float64: "float64",
    wit.Values_Boolean: "boolean",
    wit.Values_Timestamp: "timestamp",
}


class Input:
    """The input batch: columns in the manifest's source order, by position or name."""

    def __init__(self, batch, column_names=()):
        self.batch = batch
        self.rows = batch.rows
        self._positions = {name.lower(): i for i, name in enumerate(column_names)}
        self._names = list(column_names)

    def _column(self, key, expected):
        if isinstance(key, str):
            index = self._positions.get(key.lower())
            if index is None:
                raise KeyError(f"input has no column {key!r} (source columns: {self._names})")
        else:
            index = key
        try:
            column = self.batch.columns[index]
        except IndexError:
            raise IndexError(f"input has no column {index} ({len(self.batch.columns)} columns)")
        if not isinstance(column.values, expected):
            got = _DATA_TYPE_NAMES.get(type(column.values), type(column.values).__name__)
            want = _DATA_TYPE_NAMES[expected]
            raise TypeError(f"input column {key!r} is {got}, not {want}")
        return column

    def utf8(self, key):
        column = self._column(key, wit.Values_Utf8)
        return Utf8Column(column.values.value, column.validity, self.rows)

    def int64(self, key):
        column = self._column(key, wit.Values_Int64)
        return Int64Column(column.values.value, column.validity, self.rows)

    def float64(self, key):
        column = self._column(key, wit.Values_Float64)
        return Float64Column(column.values.value, column.validity, self.rows)

    def boolean(self, key):
        column = self._column(key, wit.Values_Boolean)
        return BoolColumn(column.values.value, column.validity, self.rows)

    def timestamp(self, key):
        column = self._column(key, wit.Values_Timestamp)
        return TimestampColumn(column.values.value, column.validity, self.rows)


def _selected_validity(valid, mask):
    """The validity bitmap of the rows `mask` selects (None: no NULL among them)."""
    flags = bytes(compress(valid.flags, mask.flags))
    return None if flags.count(0) == 0 else pack(flags)


class _Column:
    def __init__(self, validity, rows):
        self.rows = rows
        self.validity = validity
        self._valid = None

    @property
    def valid(self):
        """Mask of the rows that are not NULL."""
        if self._valid is None:
            self._valid = (Mask.all(self.rows) if self.validity is None
                           else Mask._of(expand(self.validity, self.rows)))
        return self._valid

    def _nulled(self, values):
        if self.validity is None:
            return values.tolist() if isinstance(values, array) else list(values)
        return with_nones(values, self.valid.flags)

    def _select_validity(self, mask):
        return None if self.validity is None else _selected_validity(self.valid, mask)

    def _check(self, mask):
        if len(mask) != self.rows:
            raise ValueError(f"mask of {len(mask)} rows applied to a column of {self.rows}")


class Utf8Column(_Column):
    def __init__(self, values, validity, rows):
        """`values`: the contract's `utf8-values` (offsets and data as bytes)."""
        super().__init__(validity, rows)
        if len(values.offsets) != 4 * (rows + 1):
            raise ValueError(f"utf8 column has {len(values.offsets) // 4} offsets for {rows} rows")
        self._values = values
        self._offsets = None

    @property
    def offsets(self):
        if self._offsets is None:
            self._offsets = numbers(OFFSET, self._values.offsets)
        return self._offsets

    @property
    def data(self):
        return self._values.data

    def lengths(self):
        """Byte length of every row (0 for NULL rows the host sends), as an array."""
        return numbers(OFFSET, differences(self._values.offsets))

    def raw(self):
        """Every row's bytes (NULL rows included, as stored), without decoding."""
        offsets, data = self.offsets, self.data
        return list(map(data.__getitem__, map(slice, offsets, islice(offsets, 1, None))))

    def bytes(self):
        """Every row's UTF-8 bytes, None for NULL."""
        return self._nulled(self.raw())

    def values(self):
        """Every row's text, None for NULL."""
        offsets, data = self.offsets, self.data
        if data.isascii():
            # Byte offsets are character offsets: slice the decoded text, no decode per row.
            text = data.decode("ascii")
            strings = map(text.__getitem__, map(slice, offsets, islice(offsets, 1, None)))
        else:
            strings = map(bytes.decode, self.raw())
        return self._nulled(strings)

    def non_empty(self):
        """Mask of rows neither NULL nor empty (from the offsets, no slicing)."""
        lengths = differences(self._values.offsets)
        return self.valid & Mask._of(nonzero_lanes(lengths, 4))

    def select(self, mask):
        """The rows `mask` selects."""
        self._check(mask)
        values = kernels.filter_utf8(self._values, mask.bitmap())
        return Utf8Column(values, self._select_validity(mask), mask.count())

    def coalesce(self, other):
        """SQL coalesce(self, other): this row's value where it is not NULL, else other's."""
        if other.rows != self.rows:
            raise ValueError(f"coalesce of columns of {self.rows} and {other.rows} rows")
        if self.validity is None:
            return self
        values = kernels.choose_utf8(self.validity, self._values, other._values)
        valid = self.valid | other.valid
        validity = None if valid.count() == self.rows else pack(valid.flags)
        return Utf8Column(values, validity, self.rows)

    def finish(self):
        """The column for an output batch."""
        return wit.Column(self.validity, wit.Values_Utf8(self._values))


class Int64Column(_Column):
    _variant = wit.Values_Int64
    _typecode = INT64

    def __init__(self, data, validity, rows):
        """`data`: the contract's buffer, 8 little-endian bytes per row."""
        super().__init__(validity, rows)
        if len(data) != 8 * rows:
            raise ValueError(f"{self._variant.__name__} column has {len(data)} bytes for {rows} rows")
        self._data = data
        self._values = None

    @property
    def _raw(self):
        if self._values is None:
            self._values = numbers(self._typecode, self._data)
        return self._values

    def raw(self):
        """Every row's value (NULL rows hold an unspecified number)."""
        return self._raw

    def values(self):
        return self._nulled(self._raw)

    def select(self, mask):
        """The rows `mask` selects."""
        self._check(mask)
        data = kernels.filter_fixed64(self._data, mask.bitmap())
        return type(self)(data, self._select_validity(mask), mask.count())

    def finish(self):
        return wit.Column(self.validity, self._variant(self._data))


class Float64Column(Int64Column):
    _variant = wit.Values_Float64
    _typecode = FLOAT64


class TimestampColumn(Int64Column):
    """Microseconds since the Unix epoch, UTC."""

    _variant = wit.Values_Timestamp

    def seconds(self):
        """An int64 column of whole seconds, floored (also before 1970)."""
        return Int64Column(kernels.floor_divide(self._data, 1_000_000), self.validity, self.rows)

    def raw_seconds(self):
        """`seconds()` as a list (NULL rows hold an unspecified number)."""
        return self.seconds()._raw


class BoolColumn(_Column):
    def __init__(self, bits, validity, rows):
        super().__init__(validity, rows)
        self.bits = bits

    def _set(self):
        return Mask._of(expand(self.bits, self.rows))

    def true(self):
        """Mask of rows that are TRUE (not NULL, not FALSE)."""
        return self.valid & self._set()

    def false(self):
        """Mask of rows that are FALSE (not NULL, not TRUE)."""
        return self.valid & ~self._set()

    def values(self):
        return self._nulled(map(bool, self._set().flags))

    def select(self, mask):
        self._check(mask)
        bits = kernels.filter_bits(self.bits, self.rows, mask.bitmap())
        return BoolColumn(bits, self._select_validity(mask), mask.count())

    def finish(self):
        return wit.Column(self.validity, wit.Values_Boolean(self.bits))
