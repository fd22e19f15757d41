"""Bitmaps <-> one byte per row, and row masks.

The contract's validity and boolean buffers are bit-packed (bit i of byte i/8 is row i). Python
cannot test bits fast one row at a time, so a whole bitmap is expanded at once into `flags`: a
`bytes` of one 0/1 byte per row, built with table lookups in C (`bytes.join` over `map`), never a
Python loop per row. `Mask` wraps flags and combines them a batch at a time through big-int
arithmetic, which CPython runs in C too.
"""

from itertools import compress, islice, repeat

# EXPAND[b]: the 8 flags of bitmap byte b, row order (least significant bit first).
EXPAND = tuple(bytes((b >> k) & 1 for k in range(8)) for b in range(256))
# PACK[flags]: the bitmap byte of 8 flags.
PACK = {flags: b for b, flags in enumerate(EXPAND)}
# Swaps flags 0 <-> 1 (any other byte value is never produced).
_NOT = bytes.maketrans(b"\x00\x01", b"\x01\x00")
# Turns any byte into a flag (0 -> 0, anything else -> 1).
TO_FLAG = bytes([0] + [1] * 255)


def expand(bitmap, rows):
    """Flags of the first `rows` bits of `bitmap`."""
    if len(bitmap) * 8 < rows:
        raise ValueError(f"bitmap of {len(bitmap)} bytes is too short for {rows} rows")
    return b"".join(map(EXPAND.__getitem__, bitmap))[:rows]


def pack(flags):
    """The bitmap of `flags` (0/1 bytes), padded with zero bits to whole bytes."""
    rows = len(flags)
    padded = bytes(flags) + bytes(-rows % 8)
    chunks = map(padded.__getitem__, map(slice, range(0, rows, 8), range(8, rows + 8, 8)))
    return bytes(map(PACK.__getitem__, chunks))


def runs(flags):
    """Runs of equal bytes as `(bounds, values)`: run k covers rows `bounds[k]` up to
    `bounds[k + 1]` and holds byte `values[k]`; `bounds` ends with `len(flags)`. `flags` holds
    one small value per row (a flag, or a state below 255).

    Each row is XORed with the row before it in one big-int operation (row -1 holds 255, which
    no row holds, so row 0 always starts a run): a nonzero byte starts a run, and `compress`
    picks those rows out in C. No object is made per row, only per run.
    """
    rows = len(flags)
    bits = int.from_bytes(flags, "little")
    starts = (bits ^ ((bits << 8) | 255)).to_bytes(rows + 1, "little")[:rows]
    bounds = list(compress(range(rows), starts))
    values = bytes(map(flags.__getitem__, bounds))
    bounds.append(rows)
    return bounds, values


def with_nones(values, flags):
    """`values` with None where `flags` is 0 (C-level: index each (None, value) pair by flag)."""
    return list(map(tuple.__getitem__, zip(repeat(None), values), flags))


def where(mask, if_true, if_false):
    """Per row, `if_true[i]` where `mask` selects row i, else `if_false[i]` (like numpy.where;
    e.g. SQL's coalesce(a, b) is `where(a.valid, a.values(), b.values())`)."""
    return list(map(tuple.__getitem__, zip(if_false, if_true), mask.flags))


class Mask:
    """A row selection: one flag per row. Combine with `&`, `|`, `~`; apply with `select`.

    Every operation runs a batch at a time in C, which is what keeps Python plugins within a
    small factor of Rust ones. A mask is a value (`flags` is immutable `bytes`), so what is
    derived from it is computed once.
    """

    __slots__ = ("flags", "_selected_runs")

    def __init__(self, flags):
        self.flags = bytes(flags).translate(TO_FLAG)
        self._selected_runs = None

    @classmethod
    def _of(cls, flags):
        mask = cls.__new__(cls)
        mask.flags = flags
        mask._selected_runs = None
        return mask

    @classmethod
    def all(cls, rows):
        return cls._of(b"\x01" * rows)

    @classmethod
    def none(cls, rows):
        return cls._of(bytes(rows))

    @classmethod
    def of(cls, values):
        """Rows whose value is truthy (so neither None nor empty for strings)."""
        return cls._of(bytes(map(bool, values)))

    def __len__(self):
        return len(self.flags)

    def _binary(self, other, op):
        if len(self.flags) != len(other.flags):
            raise ValueError(f"masks of {len(self.flags)} and {len(other.flags)} rows combined")
        a = int.from_bytes(self.flags, "little")
        b = int.from_bytes(other.flags, "little")
        return Mask._of(op(a, b).to_bytes(len(self.flags), "little"))

    def __and__(self, other):
        return self._binary(other, int.__and__)

    def __or__(self, other):
        return self._binary(other, int.__or__)

    def __invert__(self):
        return Mask._of(self.flags.translate(_NOT))

    def count(self):
        """How many rows are selected."""
        return self.flags.count(1)

    def select(self, values):
        """The values of the selected rows, in order (`values` has one entry per row)."""
        return list(compress(values, self.flags))

    def selected_runs(self):
        """`(starts, ends)`: the selected rows as runs of consecutive rows, `starts[k]` up to
        `ends[k]`. Computed once per mask (a mask never changes), since one mask usually
        selects from several columns."""
        if self._selected_runs is None:
            bounds, values = runs(self.flags)
            self._selected_runs = (list(compress(bounds, values)),
                                   list(compress(islice(bounds, 1, None), values)))
        return self._selected_runs

    def indices(self):
        return self.select(range(len(self.flags)))

    def __iter__(self):
        """One bool per row (for plain per-row loops)."""
        return map(bool, self.flags)

    def __repr__(self):
        return f"Mask({self.count()} of {len(self.flags)} rows)"
