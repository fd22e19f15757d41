"""The Python and JavaScript ports of plugins/media, built with the pinned guest toolchains,
write byte-for-byte the files the Rust plugin writes, through the real host, on the media
sample and on crafted edge cases (NULL vs empty ids, pre-1970 times, Unicode, long ids). Also:
an exception in a guest transform is the contract's error result (one line, no wasm trap), and
the `rechost new` templates build and run once their placeholders are filled in."""

import datetime
import os
import re
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import END, START, rechost, target_dir
from sdk_toolchains import (
    REPO, SDK_JS, SDK_PY, build_js, build_python, require_js_toolchain, require_python_toolchain, run,
)

EXAMPLES = REPO / "plugins" / "examples"
TEMPLATES = REPO / "plugins" / "templates"
SDK_RUST = REPO / "plugins" / "sdk"
MEDIA_DATASET = "snowplow_recommendations_media_interactions"


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("sdk")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.getbasetemp() / "compile-cache"  # shared with conftest's runs


@pytest.fixture(scope="module")
def python_media(work):
    return build_python(EXAMPLES / "media-python" / "app.py", work / "media-python.wasm")


@pytest.fixture(scope="module")
def js_media(work):
    return build_js(EXAMPLES / "media-js" / "plugin.js", work / "media-js.wasm")


@pytest.fixture(scope="module", params=["python", "js"])
def port(request):
    return request.getfixturevalue(f"{request.param}_media")


def run_plugin(rechost_bin, wasm, sample, out, cache, *window):
    window = window or ("--start-date", START, "--end-date", END)
    rechost(rechost_bin, "run", wasm, "--input", sample, "--out", out, *window, "--quiet",
            cache_dir=cache)
    return out


READINESS = "readiness-video_on_demand.json"
DIGEST = re.compile(rb'"sha256": "[0-9a-f]{64}"')
READINESS_PAGE = "readiness-video_on_demand.html"
HEX64 = re.compile(rb"\b[0-9a-f]{64}\b")


def files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_files(expected, got):
    """Every file equal byte for byte; the readiness report names the plugin's own digest,
    which is the one place the components differ."""
    want, have = files(expected), files(got)
    assert sorted(have) == sorted(want), f"{got} holds other files than {expected}"
    for path, content in want.items():
        if path == Path(READINESS):
            assert len(DIGEST.findall(content)) == 1 and DIGEST.findall(have[path]) != DIGEST.findall(content)
            content, have[path] = DIGEST.sub(b"", content), DIGEST.sub(b"", have[path])
        if path == Path(READINESS_PAGE):
            # The page names the plugin's digest too (and nothing else differs).
            assert len(HEX64.findall(content)) == 1 and HEX64.findall(have[path]) != HEX64.findall(content)
            content, have[path] = HEX64.sub(b"", content), HEX64.sub(b"", have[path])
        assert have[path] == content, f"{path} differs between {expected} and {got}"
    return want


@pytest.fixture(scope="module")
def media_sample(rechost_bin, work, cache):
    sample = work / "media.parquet"
    rechost(rechost_bin, "sample", "media", "--rows", 60_000, "--out", sample,
            "--end-date", END, "--days", 10, cache_dir=cache)
    return sample


def test_ports_write_the_rust_plugins_files_on_the_sample(rechost_bin, media_wasm, port,
                                                         media_sample, work, cache):
    expected = run_plugin(rechost_bin, media_wasm, media_sample, work / "rust-sample", cache)
    got = run_plugin(rechost_bin, port, media_sample, work / f"{port.stem}-sample", cache)
    written = assert_same_files(expected, got)
    csv = written[Path(MEDIA_DATASET) / "personalize-dataset.csv"].decode()
    assert csv.count("\n") > 30_000, "the sample should keep most plays"
    assert "USER_ID is NULL or empty" in written[Path(READINESS)].decode()


def edge_rows():
    """Media rows covering every branch: NULL vs empty ids on each side of the coalesce,
    invalid and NULL plays, pre-1970 and sub-second times, Unicode and 256-character ids."""
    base = datetime.datetime(1969, 12, 31, 23, 59, 59, 500_000)
    cases = [
        ("u1", "d1", "m1", True), (None, "d2", "m2", True), ("", "d3", "m3", True),
        (None, "", "m4", True), (None, None, "m5", True), ("u6", None, "", True),
        ("u7", "d7", None, True), ("u8", "d8", "m8", False), ("u9", "d9", "m9", None),
        ("ü-ñ-😀", "d10", "média-é", True), ("x" * 256, "d11", "y" * 256, True),
        ("u12", "d12", "m12,\"quoted\"\\", True), (None, "d13", "m13", None),
    ]
    rows = []
    for i in range(600):
        user_id, user_identifier, media, valid = cases[i % len(cases)]
        start = base + datetime.timedelta(seconds=-7 * i if i % 2 else 3 * i, microseconds=i)
        rows.append({"play_id": f"p{i}", "user_id": user_id, "user_identifier": user_identifier,
                     "media_identifier": media, "start_tstamp": start, "is_valid_play": valid})
    return rows


@pytest.fixture(scope="module")
def edge_inputs(work):
    """The same edge rows as Parquet (empty strings and NULLs) and as CSV (empty = NULL)."""
    schema = pa.schema([("play_id", pa.string()), ("user_id", pa.string()),
                        ("user_identifier", pa.string()), ("media_identifier", pa.string()),
                        ("start_tstamp", pa.timestamp("us")), ("is_valid_play", pa.bool_())])
    table = pa.Table.from_pylist(edge_rows(), schema=schema)
    parquet = work / "edge.parquet"
    pq.write_table(table, parquet)
    csv = work / "edge.csv"
    lines = ["play_id,user_id,user_identifier,media_identifier,start_tstamp,is_valid_play"]
    for r in edge_rows():
        text = lambda v: "" if v is None else '"' + v.replace('"', '""') + '"'  # noqa: E731
        flag = {True: "TRUE", False: "FALSE", None: ""}[r["is_valid_play"]]
        when = r["start_tstamp"].strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        lines.append(",".join([r["play_id"], text(r["user_id"]), text(r["user_identifier"]),
                               text(r["media_identifier"]), when, flag]))
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"parquet": parquet, "csv": csv}


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_ports_equal_rust_on_edge_cases(rechost_bin, media_wasm, port, edge_inputs, kind,
                                        work, cache):
    window = ("--start-date", "1969-12-30", "--end-date", "1970-01-02")
    expected = run_plugin(rechost_bin, media_wasm, edge_inputs[kind], work / f"rust-{kind}",
                          cache, *window)
    got = run_plugin(rechost_bin, port, edge_inputs[kind], work / f"{port.stem}-{kind}", cache,
                     *window)
    written = assert_same_files(expected, got)
    csv = written[Path(MEDIA_DATASET) / "personalize-dataset.csv"].decode()
    # Floored seconds before 1970 (truncation would write 0 for -0.5 s).
    assert ",-1,Watch" in csv and "ü-ñ-😀" in csv and "y" * 256 in csv


def test_ports_describe_the_same_manifest(rechost_bin, media_wasm, port, cache):
    inspect = lambda wasm: rechost(rechost_bin, "inspect", wasm, "--json", cache_dir=cache).stdout  # noqa: E731
    assert inspect(port) == inspect(media_wasm)


FAILING_PYTHON = '''
import rechost_plugin as rp
MANIFEST = rp.manifest(name="failing", version="0.1.0", domain="TEST",
    source=rp.source("snowplow_media_player_base", [rp.column("start_tstamp", "timestamp")], "start_tstamp"),
    datasets=[rp.dataset("failing_out", "other", [rp.column("N", "int64")])])
def transform(input, options):
    return rp.output(rp.batch(rp.int64([1 // (input.rows - input.rows)])))
Plugin = rp.export(MANIFEST, transform)
'''

FAILING_JS = '''
import * as rp from "rechost-plugin";
const MANIFEST = rp.manifest({ name: "failing", version: "0.1.0", domain: "TEST",
  source: rp.source("snowplow_media_player_base", [rp.column("start_tstamp", "timestamp")], "start_tstamp"),
  datasets: [rp.dataset("failing_out", "other", [rp.column("N", "int64")])] });
function transform(input) {
  return input.rows.no.such.property;
}
export const plugin = rp.exportPlugin(MANIFEST, transform);
'''


@pytest.mark.parametrize("language", ["python", "js"])
def test_guest_exceptions_are_error_results(rechost_bin, media_sample, language, work, cache):
    folder = work / f"failing-{language}"
    folder.mkdir()
    if language == "python":
        (folder / "failing.py").write_text(FAILING_PYTHON)
        wasm = build_python(folder / "failing.py", folder / "failing.wasm")
        expected = "ZeroDivisionError: division by zero (at failing.py:7 in transform)"
    else:
        (folder / "failing.js").write_text(FAILING_JS)
        wasm = build_js(folder / "failing.js", folder / "failing.wasm")
        expected = "TypeError: can't access property \"such\", input.rows.no is undefined (in transform)"
    result = subprocess.run(
        [str(rechost_bin), "run", str(wasm), "--input", str(media_sample), "--out",
         str(folder / "out"), "--start-date", START, "--end-date", END],
        capture_output=True, text=True, env={**os.environ, "RECHOST_CACHE_DIR": str(cache)})
    assert result.returncode == 1, result.stderr
    assert expected in result.stderr
    assert "wasm backtrace" not in result.stderr and "trap" not in result.stderr.lower()
    # Nothing written (the host may leave the empty dataset folder it created).
    assert not [p for p in (folder / "out").rglob("*") if p.is_file()]


def render(rechost_bin, template, name, sdk, into):
    """`rechost new` (the real command) with the repository's SDK; no placeholder may remain."""
    result = subprocess.run(
        [str(rechost_bin), "new", name, "--lang", template, "--dir", str(into), "--sdk", str(sdk)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f"rechost check {name}.wasm" in result.stderr, result.stderr
    for path in into.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(), f"{path} still has a placeholder"
    return into


def check_rendered_plugin(rechost_bin, wasm, media_sample, cache):
    out = wasm.parent / "out"
    run_plugin(rechost_bin, wasm, media_sample, out, cache)
    csv = (out / "recommendations_interactions" / "personalize-dataset.csv").read_text()
    assert csv.startswith("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n")
    assert csv.count(",Watch\n") > 30_000


def test_python_template_builds_tests_and_runs(rechost_bin, media_sample, work, cache):
    folder = render(rechost_bin, "python", "demo-py", SDK_PY, work / "demo-py")
    require_python_toolchain()
    run(["sh", "test.sh"], cwd=folder)
    run(["sh", "build.sh"], cwd=folder)
    check_rendered_plugin(rechost_bin, folder / "demo-py.wasm", media_sample, cache)


def test_js_template_builds_tests_and_runs(rechost_bin, media_sample, work, cache):
    folder = render(rechost_bin, "js", "demo-js", SDK_JS, work / "demo-js")
    require_js_toolchain()
    run(["npm", "run", "--silent", "build"], cwd=folder)
    result = run(["npm", "test", "--silent"], cwd=folder)
    assert "# pass 1" in result.stdout and "# fail 0" in result.stdout, result.stdout
    check_rendered_plugin(rechost_bin, folder / "demo-js.wasm", media_sample, cache)


def test_rust_template_builds_tests_and_runs(rechost_bin, media_sample, work, cache):
    folder = render(rechost_bin, "rust", "demo-rs", SDK_RUST, work / "demo-rs")
    # A target folder of its own beside the shared one: the template is its own workspace.
    env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir() / "templates")}
    run(["cargo", "test", "--quiet"], cwd=folder, env=env)
    run(["sh", "build.sh", "--quiet"], cwd=folder, env=env)
    check_rendered_plugin(rechost_bin, folder / "demo-rs.wasm", media_sample, cache)
