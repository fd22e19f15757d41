"""rechost plugin as a Databricks / Spark Python UDTF, and as a `mapInArrow` function
(see sql/HANDLERS.md).

Self-contained on purpose: rechost's DDL template inlines this text into a Unity Catalog
`CREATE FUNCTION ... LANGUAGE PYTHON HANDLER 'Handler' AS <dollar-quoted body>` and appends

    class Handler(RechostDatabricksUdtf):
        DATASET = "snowplow_recommendations_ecommerce_users"   # or ALL_DATASETS = True
        PLUGIN = "/Volumes/main/recs/plugins/ecommerce.wasm"
        OPTIONS = {}

so: imports at the top, no relative imports, no class named `Handler` here, and pyspark is
imported only inside the helpers that need a session (a UC function body does not).
"""

import json
import threading

import pyarrow

import rechost_runtime

def _plugin_cache():
    """One loaded plugin per (path, options) and process: compiling a component takes far
    longer than transforming a batch, and Spark creates a UDTF instance per task. Kept on the
    runtime module because this file's own globals are not per process: Spark pickles the
    handler class by value (cloudpickle) and recreates its globals for every task."""
    return rechost_runtime.__dict__.setdefault(
        "_rechost_handler_plugins", ({}, threading.Lock())
    )


def load_plugin(path, options=None):
    """The process-wide `rechost_runtime.Plugin` for this file and these options."""
    options = {str(k): str(v) for k, v in (options or {}).items()}
    key = (str(path), tuple(sorted(options.items())))
    plugins, lock = _plugin_cache()
    with lock:
        plugin = plugins.get(key)
        if plugin is None:
            plugin = rechost_runtime.Plugin(str(path), options=options)
            plugins[key] = plugin
        return plugin


def _manifest(manifest_json):
    # Parsed per UDTF instance or schema lookup, never per row: not worth a cache.
    return json.loads(manifest_json)


def _dataset_spec(plugin, dataset):
    for spec in _manifest(plugin.manifest_json)["datasets"]:
        if spec["name"] == dataset:
            return spec
    raise ValueError(
        f"the plugin has no dataset {dataset!r} (it has: {', '.join(plugin.datasets)})"
    )


def returned_columns(plugin, dataset):
    """(name, type) of what `transform` returns for `dataset`: written columns, then latest-by;
    for `dataset=None`, what `transform_all` returns (the tag, then every dataset's columns)."""
    if dataset is None:
        return list(plugin.all_datasets_columns)
    spec = _dataset_spec(plugin, dataset)
    latest_by = spec["reduction"].get("latest_by", [])
    return [(c["name"], c["data_type"]) for c in spec["columns"] + latest_by]


_SPARK_TYPES = {
    "utf8": "string",
    "int64": "bigint",
    "float64": "double",
    "boolean": "boolean",
    # The plugin's timestamps are UTC wall time without a zone.
    "timestamp": "timestamp_ntz",
}


def spark_schema(plugin, dataset=None):
    """Spark DDL schema of `dataset`'s returned columns, e.g. "`USER_ID` string, ..." (all
    datasets, tagged, for None). `plugin` is a loaded plugin or a path to the .wasm."""
    if not isinstance(plugin, rechost_runtime.Plugin):
        plugin = load_plugin(plugin)
    return ", ".join(
        f"`{name}` {_SPARK_TYPES[data_type]}" for name, data_type in returned_columns(plugin, dataset)
    )


_ARROW_TYPES = {
    "utf8": pyarrow.string(),
    "int64": pyarrow.int64(),
    "float64": pyarrow.float64(),
    "boolean": pyarrow.bool_(),
    "timestamp": pyarrow.timestamp("us"),
}


def _column(values, data_type):
    """Python values of one column as Arrow: the declared type when the values allow it, else
    whatever Arrow infers (DECIMAL, INT, DATE...) and the runtime converts it."""
    try:
        return pyarrow.array(values, type=_ARROW_TYPES[data_type])
    except (pyarrow.ArrowException, TypeError, ValueError):
        return pyarrow.array(values)


def _transform(plugin, batch, dataset, label, **window):
    """`dataset`'s rows of `batch` as a list of batches; every dataset's, tagged, for
    `dataset=None`, as a batch per dataset (Spark takes any number of batches, so the
    plugin's output goes back without being copied into one)."""
    try:
        if dataset is None:
            return plugin.transform_all_batches(batch, **window)
        return plugin.transform(batch, dataset=dataset, **window)
    except (RuntimeError, ValueError) as error:
        which = "all datasets" if dataset is None else f"dataset {dataset}"
        raise type(error)(f"rechost plugin {label!r}, {which}: {error}") from error


class RechostDatabricksUdtf:
    """Row-at-a-time Python UDTF over a `TABLE(...)` argument: the portable contract (Unity
    Catalog `CREATE FUNCTION ... LANGUAGE PYTHON`, `spark.udtf.register`). Rows are buffered
    and transformed BATCH_ROWS at a time; the rest is flushed in `terminate`.

    Source columns are found in the row by name, case-insensitively (extra columns ignored),
    so `TABLE(SELECT <source columns> ...)` and `TABLE(events)` both work.

    ALL_DATASETS = True instead of a DATASET: every dataset's rows in one pass, tagged
    (`RECHOST_DATASET`, see `Plugin.transform_all`); the pushdown runs this one."""

    DATASET = None
    ALL_DATASETS = False
    PLUGIN = None
    OPTIONS = {}
    BATCH_ROWS = 8192

    def __init__(self):
        if not (self.DATASET or self.ALL_DATASETS) or not self.PLUGIN:
            raise RuntimeError(f"{type(self).__name__} must set DATASET (or ALL_DATASETS) and PLUGIN")
        self._plugin = load_plugin(self.PLUGIN, self.OPTIONS)
        self._dataset = None if self.ALL_DATASETS else self.DATASET
        if self._dataset is not None:
            _dataset_spec(self._plugin, self._dataset)  # fail early on an unknown dataset
        self._names = self._plugin.source_columns
        self._types = [c["data_type"] for c in _manifest(self._plugin.manifest_json)["source"]["columns"]]
        self._positions = None
        self._rows = []
        self._first_row = 1

    def _find_columns(self, row):
        fields = [f.lower() for f in getattr(row, "__fields__", [])]
        missing = [n for n in self._names if n.lower() not in fields]
        if missing:
            raise ValueError(
                f"rechost plugin {self.PLUGIN!r}, dataset {self.DATASET}: the table argument "
                f"lacks column(s) {', '.join(missing)} (it has: {', '.join(fields) or 'no names'})"
            )
        return [fields.index(n.lower()) for n in self._names]

    def eval(self, row):
        if self._positions is None:
            self._positions = self._find_columns(row)
        self._rows.append([row[i] for i in self._positions])
        if len(self._rows) >= self.BATCH_ROWS:
            yield from self._flush()

    def terminate(self):
        yield from self._flush()

    def _flush(self):
        if not self._rows:
            return
        rows, self._rows = self._rows, []
        columns = [_column(list(values), t) for values, t in zip(zip(*rows), self._types)]
        batch = pyarrow.RecordBatch.from_arrays(columns, names=self._names)
        parts = _transform(self._plugin, batch, self._dataset, self.PLUGIN, first_row=self._first_row)
        self._first_row += len(rows)
        # Rows as tuples in the returned columns' order, which is the UDTF's RETURNS order.
        for out in parts:
            yield from zip(*(column.to_pylist() for column in out.columns))


class RechostDatabricksArrowUdtf(RechostDatabricksUdtf):
    """The same UDTF for Spark's PyArrow-native UDTFs (`pyspark.sql.functions.arrow_udtf`,
    Spark >= 4.1): `eval` receives the `TABLE(...)` argument as whole RecordBatches and yields
    RecordBatches, with no per-row Python. Register it with `spark_udtf(cls)`."""

    def eval(self, batch):
        parts = _transform(self._plugin, batch, self._dataset, self.PLUGIN, first_row=self._first_row)
        self._first_row += batch.num_rows
        yield from parts

    def terminate(self):
        return iter(())


def spark_udtf(handler):
    """`handler` (a subclass of one of the classes above) as a Spark UDTF with the dataset's
    return type, ready for `spark.udtf.register(name, ...)`."""
    from pyspark.sql.functions import arrow_udtf, udtf

    dataset = None if handler.ALL_DATASETS else handler.DATASET
    schema = spark_schema(load_plugin(handler.PLUGIN, handler.OPTIONS), dataset)
    if issubclass(handler, RechostDatabricksArrowUdtf):
        return arrow_udtf(handler, returnType=schema)
    return udtf(handler, returnType=schema)


def map_in_arrow(plugin_path, dataset=None, options=None, start_date=None, end_date=None):
    """A function for `DataFrame.mapInArrow(f, spark_schema(plugin_path, dataset))`: each input
    RecordBatch (holding the source columns, any case) becomes the dataset's returned columns
    (`dataset=None`: every dataset's, tagged, in one pass). With both dates, rows outside the
    window are left out (as `rechost run` does). Batches go to the runtime and back through
    the Arrow C Data Interface: no copy, no per-row Python."""
    plugin_path = str(plugin_path)
    options = dict(options or {})

    def transform_batches(batches):
        plugin = load_plugin(plugin_path, options)
        first_row = 1
        for batch in batches:
            yield from _transform(
                plugin, batch, dataset, plugin_path,
                start_date=start_date, end_date=end_date, first_row=first_row,
            )
            first_row += batch.num_rows

    return transform_batches
