"""rechost plugin as a Snowflake vectorized Python UDTF (see sql/HANDLERS.md).

Self-contained on purpose: rechost's DDL template inlines this text into
`CREATE FUNCTION ... AS <dollar-quoted body>` and appends

    class Handler(RechostSnowflakeUdtf):
        DATASET = "snowplow_recommendations_ecommerce_users"   # or ALL_DATASETS = True
        PLUGIN = "ecommerce.wasm"          # staged with IMPORTS = ('@stage/ecommerce.wasm')
        OPTIONS = {}

so: imports at the top, no relative imports, and no class named `Handler` here.
"""

import functools
import json
import os
import sys
import threading

import pandas
import pyarrow

import rechost_runtime

try:
    import _snowflake

    _vectorized = _snowflake.vectorized
except ImportError:  # outside Snowflake (tests, local runs): the decorator only tags the method

    def _vectorized(**_kwargs):
        return lambda method: method


# One loaded plugin per (path, options) and process: compiling a component takes far longer
# than transforming a partition, and Snowflake creates a handler instance per partition.
_PLUGINS = {}
_PLUGINS_LOCK = threading.Lock()


def _plugin_path(plugin):
    """An absolute path as is; a bare file name is looked up among the UDTF's IMPORTS."""
    if os.path.isabs(plugin):
        return plugin
    import_dir = sys._xoptions.get("snowflake_import_directory")
    if import_dir is None:
        raise RuntimeError(
            f"rechost plugin {plugin!r} is a relative name but this is not running in Snowflake "
            "(no snowflake_import_directory); give an absolute PLUGIN path"
        )
    return os.path.join(import_dir, plugin)


def load_plugin(plugin, options=None):
    """The process-wide `rechost_runtime.Plugin` for this file and these options."""
    path = _plugin_path(plugin)
    options = {str(k): str(v) for k, v in (options or {}).items()}
    key = (path, tuple(sorted(options.items())))
    with _PLUGINS_LOCK:
        loaded = _PLUGINS.get(key)
        if loaded is None:
            if not os.path.exists(path):
                raise RuntimeError(f"rechost plugin {path!r} does not exist (is it in IMPORTS?)")
            loaded = rechost_runtime.Plugin(path, options=options)
            _PLUGINS[key] = loaded
        return loaded


@functools.lru_cache(maxsize=None)
def _source_types(manifest_json):
    return [c["data_type"] for c in json.loads(manifest_json)["source"]["columns"]]


_ARROW_TYPES = {
    "utf8": pyarrow.string(),
    "int64": pyarrow.int64(),
    "float64": pyarrow.float64(),
    "boolean": pyarrow.bool_(),
    "timestamp": pyarrow.timestamp("us"),
}

_FROM_OBJECTS = {
    "utf8": rechost_runtime.text_from_objects,
    "boolean": rechost_runtime.booleans_from_objects,
}


def _to_arrow(values, data_type):
    """One pandas column for the plugin; the runtime converts other compatible types itself."""
    if data_type == "timestamp" and len(values):
        # Snowflake hands TIMESTAMP_NTZ over as naive datetime64[ns]; the plugin reads
        # microseconds without a zone. Aware values (TIMESTAMP_TZ/LTZ) become UTC first.
        if not pandas.api.types.is_datetime64_any_dtype(values.dtype):
            values = pandas.to_datetime(values)  # (parsing is slow: only when not datetimes)
        if values.dt.tz is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        # TIMESTAMP_NTZ(9) keeps nanoseconds: floored to microseconds, as the host's readers
        # do (numpy floors, before 1970 too; pyarrow's safe cast would refuse the partition).
        micros = values.to_numpy().astype("datetime64[us]")
        return pyarrow.array(micros, type=pyarrow.timestamp("us"), from_pandas=True)
    if values.dtype == object and data_type in _FROM_OBJECTS:
        # Text and nullable booleans come as Python objects, which the runtime reads natively
        # in half pyarrow's time. None: other kinds of values in it, which pyarrow converts.
        array = _FROM_OBJECTS[data_type](values.to_numpy(dtype=object, copy=False))
        if array is not None:
            return array
    array = pyarrow.array(values, from_pandas=True)
    if array.type == pyarrow.null():
        # An empty or all-NULL object column carries no type; take the declared one.
        array = pyarrow.nulls(len(array), type=_ARROW_TYPES[data_type])
    return array


def dataframe_to_batch(plugin, df):
    """A partition's DataFrame as the plugin's source batch, columns taken by position."""
    names = plugin.source_columns
    if len(df.columns) != len(names):
        raise ValueError(
            f"rechost plugin expects {len(names)} arguments ({', '.join(names)}), "
            f"the UDTF got {len(df.columns)}"
        )
    arrays = []
    for position, (name, data_type) in enumerate(zip(names, _source_types(plugin.manifest_json))):
        try:
            arrays.append(_to_arrow(df.iloc[:, position], data_type))
        except (pyarrow.ArrowException, ValueError, TypeError) as error:
            raise ValueError(
                f"argument {position + 1} ({name}, {data_type}) cannot be read: {error}"
            ) from error
    return pyarrow.RecordBatch.from_arrays(arrays, names=names)


def _pandas_type(arrow_type):
    # Timestamps as the datetime64[ns] Snowflake hands over and documents; every other column
    # Arrow-backed (pandas.ArrowDtype): no Python object per value, NULLs kept in any type.
    if pyarrow.types.is_timestamp(arrow_type):
        return None
    return pandas.ArrowDtype(arrow_type)


def batch_to_dataframe(batch):
    """The plugin's output (a batch, or a table of several) as a vectorized UDTF returns it:
    a DataFrame whose columns Snowflake maps to the RETURNS TABLE by position. Its
    Arrow-backed columns are pandas extension arrays (holding a table's chunks as they are),
    which Snowflake's conversion back to Arrow takes without a copy."""
    return batch.to_pandas(types_mapper=_pandas_type, coerce_temporal_nanoseconds=True)


@functools.lru_cache(maxsize=None)
def _all_datasets_schema(columns):
    return pyarrow.schema([(name, _ARROW_TYPES[data_type]) for name, data_type in columns])


def all_datasets_table(plugin, batch):
    """Every dataset's rows of one transform, tagged: the plugin's own arrays as the chunks of
    one table, not copied into one batch."""
    parts = plugin.transform_all_batches(batch)
    if parts:
        return pyarrow.Table.from_batches(parts)
    return _all_datasets_schema(tuple(plugin.all_datasets_columns)).empty_table()


class RechostSnowflakeUdtf:
    """Base handler: subclass it with DATASET (or ALL_DATASETS = True: every dataset's rows in
    one pass, tagged with `RECHOST_DATASET`, see `Plugin.transform_all`), PLUGIN (and OPTIONS)
    set."""

    DATASET = None
    ALL_DATASETS = False
    PLUGIN = None
    OPTIONS = {}

    @_vectorized(input=pandas.DataFrame)
    def end_partition(self, df):
        if not (self.DATASET or self.ALL_DATASETS) or not self.PLUGIN:
            raise RuntimeError(
                f"{type(self).__name__} must set DATASET (or ALL_DATASETS) and PLUGIN"
            )
        plugin = load_plugin(self.PLUGIN, self.OPTIONS)
        batch = dataframe_to_batch(plugin, df)
        try:
            if self.ALL_DATASETS:
                out = all_datasets_table(plugin, batch)
            else:
                (out,) = plugin.transform(batch, dataset=self.DATASET)
        except (RuntimeError, ValueError) as error:
            which = "all datasets" if self.ALL_DATASETS else f"dataset {self.DATASET}"
            raise type(error)(f"rechost plugin {self.PLUGIN!r}, {which}: {error}") from error
        return batch_to_dataframe(out)
