"""`rechost register --target databricks --execute`, then `rechost run --source databricks
--pushdown`, end to end against the local Databricks SQL warehouse (tests/databricks/server.py:
the Statement Execution and Files APIs over Spark). Here and not among the Rust integration
tests because the registered functions import rechost_runtime in the server's Python, which
tests/run installs only after `cargo test`.

Spark writes each dataset as two folders of part files, OUT/<dataset>/parquet/ and
OUT/<dataset>/csv/ (one `part-00000-*` file each, plus `_SUCCESS`): their rows must equal the
local run's personalize-dataset.parquet and .csv."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from conftest import END, REPO, START, sorted_rows, target_dir

VOLUME = "/Volumes/main/recs/plugins"


@pytest.fixture(scope="module")
def server(tmp_path_factory, ecommerce, media):
    work = tmp_path_factory.mktemp("databricks-server")
    process = subprocess.Popen(
        [sys.executable, str(REPO / "tests/databricks/server.py"), "--exit-with-stdin",
         "--catalog", "main", "--volume", "main.recs.plugins", "--data-dir", str(work / "spark"),
         "--table", f"main.snowplow.ecommerce={ecommerce.sample}",
         "--table", f"main.snowplow.media={media.sample}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(work / "server.log", "w"),
        text=True,
    )
    line = process.stdout.readline()
    if not line:
        process.wait()
        pytest.fail(f"the local Databricks server did not start: see {work / 'server.log'}")
    settings = json.loads(line)
    (warehouse,) = settings["warehouses"]  # the default: one running warehouse
    settings["env"] = {
        **os.environ,
        "DATABRICKS_HOST": settings["host"],
        "DATABRICKS_TOKEN": settings["token"],
        "DATABRICKS_WAREHOUSE_ID": warehouse,
    }
    yield settings
    process.stdin.close()
    process.wait(timeout=60)


def run(rechost_bin, server, domain, *args):
    result = subprocess.run(
        [str(rechost_bin), *map(str, args)], capture_output=True, text=True,
        env={**server["env"], "RECHOST_CACHE_DIR": str(domain.cache)},
    )
    assert result.returncode == 0, f"rechost {' '.join(map(str, args))} failed:\n{result.stderr}"
    return result


def csv_records(path):
    with open(path, newline="") as f:
        return list(csv.reader(f, escapechar="\\", doublequote=False))


@pytest.mark.parametrize("domain_name", ["ecommerce", "media"])
def test_register_execute_then_pushdown_equals_the_local_run(
    rechost_bin, server, request, domain_name
):
    domain = request.getfixturevalue(domain_name)
    volumes = os.path.join(server["volumes_dir"], "main/recs/plugins")
    register = ["register", domain.wasm, "--target", "databricks", "--udf-schema", "main.recs",
                "--volume", VOLUME, "--execute"]
    # A locally built runtime wheel (tests/run builds one) is uploaded next to the plugin.
    wheels = sorted((target_dir() / "wheels").glob("rechost_runtime-*.whl"))
    if wheels:
        register += ["--runtime", wheels[-1]]
    run(rechost_bin, server, domain, *register)
    assert os.path.isfile(os.path.join(volumes, domain.wasm.name)), "the plugin was not uploaded"
    if wheels:
        assert os.path.isfile(os.path.join(volumes, wheels[-1].name)), "the wheel was not uploaded"

    out = f"{VOLUME}/out-{domain_name}"
    run(rechost_bin, server, domain, "run", domain.wasm, "--source", "databricks", "--pushdown",
        "--table", f"main.snowplow.{domain_name}", "--udf-schema", "main.recs", "--out", out,
        "--start-date", START, "--end-date", END, "--quiet")

    written = os.path.join(volumes, f"out-{domain_name}")
    for dataset in domain.plugin.datasets:
        folder = os.path.join(written, dataset)
        actual = sorted_rows(pq.read_table(os.path.join(folder, "parquet")))
        expected = domain.expected(dataset)
        assert actual[0] == expected[0], f"{dataset}: columns differ"
        assert len(actual[1]) == len(expected[1]), f"{dataset}: row count differs"
        assert actual[1] == expected[1], f"{dataset}: Parquet values differ from the local run"
        (part,) = [p for p in os.listdir(os.path.join(folder, "csv"))
                   if p.startswith("part-") and p.endswith(".csv")]
        records = csv_records(os.path.join(folder, "csv", part))
        local = csv_records(domain.out / dataset / "personalize-dataset.csv")
        assert records[0] == local[0], f"{dataset}: CSV header differs"
        assert sorted(records[1:]) == sorted(local[1:]), f"{dataset}: CSV rows differ"


def test_ctrl_c_cancels_a_running_pushdown(rechost_bin, server, ecommerce):
    run(rechost_bin, server, ecommerce, "register", ecommerce.wasm, "--target", "databricks",
        "--udf-schema", "main.recs", "--volume", VOLUME, "--execute")
    process = subprocess.Popen(
        [str(rechost_bin), "run", ecommerce.wasm, "--source", "databricks", "--pushdown",
         "--table", "main.snowplow.ecommerce", "--udf-schema", "main.recs",
         "--out", f"{VOLUME}/out-cancelled", "--start-date", START, "--end-date", END, "--quiet"],
        stderr=subprocess.PIPE, text=True,
        env={**server["env"], "RECHOST_CACHE_DIR": str(ecommerce.cache)},
    )
    # The script takes far longer than this in local Spark (the functions run 100k rows).
    time.sleep(4)
    assert process.poll() is None, "the pushdown ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0, stderr
    assert "statement cancelled" in stderr, stderr
    assert "interrupted" in stderr, stderr
