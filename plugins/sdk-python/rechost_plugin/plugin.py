"""The export glue: a manifest and a transform function become the component's `plugin`.

componentize-py turns an exception other than `Err` into a trap (the host then shows a wasm
backtrace). Every exception of the transform is therefore caught here and returned as the
contract's error result: one line with the exception, its message and where it was raised.
"""

import os
import sys
import traceback

from .bits import Mask
from .columns import Input
from .wit_types import Err, exports
from .wit_types import columns as wit
from .wit_types import types as wit_types

_SDK_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class DropCounter:
    """Rows deliberately not emitted, counted by reason (first-seen order)."""

    def __init__(self):
        self._counts = {}

    def add(self, reason, rows=1):
        """Counts `rows` more rows (an int, or a Mask: its selected rows)."""
        if isinstance(rows, Mask):
            rows = rows.count()
        if rows:
            self._counts[reason] = self._counts.get(reason, 0) + int(rows)

    def finish(self):
        return [wit.DroppedRows(reason=r, rows=n) for r, n in self._counts.items()]


def _finished(column):
    return column.finish() if hasattr(column, "finish") else column


def batch(*columns):
    """An output batch of columns (input columns, builders or finished columns), one length."""
    done = [_finished(c) for c in columns]
    lengths = [c.rows if isinstance(getattr(c, "rows", None), int) else _rows(f)
               for c, f in zip(columns, done)]
    if len(set(lengths)) > 1:
        raise ValueError(f"output columns have different lengths: {lengths}")
    return wit.Batch(rows=lengths[0] if lengths else 0, columns=done)


def _rows(column):
    values = column.values.value
    if isinstance(values, wit.Utf8Values):
        return len(values.offsets) // 4 - 1
    if isinstance(column.values, wit.Values_Boolean):
        raise ValueError("use batch_of(rows, ...) for batches with boolean columns")
    return len(values) // 8


def batch_of(rows, *columns):
    """An output batch with an explicit row count (needed when a column is boolean)."""
    return wit.Batch(rows=rows, columns=[_finished(c) for c in columns])


def output(*batches, dropped=None):
    """The transform's result: one batch per manifest dataset, in manifest order."""
    drops = dropped.finish() if isinstance(dropped, DropCounter) else list(dropped or ())
    return wit.TransformOutput(datasets=list(batches), dropped=drops)


def describe_error(error):
    """One line: exception type, message, and the plugin's own frame nearest to the raise
    (file:line in function; frames inside this SDK are skipped)."""
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if not f.filename.startswith(_SDK_DIR)] or frames
    where = ""
    if own:
        frame = own[-1]
        where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name})"
    # KeyError's str() is the repr of its argument; its message reads better bare.
    text = error.args[0] if isinstance(error, KeyError) and len(error.args) == 1 else error
    message = " ".join(str(text).split()) or "(no message)"
    return f"{type(error).__name__}: {message}{where}"


def export(manifest, transform):
    """The class componentize-py exports: bind it as `Plugin` in your app module.

    `transform(input: Input, options: dict[str, str]) -> output(...)`.
    """
    if not isinstance(manifest, wit_types.Manifest):
        raise TypeError(f"export(manifest, transform): manifest is a {type(manifest).__name__}")
    names = [c.name for c in manifest.source.columns]
    datasets = len(manifest.datasets)

    class Plugin(exports.Plugin):
        def describe(self):
            return manifest

        def transform(self, options, input):
            try:
                result = transform(Input(input, names), dict(options))
                if not isinstance(result, wit.TransformOutput):
                    raise TypeError(
                        f"transform returned {type(result).__name__}, not output(...)"
                    )
                if len(result.datasets) != datasets:
                    raise ValueError(
                        f"transform returned {len(result.datasets)} batches for "
                        f"{datasets} manifest datasets"
                    )
                return result
            except Err:
                raise
            except BaseException as error:  # noqa: BLE001 - every error becomes the result
                # The whole traceback goes to stderr, which the host shows with the error.
                traceback.print_exc(file=sys.stderr)
                raise Err(describe_error(error)) from None

    return Plugin
