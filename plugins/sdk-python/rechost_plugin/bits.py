"""Bitmaps <-> one byte per row, and row masks.

The contract's validity and boolean buffers are bit-packed (bit i of byte i/8 is row i). Python
cannot test bits fast one row at a time, so a whole bitmap is expanded at once into `flags`: a
`bytes` of one 0/1 byte per row, built with table lookups in C (`bytes.join` over `map`), never a
Python loop per row. `Mask` wraps flags and combines them a batch at a time through big-int
arithmetic, which CPython runs in C too.
"""

from itertools import compress, repeat

# EXPAND[b]: the 8 flags of bitmap byte b, row order (least significant bit first).
EXPAND = tuple(bytes((b >> k) & 1 for k in range(8)) for b in range(256))
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
    """The bitmap of `flags` (0/1 bytes), padded with zero bits to whole bytes.

    Read as one big integer, every 8 flags are an 8-byte lane with its flags at bits 0, 8, ...,
    56; three shift-ORs gather them into the lane's first byte, and bits moved from a
    neighbouring lane only ever land in upper bytes, which are dropped.
    """
    padded = bytes(flags) + bytes(-len(flags) % 8)
    lanes = int.from_bytes(padded, "little")
    lanes |= lanes >> 7
    lanes |= lanes >> 14
    lanes |= lanes >> 28
    return lanes.to_bytes(len(padded), "little")[::8]


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

    __slots__ = ("flags", "_bitmap")

    def __init__(self, flags):
        self.flags = bytes(flags).translate(TO_FLAG)
        self._bitmap = None

    @classmethod
    def _of(cls, flags):
        mask = cls.__new__(cls)
        mask.flags = flags
        mask._bitmap = None
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

    def bitmap(self):
        """The mask bit-packed like a validity bitmap, as the host's kernels take it. Computed
        once per mask (a mask never changes), since one mask usually selects several columns."""
        if self._bitmap is None:
            self._bitmap = pack(self.flags)
        return self._bitmap

    def indices(self):
        return self.select(range(len(self.flags)))

    def __iter__(self):
        """One bool per row (for plain per-row loops)."""
        return map(bool, self.flags)

    def __repr__(self):
        return f"Mask({self.count()} of {len(self.flags)} rows)"
