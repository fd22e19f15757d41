"""Typed readers over the input batch, decoded a column at a time.

Every method works on a whole column with C-level primitives (`map`, `compress`, `accumulate`,
runs of rows, big-int masks), never a Python function call per row. Text columns stay offsets +
bytes: `select` and `coalesce` compute the new offsets from lengths and copy the bytes of each
run of consecutive rows at once, so no per-row `bytes` object is made unless asked for
(`values()`, `bytes()`). Values of NULL rows are `None`; `valid` masks the non-NULL rows.
"""

from array import array
from itertools import accumulate, compress, islice, repeat
from operator import floordiv, getitem

from .bits import TO_FLAG, Mask, expand, pack, runs, with_nones
from .buffers import (FLOAT64, INT64, OFFSET, choose_lanes, differences, nonzero_lanes, numbers,
                      to_bytes)
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
        values = column.values.value
        offsets = numbers(OFFSET, values.offsets)
        return Utf8Column(offsets, values.data, column.validity, self.rows)

    def int64(self, key):
        column = self._column(key, wit.Values_Int64)
        return Int64Column(numbers(INT64, column.values.value), column.validity, self.rows)

    def float64(self, key):
        column = self._column(key, wit.Values_Float64)
        return Float64Column(numbers(FLOAT64, column.values.value), column.validity, self.rows)

    def boolean(self, key):
        column = self._column(key, wit.Values_Boolean)
        return BoolColumn(column.values.value, column.validity, self.rows)

    def timestamp(self, key):
        column = self._column(key, wit.Values_Timestamp)
        return TimestampColumn(numbers(INT64, column.values.value), column.validity, self.rows)


def _selected_validity(valid, mask):
    """The validity bitmap of the rows `mask` selects (None: no NULL among them)."""
    flags = bytes(compress(valid.flags, mask.flags))
    return None if flags.count(0) == 0 else pack(flags)


# A coalesce's pick flag (1: first column, 0: second) as a `_copy_runs` state.
_PICK_STATES = bytes.maketrans(b"\x00\x01", b"\x01\x02")


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


def _copy_runs(states, sources):
    """The bytes of every row whose state is not 0, in row order, read from the column
    `sources[state - 1]`: copied a run of rows with one state at a time, all in C."""
    bounds, values = runs(states)
    live = values.translate(TO_FLAG)
    picked = bytes(compress(values, live))
    offsets = (None, *(column.offsets for column in sources))
    datas = (None, *(column.data for column in sources))
    first = map(getitem, map(offsets.__getitem__, picked), compress(bounds, live))
    last = map(getitem, map(offsets.__getitem__, picked),
               compress(islice(bounds, 1, None), live))
    return b"".join(map(getitem, map(datas.__getitem__, picked), map(slice, first, last)))


class Utf8Column(_Column):
    def __init__(self, offsets, data, validity, rows):
        super().__init__(validity, rows)
        if len(offsets) != rows + 1:
            raise ValueError(f"utf8 column has {len(offsets)} offsets for {rows} rows")
        self._offsets = offsets if isinstance(offsets, array) else array(OFFSET, offsets)
        self._data = data
        self._length_lanes = None
        self._picks = None

    @classmethod
    def _coalesced(cls, first, second, validity, lengths):
        """Row i of `first` where it is valid, else of `second`; bytes are copied only when
        read, so a coalesce that is then selected copies only the selected rows, once."""
        column = cls.__new__(cls)
        _Column.__init__(column, validity, first.rows)
        column._offsets = column._data = None
        column._length_lanes = lengths
        column._picks = (first.valid.flags, second, first)  # flag 1: first
        return column

    @property
    def offsets(self):
        if self._offsets is None:
            self._offsets = array(OFFSET, accumulate(self.lengths(), initial=0))
        return self._offsets

    @property
    def data(self):
        if self._data is None:
            flags, second, first = self._picks
            self._data = _copy_runs(flags.translate(_PICK_STATES), (second, first))
        return self._data

    def _lengths_as_bytes(self):
        if self._length_lanes is None:
            self._length_lanes = differences(self.offsets)
        return self._length_lanes

    def lengths(self):
        """Byte length of every row (0 for NULL rows the host sends), as an array."""
        return numbers(OFFSET, self._lengths_as_bytes())

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
        return self.valid & Mask._of(nonzero_lanes(self._lengths_as_bytes(), 4))

    def select(self, mask):
        """The rows `mask` selects: offsets from their lengths, bytes copied a run at a time."""
        self._check(mask)
        if self._data is None and self._picks is not None:
            # A coalesce not read yet: copy the selected rows straight from its two columns.
            flags, second, first = self._picks
            keep = int.from_bytes(mask.flags, "little")
            states = keep + (keep & int.from_bytes(flags, "little"))  # 0, 1: second, 2: first
            out = _copy_runs(states.to_bytes(self.rows, "little"), (second, first))
        else:
            offsets, data = self.offsets, self.data
            starts, ends = mask.selected_runs()
            out = b"".join(map(data.__getitem__, map(slice, map(offsets.__getitem__, starts),
                                                     map(offsets.__getitem__, ends))))
        new_offsets = array(OFFSET, accumulate(compress(self.lengths(), mask.flags), initial=0))
        return Utf8Column(new_offsets, out, self._select_validity(mask), len(new_offsets) - 1)

    def coalesce(self, other):
        """SQL coalesce(self, other): this row's value where it is not NULL, else other's."""
        if other.rows != self.rows:
            raise ValueError(f"coalesce of columns of {self.rows} and {other.rows} rows")
        if self.validity is None:
            return self
        mine = self.valid
        lengths = choose_lanes(self.validity, self.rows, self._lengths_as_bytes(),
                               other._lengths_as_bytes())
        valid = mine | other.valid
        validity = None if valid.count() == self.rows else pack(valid.flags)
        return Utf8Column._coalesced(self, other, validity, lengths)

    def finish(self):
        """The column for an output batch."""
        offsets = self.offsets.tobytes()
        return wit.Column(self.validity, wit.Values_Utf8(wit.Utf8Values(offsets, self.data)))


class Int64Column(_Column):
    _variant = wit.Values_Int64
    _typecode = INT64

    def __init__(self, values, validity, rows):
        super().__init__(validity, rows)
        self._values = values
        self._selection = None  # (values, flags) of a select not read yet

    @property
    def _raw(self):
        if self._values is None:
            self._values = array(self._typecode, self._iter())
        return self._values

    def _iter(self):
        """The values in order, without building them when a select is pending."""
        if self._values is None:
            values, flags = self._selection
            return compress(values, flags)
        return iter(self._values)

    def raw(self):
        """Every row's value (NULL rows hold an unspecified number)."""
        return self._raw

    def values(self):
        return self._nulled(self._raw)

    def select(self, mask):
        """The rows `mask` selects; picked when read, so `select(...).seconds()` is one pass."""
        self._check(mask)
        column = type(self)(None, self._select_validity(mask), mask.count())
        column._selection = (self._raw, mask.flags)
        return column

    def finish(self):
        return wit.Column(self.validity, self._variant(to_bytes(self._typecode, self._raw)))


class Float64Column(Int64Column):
    _variant = wit.Values_Float64
    _typecode = FLOAT64


class TimestampColumn(Int64Column):
    """Microseconds since the Unix epoch, UTC."""

    _variant = wit.Values_Timestamp

    def seconds(self):
        """An int64 column of whole seconds, floored (also before 1970)."""
        values = array(INT64, map(floordiv, self._iter(), repeat(1_000_000)))
        return Int64Column(values, self.validity, self.rows)

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
        flags = bytes(compress(self._set().flags, mask.flags))
        return BoolColumn(pack(flags), self._select_validity(mask), len(flags))

    def finish(self):
        return wit.Column(self.validity, wit.Values_Boolean(self.bits))
