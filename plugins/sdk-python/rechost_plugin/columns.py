"""Typed readers over the input batch, decoded a column at a time.

Each reader turns a whole column into a Python list (or a `Mask`) with C-level primitives:
`map`/`zip`/`compress` over slices and table lookups, never a Python function call per row.
Values of NULL rows are `None`; `valid` says which rows are not NULL.
"""

from itertools import islice, repeat
from operator import floordiv

from .bits import Mask, expand, with_nones
from .wit_types import types as wit

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
        return Utf8Column(self._column(key, wit.Values_Utf8), self.rows)

    def int64(self, key):
        return Int64Column(self._column(key, wit.Values_Int64), self.rows)

    def float64(self, key):
        return Float64Column(self._column(key, wit.Values_Float64), self.rows)

    def boolean(self, key):
        return BoolColumn(self._column(key, wit.Values_Boolean), self.rows)

    def timestamp(self, key):
        return TimestampColumn(self._column(key, wit.Values_Timestamp), self.rows)


class _Column:
    def __init__(self, column, rows):
        self.rows = rows
        self.validity = column.validity
        self._flags = None
        self._raw = column.values.value

    @property
    def has_nulls(self):
        return self.validity is not None and self.valid.count() < self.rows

    @property
    def valid(self):
        """Mask of the rows that are not NULL."""
        if self._flags is None:
            if self.validity is None:
                self._flags = Mask.all(self.rows)
            else:
                self._flags = Mask._of(expand(self.validity, self.rows))
        return self._flags

    def _nulled(self, values):
        if self.validity is None:
            return values if isinstance(values, list) else list(values)
        return with_nones(values, self.valid.flags)


class Utf8Column(_Column):
    def raw(self):
        """Every row's bytes (b"" for NULL rows too), without decoding."""
        offsets, data = self._raw.offsets, self._raw.data
        if len(offsets) != self.rows + 1:
            raise ValueError(f"utf8 column has {len(offsets)} offsets for {self.rows} rows")
        return list(map(data.__getitem__, map(slice, offsets, islice(offsets, 1, None))))

    def bytes(self):
        """Every row's UTF-8 bytes, None for NULL: the fastest form to copy into output."""
        return self._nulled(self.raw())

    def values(self):
        """Every row's text, None for NULL."""
        offsets, data = self._raw.offsets, self._raw.data
        if data.isascii():
            # Byte offsets are character offsets: slice the decoded text, no decode per row.
            text = data.decode("ascii")
            strings = map(text.__getitem__, map(slice, offsets, islice(offsets, 1, None)))
        else:
            strings = map(bytes.decode, self.raw())
        return self._nulled(strings)

    def non_empty(self):
        """Mask of rows neither NULL nor empty (`len` of each slice, no decode)."""
        offsets = self._raw.offsets
        lengths = map(int.__sub__, islice(offsets, 1, None), offsets)
        return self.valid & Mask._of(bytes(map(bool, lengths)))


class Int64Column(_Column):
    def raw(self):
        """Every row's value (NULL rows hold an unspecified number)."""
        return self._raw

    def values(self):
        return self._nulled(self._raw)


class Float64Column(Int64Column):
    pass


class TimestampColumn(Int64Column):
    """Microseconds since the Unix epoch, UTC."""

    def seconds(self):
        """Whole seconds since the epoch, floored (also before 1970), None for NULL."""
        return self._nulled(map(floordiv, self._raw, repeat(1_000_000)))

    def raw_seconds(self):
        """`seconds()` without the NULL pass (NULL rows hold an unspecified number)."""
        return list(map(floordiv, self._raw, repeat(1_000_000)))


class BoolColumn(_Column):
    def _bits(self):
        return expand(self._raw, self.rows)

    def true(self):
        """Mask of rows that are TRUE (not NULL, not FALSE)."""
        return self.valid & Mask._of(self._bits())

    def false(self):
        """Mask of rows that are FALSE (not NULL, not TRUE)."""
        return self.valid & ~Mask._of(self._bits())

    def values(self):
        return self._nulled(map(bool, self._bits()))
