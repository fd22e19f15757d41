"""`rechost register --target databricks --execute`, then `rechost run --source databricks
--pushdown`, end to end against the local Databricks SQL warehouse (tests/databricks/server.py:
the Statement Execution and Files APIs over Spark). Here and not among the Rust integration
tests because the registered functions import rechost_runtime in the server's Python, which
tests/run installs only after `cargo test`.

Spark writes each dataset as two folders of part files, OUT/<dataset>/parquet/ and
OUT/<dataset>/csv/ (one `part-00000-*` file each, plus `_SUCCESS`): their rows must equal the
local run's personalize-dataset.parquet and .csv. Beside them, the readiness report computed
by Spark over those datasets must equal the local run's. A run that fails or is cancelled
leaves nothing new in OUT (its datasets are staged in a hidden folder, removed)."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

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


def statement(server, sql):
    """Runs one statement through the Statement Execution API, as any client would."""
    request = urllib.request.Request(
        f"{server['host']}/api/2.0/sql/statements", method="POST",
        data=json.dumps({"statement": sql, "warehouse_id": server["env"]["DATABRICKS_WAREHOUSE_ID"],
                         "wait_timeout": "30s"}).encode(),
        headers={"Authorization": f"Bearer {server['token']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    assert answer["status"]["state"] == "SUCCEEDED", answer


def comparable(report):
    """A readiness report without what legitimately differs between a local run and a
    pushdown run: the CSV files (Spark's encoder and folder layout, not the host's) and the
    rows the plugin's output check dropped (the functions drop them without a count leaving
    the warehouse)."""
    return {k: v for k, v in report.items() if k not in ("import_fit", "dropped_rows")}


def everything_in(folder):
    """Every path under `folder`, hidden ones included."""
    return sorted(
        os.path.relpath(os.path.join(root, name), folder)
        for root, dirs, files in os.walk(folder) for name in dirs + files
    )


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

    # The readiness report, computed by Spark over the datasets written, as the local run's.
    key = f"readiness-{json.loads(domain.plugin.manifest_json)['domain'].lower()}"
    with open(os.path.join(written, f"{key}.json")) as f:
        report = json.load(f)
    with open(domain.out / f"{key}.json") as f:
        local = json.load(f)
    assert local["interactions"]["interactions"] > 0
    for field in comparable(local):
        assert comparable(report)[field] == comparable(local)[field], f"readiness `{field}` differs"
    assert [f["dataset"] for f in report["import_fit"]] == [f["dataset"] for f in local["import_fit"]]
    assert all(f["import_from"].endswith("/csv/") for f in report["import_fit"])
    with open(os.path.join(written, f"{key}.html")) as f:
        page = f.read()
    assert f"{local['interactions']['interactions']:,}" in page or str(local["interactions"]["interactions"]) in page
    assert not [p for p in os.listdir(written) if p.startswith(".rechost-staging-")], "staging left"


def test_a_failing_pushdown_leaves_nothing_in_out(rechost_bin, server, ecommerce):
    run(rechost_bin, server, ecommerce, "register", ecommerce.wasm, "--target", "databricks",
        "--udf-schema", "main.failing", "--volume", VOLUME, "--execute")
    # The pushdown's one function (every dataset's rows, tagged) now fails inside the warehouse
    # on its first row, with the signature the pushdown expects: Spark's tasks start writing
    # into the staging folder, then the statement fails.
    ddl = run(rechost_bin, server, ecommerce, "register", ecommerce.wasm, "--target", "databricks",
              "--udf-schema", "main.failing", "--volume", VOLUME).stdout
    (name, columns), = re.findall(
        r"CREATE OR REPLACE FUNCTION (\S+_all_datasets)\(source_rows TABLE\)\n\s*RETURNS TABLE \((.*)\)\n",
        ddl)
    statement(server, f"CREATE OR REPLACE FUNCTION {name}(source_rows TABLE)\n"
              f"RETURNS TABLE ({columns})\nLANGUAGE PYTHON\nHANDLER 'Handler'\nAS $$\n"
              "class Handler:\n    def eval(self, row):\n"
              "        raise RuntimeError('deliberate failure inside the warehouse')\n$$")
    out = os.path.join(server["volumes_dir"], "main/recs/plugins/out-failing")
    os.makedirs(os.path.join(out, "kept"))
    with open(os.path.join(out, "kept", "before.txt"), "w") as f:
        f.write("there before the run")
    before = everything_in(out)
    result = subprocess.run(
        [str(rechost_bin), "run", ecommerce.wasm, "--source", "databricks", "--pushdown",
         "--table", "main.snowplow.ecommerce", "--udf-schema", "main.failing",
         "--out", f"{VOLUME}/out-failing", "--start-date", START, "--end-date", END, "--quiet"],
        capture_output=True, text=True,
        env={**server["env"], "RECHOST_CACHE_DIR": str(ecommerce.cache)},
    )
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Databricks SQL failed" in result.stderr, result.stderr
    assert everything_in(out) == before, "the failed run left files in --out"


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
    assert len(stderr.strip().splitlines()) == 2, stderr  # the notice, then the one-line error
    out = os.path.join(server["volumes_dir"], "main/recs/plugins/out-cancelled")
    assert not os.path.exists(out) or everything_in(out) == [], everything_in(out)


def test_a_databricks_pushdown_project_runs_each_domain(rechost_bin, server, ecommerce, tmp_path):
    run(rechost_bin, server, ecommerce, "register", ecommerce.wasm, "--target", "databricks",
        "--udf-schema", "main.project", "--volume", VOLUME, "--execute")
    items = "snowplow_recommendations_ecommerce_items"
    config = tmp_path / "rechost.toml"
    config.write_text(
        '[warehouse]\ntype = "databricks"\npushdown = true\nudf_schema = "main.project"\n'
        f'[window]\nstart_date = "{START}"\nend_date = "{END}"\n'
        f'[output]\npath = "{VOLUME}/out-project"\n'
        f'[domains.ecommerce]\nplugin = "{ecommerce.wasm}"\ntable = "main.snowplow.ecommerce"\n'
        f'export = ["{items}"]\n'
    )
    run(rechost_bin, server, ecommerce, "run", "--config", config, "--quiet")
    written = os.path.join(server["volumes_dir"], "main/recs/plugins/out-project")
    actual = sorted_rows(pq.read_table(os.path.join(written, items, "parquet")))
    assert actual == ecommerce.expected(items), "the exported dataset differs from the local run"
    assert sorted(p for p in os.listdir(written) if not p.startswith("readiness-")) == [items]
    with open(os.path.join(written, "readiness-ecommerce.json")) as f:
        report = json.load(f)
    # Only the items are written: the report says so instead of vouching for interactions.
    assert report["ready"] is False and report["interactions"] is None, report
    assert [d["name"] for d in report["datasets"]] == [items]
