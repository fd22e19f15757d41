"""`rechost run --source snowflake --pushdown --dry-run` prints the SQL of an in-warehouse run.
Its first statement runs the plugin's all-datasets UDTF once over the window's rows. Here that
statement is done as Snowflake does it: the function body exactly as `rechost register` creates
it, a fresh handler per partition of `PARTITION BY <day>, <hash bucket>`, each handed a
DataFrame of positional columns; the rows the handler hands the plugin are counted. Its output is loaded
into fakesnow (Snowflake SQL on DuckDB) as the table the statement creates, and the script's
other statements (split by tag, latest row per key) run there as printed. Every dataset must
equal the local host's, and the plugin must have seen each source row of the window once."""

import json
import re
import sys

import fakesnow
import pandas as pd
import pyarrow as pa
import pytest
import snowflake.connector

from conftest import END, START, rechost, registered_handlers, require_subcommand, sorted_rows
from test_pushdown import statements, window_rows
from test_snowflake import snowflake_partitions

SCHEMA = "analytics.recs"
BUCKETS = 4

ARROW_TYPES = {
    "utf8": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
}


def pushdown_script(rechost_bin, domain):
    require_subcommand(rechost_bin, ["run"], "--pushdown")
    return rechost(
        rechost_bin, "run", domain.wasm, "--source", "snowflake", "--pushdown", "--dry-run",
        "--udf-schema", SCHEMA, "--table", "analytics.derived.events",
        "--out", "@analytics.recs.unload/personalize", "--buckets-per-day", BUCKETS,
        "--start-date", START, "--end-date", END, cache_dir=domain.cache,
    ).stdout


class CountingPlugin:
    """The loaded plugin, counting the source rows each transform is handed."""

    def __init__(self, plugin):
        self.plugin, self.rows = plugin, 0

    def __getattr__(self, name):
        return getattr(self.plugin, name)

    def transform(self, batch, **kwargs):
        self.rows += batch.num_rows
        return self.plugin.transform(batch, **kwargs)

    def transform_all(self, batch, **kwargs):
        self.rows += batch.num_rows
        return self.plugin.transform_all(batch, **kwargs)

    def transform_all_batches(self, batch, **kwargs):
        self.rows += batch.num_rows
        return self.plugin.transform_all_batches(batch, **kwargs)


def run_function(module, domain):
    """The UDTF over the window's rows, partitioned as the statement says: the concatenated
    output in the RETURNS TABLE types."""
    window = pd.concat(snowflake_partitions(domain, parts=1), ignore_index=True)
    # PARTITION BY TO_DATE(time), MOD(ABS(HASH(first column)), BUCKETS): any hash will do.
    time_column = json.loads(domain.plugin.manifest_json)["source"]["time_column"]
    time_position = domain.plugin.source_columns.index(time_column)
    keys = [
        window[time_position].dt.normalize(),
        pd.util.hash_array(window[0].fillna("").to_numpy(dtype=object)) % BUCKETS,
    ]
    outputs = [
        module.Handler().end_partition(part.reset_index(drop=True))
        for _, part in window.groupby(keys, sort=False, dropna=False)
    ]
    columns = domain.plugin.all_datasets_columns
    schema = pa.schema([(name, ARROW_TYPES[data_type]) for name, data_type in columns])
    frame = pd.concat(outputs, ignore_index=True)
    assert list(frame.columns) == schema.names, "the UDTF returns its RETURNS TABLE columns"
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


@pytest.mark.parametrize("domain_name", ["ecommerce", "media"])
def test_pushdown_runs_the_plugin_once_per_source_row_and_equals_host(
    rechost_bin, request, domain_name, monkeypatch
):
    domain = request.getfixturevalue(domain_name)
    plugin = domain.plugin
    script = pushdown_script(rechost_bin, domain)
    first, *rest = statements(script)

    # One function call in the whole script, in the statement that materialises its rows.
    name = re.sub(r"[-.]", "_", json.loads(plugin.manifest_json)["name"])
    function = f"{SCHEMA}.rechost_{name}_all_datasets"
    assert re.findall(r"[\w.]*rechost_\w+(?=\()", script) == [function], script
    assert first.startswith("CREATE OR REPLACE TEMPORARY TABLE rechost_all_datasets AS"), first

    functions = registered_handlers(rechost_bin, domain, "snowflake", "--udf-schema", SCHEMA)
    _, module = functions[function]
    monkeypatch.setitem(sys._xoptions, "snowflake_import_directory", str(domain.wasm.parent))
    handler = module.Handler
    counting = CountingPlugin(module.load_plugin(handler.PLUGIN, handler.OPTIONS))
    monkeypatch.setattr(module, "load_plugin", lambda *_args: counting)
    tagged = run_function(module, domain)
    assert counting.rows == window_rows(domain), "the plugin saw each source row once"

    with fakesnow.patch():
        conn = snowflake.connector.connect(database="analytics", schema="recs")
        conn._duck_conn.register("rechost_function_output", tagged)
        conn._duck_conn.execute(
            "CREATE TABLE analytics.recs.rechost_all_datasets AS SELECT * FROM rechost_function_output"
        )
        cursor = conn.cursor()
        for statement in rest:
            if statement.startswith("COPY INTO"):
                # Unloading to a stage is Snowflake's; it copies the split tables as they are.
                assert re.search(r"\n  FROM rechost_rows_\d+\n", statement), statement
                continue
            cursor.execute(statement)
        for position, dataset in enumerate(plugin.datasets, start=1):
            cursor.execute(f"SELECT * FROM rechost_rows_{position}")
            result = pa.Table.from_pandas(cursor.fetch_pandas_all(), preserve_index=False)
            actual, expected = sorted_rows(result), domain.expected(dataset)
            assert actual[0] == expected[0], f"{dataset}: columns differ"
            assert len(actual[1]) == len(expected[1]), f"{dataset}: row count differs"
            assert actual[1] == expected[1], f"{dataset}: values differ from the host's"
