"""`rechost run --source databricks --pushdown --dry-run` prints the SQL of an in-warehouse run;
executed statement by statement by a real Spark with the UDTFs registered under the names the
SQL calls, it must write exactly the local host's datasets, running the plugin over each source
row of the window once (every function counts the rows it hands the plugin in a side file:
Spark runs them in its Python worker processes)."""

import csv
import json
from datetime import date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

import pyarrow.parquet as pq
import pytest

from conftest import END, START, rechost, registered_handlers, require_subcommand, sorted_rows


def statements(script):
    """Statements of a script split at `;` outside '...' literals (backslash escapes inside),
    comment-only pieces dropped."""
    pieces, current, quoted, escaped = [], [], False, False
    for char in script:
        current.append(char)
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == "'":
            quoted = not quoted
        elif char == ";" and not quoted:
            pieces.append("".join(current[:-1]))
            current = []
    pieces.append("".join(current))
    code = lambda piece: "\n".join(
        line for line in piece.splitlines() if not line.strip().startswith("--")
    ).strip()
    return [code(p) for p in pieces if code(p)]


def pushdown_sql(rechost_bin, domain, out):
    require_subcommand(rechost_bin, ["run"], "--pushdown")
    run = rechost(
        rechost_bin, "run", domain.wasm, "--source", "databricks", "--pushdown", "--dry-run",
        "--table", "T", "--out", out, "--start-date", START, "--end-date", END,
        cache_dir=domain.cache,
    )
    return run.stdout


def counting(handler, count_file, arrow):
    """`handler` that appends the number of source rows of each plugin call to `count_file`."""

    def record(rows):
        with open(count_file, "a") as f:
            f.write(f"{rows}\n")

    if arrow:
        def eval(self, batch):
            record(batch.num_rows)
            yield from handler.eval(self, batch)

        return type("Counting", (handler,), {"eval": eval, "__module__": handler.__module__})

    def _flush(self):
        if self._rows:
            record(len(self._rows))
        yield from handler._flush(self)

    return type("Counting", (handler,), {"_flush": _flush, "__module__": handler.__module__})


def window_rows(domain):
    """Source rows whose UTC date of the time column is in [START, END]."""
    time_column = json.loads(domain.plugin.manifest_json)["source"]["time_column"]
    times = pq.read_table(domain.sample, columns=[time_column])[time_column]
    # Dates as midnight in the column's type (naive, or UTC when zoned).
    day = lambda d: pa.scalar(datetime.combine(d, datetime.min.time()), type=times.type)
    start, after = day(date.fromisoformat(START)), day(date.fromisoformat(END) + timedelta(days=1))
    inside = pc.and_(pc.greater_equal(times, start), pc.less(times, after))
    return pc.sum(inside.cast(pa.int64())).as_py()


def csv_records(folder):
    """Every record of the one CSV part file Spark wrote (header first), parsed with
    Personalize's quoting rule (`\\` escapes, no doubled quotes)."""
    (part,) = [p for p in folder.iterdir() if p.name.startswith("part-") and p.suffix == ".csv"]
    with open(part, newline="") as f:
        return list(csv.reader(f, escapechar="\\", doublequote=False))


# The row UDTF is what Unity Catalog registers; the Arrow one is the faster Spark form. Each
# runs once per domain (the row form is slow in local Spark), with the other time type than
# in test_spark.py, so both forms see both.
@pytest.mark.parametrize(
    "time_type, arrow", [("timestamp_ntz", False), ("timestamp", True)], ids=["row", "arrow"]
)
@pytest.mark.parametrize("domain_name", ["ecommerce", "media"])
def test_pushdown_sql_in_spark_equals_host(
    spark, rechost_bin, request, domain_name, time_type, arrow, tmp_path
):
    from pyspark.sql.functions import arrow_udtf, udtf

    domain = request.getfixturevalue(domain_name)
    plugin = domain.plugin
    # The functions exactly as `rechost register --target databricks` creates them (the plugin
    # "volume" is its local folder), under the names and RETURNS types it gives them.
    functions = registered_handlers(
        rechost_bin, domain, "databricks", "--volume", domain.wasm.parent
    )
    all_datasets = f"rechost_{json.loads(plugin.manifest_json)['name'].replace('-', '_')}_all_datasets"
    assert sorted(functions) == sorted([*(f"rechost_{d}" for d in plugin.datasets), all_datasets])
    counts = tmp_path / "counts"
    counts.mkdir()
    for name, (returns, module) in functions.items():
        base = module.RechostDatabricksArrowUdtf if arrow else module.RechostDatabricksUdtf
        handler = type("Handler", (base,), dict(
            DATASET=module.Handler.DATASET, ALL_DATASETS=module.Handler.ALL_DATASETS,
            PLUGIN=module.Handler.PLUGIN, OPTIONS=module.Handler.OPTIONS,
            __module__=module.__name__,
        ))
        handler = counting(handler, counts / name, arrow)
        spark.udtf.register(name, (arrow_udtf if arrow else udtf)(handler, returnType=returns))

    # The source table as Databricks has it: TIMESTAMP (with session time zone UTC), or
    # TIMESTAMP_NTZ as a Parquet file without zone reads.
    source = spark.read.parquet(str(domain.sample))
    time_column = json.loads(plugin.manifest_json)["source"]["time_column"]
    source.withColumn(time_column, source[time_column].cast(time_type)).createOrReplaceTempView("T")

    out = tmp_path / "warehouse-out"
    script = pushdown_sql(rechost_bin, domain, out)
    for statement in statements(script):
        spark.sql(statement)

    # The plugin saw each source row of the window once, all through the one function.
    called = {f.name: sum(map(int, f.read_text().split())) for f in counts.iterdir()}
    assert called == {all_datasets: window_rows(domain)}, called

    for dataset in plugin.datasets:
        written = pq.read_table(out / dataset / "parquet")
        expected = domain.expected(dataset)
        actual = sorted_rows(written)
        assert actual[0] == expected[0], f"{dataset}: columns differ"
        assert len(actual[1]) == len(expected[1]), f"{dataset}: row count differs from the host's"
        assert actual[1] == expected[1], f"{dataset}: Parquet values differ from the host's"

        records = csv_records(out / dataset / "csv")
        host_records = list(
            csv.reader(open(domain.out / dataset / "personalize-dataset.csv", newline=""),
                       escapechar="\\", doublequote=False)
        )
        assert records[0] == host_records[0], f"{dataset}: CSV header differs"
        assert sorted(records[1:]) == sorted(host_records[1:]), f"{dataset}: CSV fields differ"
