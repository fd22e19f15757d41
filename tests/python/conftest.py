"""Fixtures for the warehouse handler tests: the wheel-installed runtime, the plugins and the
rechost binary from $CARGO_TARGET_DIR (default `target/`), one local Spark session, and the
local host's output on the same sample data (the reference every test compares against).

Nothing is built here. Build first (see sql/HANDLERS.md):
    cargo build -p rechost && cargo build --release --target wasm32-wasip2 -p ecommerce -p media
    cd python && maturin build -o /tmp/wheels && pip install --force-reinstall /tmp/wheels/rechost_runtime-*.whl
"""

import datetime
import json
import os
import re
import subprocess
import types
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
START, END = "2024-03-01", "2024-03-10"


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


@pytest.fixture(scope="session", autouse=True)
def runtime():
    try:
        import rechost_runtime
    except ImportError as error:
        message = (
            f"rechost_runtime is not importable ({error}): build and install the wheel "
            "(cd python && maturin build -o WHEELS && pip install WHEELS/rechost_runtime-*.whl)"
        )
        # tests/run installs it: there, a missing runtime is a failure, not a skip.
        if os.environ.get("RECHOST_REQUIRE_RUNTIME"):
            pytest.fail(message)
        pytest.skip(message)
    return rechost_runtime


def _built(path, how):
    if not path.exists():
        pytest.fail(f"{path} is missing; build it first: {how}")
    return path


@pytest.fixture(scope="session")
def rechost_bin():
    # RECHOST_BIN: when the shared target folder's binary comes from another worktree.
    if os.environ.get("RECHOST_BIN"):
        return _built(Path(os.environ["RECHOST_BIN"]), "RECHOST_BIN names no file")
    return _built(target_dir() / "debug" / "rechost", "cargo build -p rechost")


def require_subcommand(rechost_bin, args, flag):
    """Fails clearly when this rechost predates a command the test needs."""
    help_text = subprocess.run(
        [str(rechost_bin), *args, "--help"], capture_output=True, text=True
    ).stdout
    if flag not in help_text:
        pytest.fail(
            f"{rechost_bin} has no `{' '.join(args)} {flag}`: it is older than this tree or "
            "built from another worktree; rebuild it (cargo build -p rechost) or set RECHOST_BIN"
        )


def _wasm(name, packages):
    # `cargo build --release --target wasm32-wasip2` writes here; `cargo test` builds the test
    # plugins into guest-plugins/ (tests/support/guests.rs).
    for folder in ("wasm32-wasip2/release", "guest-plugins/wasm32-wasip2/release"):
        path = target_dir() / folder / f"{name}.wasm"
        if path.exists():
            return path
    return _built(
        target_dir() / "wasm32-wasip2/release" / f"{name}.wasm",
        f"cargo build --release --target wasm32-wasip2 {packages}",
    )


@pytest.fixture(scope="session")
def ecommerce_wasm():
    return _wasm("ecommerce", "-p ecommerce -p media")


@pytest.fixture(scope="session")
def media_wasm():
    return _wasm("media", "-p ecommerce -p media")


@pytest.fixture(scope="session")
def misbehave_wasm():
    return _wasm("misbehave", "-p misbehave")


def rechost(rechost_bin, *args, cache_dir):
    result = subprocess.run(
        [str(rechost_bin), *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "RECHOST_CACHE_DIR": str(cache_dir)},
    )
    assert result.returncode == 0, f"rechost {' '.join(map(str, args))} failed:\n{result.stderr}"
    return result


class Domain(types.SimpleNamespace):
    """A plugin, its sample input and the local host's output on it."""

    def expected(self, dataset):
        """The host's rows of `dataset`, all columns, sorted (the order of rows is not part
        of the contract; the values are)."""
        return sorted_rows(pq.read_table(self.out / dataset / "personalize-dataset.parquet"))


def sorted_rows(table):
    names = table.column_names
    rows = table.to_pylist()
    return names, sorted((tuple(r[n] for n in names) for r in rows), key=_sort_key)


def _sort_key(row):
    # NULLs sort first and never compare against values.
    return tuple((v is not None, v) for v in row)


def vary_entities(path):
    """The synthetic sample keeps every item's price and category and every user's guest
    flag constant, so any row of a key would do and the latest-row rule would go untested.
    Make attributes change over time, add timestamp ties (broken by event_id) and a few NULL
    event_ids, in place; both the host and the handlers then read this same file."""
    table = pq.read_table(path).combine_chunks()
    row = np.arange(table.num_rows)
    every = lambda k, r=0: pa.array(row % k == r)

    def replace(name, values):
        nonlocal table
        table = table.set_column(table.schema.get_field_index(name), name, values)

    column = lambda name: table[name].chunk(0)
    replace("product_price", pc.multiply(column("product_price"), pa.array(1 + (row % 5) / 10)))
    category = column("product_category")
    replace("product_category", pc.if_else(every(3), pc.binary_join_element_wise(category, "v2", "/"), category))
    known_user = pc.is_valid(column("ecommerce_user_id"))
    replace("ecommerce_user_is_guest", pc.if_else(known_user, every(2), column("ecommerce_user_is_guest")))
    # Ties: every 4th timestamp truncated to its minute (broken by event_id). NULL event_ids
    # fall on other rows, so no two rows of one key tie completely (SQL leaves that order
    # undefined, the host keeps the first seen).
    tstamp = column("derived_tstamp")
    replace("derived_tstamp", pc.if_else(every(4), pc.floor_temporal(tstamp, unit="minute"), tstamp))
    replace("event_id", pc.if_else(every(50, 1), pa.nulls(len(row), pa.string()), column("event_id")))
    # One user and one item whose latest rows tie on derived_tstamp: event_id decides, and
    # NULL counts lowest. The winner is the row with event_id "tie-b".
    last = datetime.datetime.fromisoformat(END + " 23:59:59")
    tie = lambda event_id, price, guest: {
        "event_id": event_id, "domain_userid": "tie-domain-user", "ecommerce_user_id": "tie-user",
        "derived_tstamp": last, "ecommerce_action_type": "product_view", "product_id": "tie-item",
        "product_category": f"Tie/{price}", "product_price": price, "is_product_view": True,
        "is_product_transaction": False, "ecommerce_user_is_guest": guest,
    }
    ties = [tie(None, 1.0, True), tie("tie-b", 2.0, False), tie("tie-a", 3.0, True)]
    table = pa.concat_tables([table, pa.Table.from_pylist(ties, schema=table.schema)])
    pq.write_table(table, path)


def _domain(tmp_path_factory, rechost_bin, runtime, wasm, domain, rows):
    work = tmp_path_factory.mktemp(domain)
    cache = tmp_path_factory.getbasetemp() / "compile-cache"
    sample = work / f"{domain}.parquet"
    rechost(rechost_bin, "sample", domain, "--rows", rows, "--out", sample,
            "--end-date", END, "--days", 10, cache_dir=cache)
    if domain == "ecommerce":
        vary_entities(sample)
    out = work / "host-out"
    rechost(rechost_bin, "run", wasm, "--input", sample, "--out", out,
            "--start-date", START, "--end-date", END, "--quiet", cache_dir=cache)
    plugin = runtime.Plugin(str(wasm))
    return Domain(wasm=wasm, sample=sample, out=out, plugin=plugin, work=work, cache=cache)


@pytest.fixture(scope="session")
def ecommerce(tmp_path_factory, rechost_bin, runtime, ecommerce_wasm):
    return _domain(tmp_path_factory, rechost_bin, runtime, ecommerce_wasm, "ecommerce", 100_000)


@pytest.fixture(scope="session")
def media(tmp_path_factory, rechost_bin, runtime, media_wasm):
    return _domain(tmp_path_factory, rechost_bin, runtime, media_wasm, "media", 50_000)


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("rechost-handler-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    yield session
    session.stop()


def reduce_sql(plugin, dataset, relation):
    """Spark SQL keeping, for an entity dataset, each key's latest row: the host's rule
    (host/src/reduce.rs: greatest by latest-by, descending, NULL lowest), then only the written
    columns. Events datasets pass through."""
    spec = next(d for d in json.loads(plugin.manifest_json)["datasets"] if d["name"] == dataset)
    written = ", ".join(f"`{c['name']}`" for c in spec["columns"])
    reduction = spec["reduction"]
    if reduction["type"] == "events":
        return f"SELECT {written} FROM {relation}"
    order = ", ".join(f"`{c['name']}` DESC NULLS LAST" for c in reduction["latest_by"])
    return (
        f"SELECT {written} FROM (SELECT *, row_number() OVER "
        f"(PARTITION BY `{reduction['key']}` ORDER BY {order}) AS rechost_rank FROM {relation}) "
        "WHERE rechost_rank = 1"
    )


FUNCTION = re.compile(
    r"CREATE OR REPLACE FUNCTION (?P<name>\S+)\((?P<args>.*?)\)\s+"
    r"RETURNS TABLE \((?P<returns>.*?)\)\n.*?AS \$\$\n(?P<body>.*?)\n\$\$;",
    re.DOTALL,
)


def registered_handlers(rechost_bin, domain, target, *args):
    """What `rechost register --target <target>` prints, as {function name: (RETURNS TABLE
    columns, module)}: each function body executed as its own module holding `Handler`,
    exactly as the warehouse runs it (not in sys.modules, so Spark pickles it by value)."""
    require_subcommand(rechost_bin, ["register"], "--target")
    ddl = rechost(rechost_bin, "register", domain.wasm, "--target", target, *args,
                  cache_dir=domain.cache).stdout
    handler = (REPO / "sql" / target / "handler.py").read_text().rstrip()
    functions = {}
    for match in FUNCTION.finditer(ddl):
        if not match["body"].startswith(handler):
            pytest.fail(
                f"{rechost_bin} inlines another sql/{target}/handler.py than this tree's (it is "
                "compiled in): rebuild it (cargo build -p rechost) or set RECHOST_BIN"
            )
        module = types.ModuleType(f"rechost_{target}_function")
        exec(compile(match["body"], f"<{match['name']} body>", "exec"), module.__dict__)
        functions[match["name"]] = (match["returns"], module)
    assert functions, f"no CREATE FUNCTION in the register output:\n{ddl}"
    return functions


def load_handler(kind, handler=None, **attributes):
    """The handler file's text as the lead's DDL template uses it: executed as one module
    body, with `class Handler(<base>): DATASET = ...` appended. The module is not registered
    in sys.modules, so Spark pickles the handler by value, as it would any inlined code."""
    source = (REPO / "sql" / kind / "handler.py").read_text()
    if handler is not None:
        body = "\n".join(f"    {name} = {value!r}" for name, value in attributes.items())
        source += f"\n\nclass Handler({handler}):\n{body}\n"
    module = types.ModuleType(f"rechost_{kind}_handler")
    module.__file__ = str(REPO / "sql" / kind / "handler.py")
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module
