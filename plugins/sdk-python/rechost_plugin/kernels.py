"""Whole-column operations (filter, choose, floor division) on contract buffers.

Inside a component they are the host's (contract 0.2's `kernels` import): native code, one copy
in and one out, where a Python loop inside WebAssembly would copy a run of rows at a time at a
fraction of CPython's native speed. Anywhere else (tests, a REPL) the plain Python below does the
same, with the same arguments and results, so code using them runs unchanged natively.
"""

import sys
from itertools import accumulate, compress

from .bits import expand, pack
from .buffers import INT64, OFFSET, numbers, to_bytes
from .wit_types import columns as wit


def _strings(values):
    offsets = numbers(OFFSET, values.offsets)
    starts, ends = offsets[:-1], offsets[1:]
    return [values.data[start:end] for start, end in zip(starts, ends)]


def _utf8_values(strings):
    offsets = to_bytes(OFFSET, accumulate(map(len, strings), initial=0))
    return wit.Utf8Values(offsets, b"".join(strings))


def filter_utf8(values, keep):
    strings = _strings(values)
    return _utf8_values(list(compress(strings, expand(keep, len(strings)))))


def filter_fixed64(values, keep):
    numbers_ = numbers(INT64, values)
    return to_bytes(INT64, compress(numbers_, expand(keep, len(numbers_))))


def filter_bits(bits, rows, keep):
    return pack(bytes(compress(expand(bits, rows), expand(keep, rows))))


def choose_utf8(pick, first, second):
    firsts, seconds = _strings(first), _strings(second)
    if len(firsts) != len(seconds):
        raise ValueError(f"choose-utf8: first has {len(firsts)} rows, second {len(seconds)}")
    flags = expand(pick, len(firsts))
    return _utf8_values([a if flag else b for a, b, flag in zip(firsts, seconds, flags)])


def floor_divide(values, divisor):
    if divisor <= 0:
        raise ValueError(f"floor-divide: divisor is {divisor}; it must be positive")
    return to_bytes(INT64, (value // divisor for value in numbers(INT64, values)))


if sys.platform == "wasi":  # pragma: no cover - only inside a component
    from wit_world.imports.kernels import (  # noqa: F811 - the host's replace the above
        choose_utf8, filter_bits, filter_fixed64, filter_utf8, floor_divide)
