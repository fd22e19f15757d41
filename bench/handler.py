"""Throughput of the warehouse handlers against the plugin's own transform, in one process:
the ecommerce plugin through the Python runtime (`rechost_runtime`, build it with `maturin
build --release`) on Arrow batches (the ceiling: no handler around it), through the Snowflake
vectorized UDTF handler (`end_partition`, pandas in and out) and the Databricks `mapInArrow`
function (Arrow in and out), each for one dataset and for all datasets tagged in one pass (what
the pushdown runs). One thread; prints rows per CPU-second and the ratio to the ceiling (the
issue's target: >= 5 M rows per CPU-second). `--host` adds `rechost run` end to end.

Usage: python3 bench/handler.py [--rows N] [--batch-rows B] [--reps R] [--warmup W] [--host]
                                [--rechost PATH] [--plugin PATH]

Builds nothing: takes the plugin and rechost from $CARGO_TARGET_DIR (default target/), rechost
from release/ when there, else debug/ (dependencies optimised in both)."""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow.parquet as pq

import rechost_runtime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
DEFAULT_PLUGIN = os.path.join(TARGET, "wasm32-wasip2", "release", "ecommerce.wasm")
WINDOW = ("2024-03-01", "2024-03-10")
INTERACTIONS = "snowplow_recommendations_ecommerce_interactions"


def default_rechost():
    for profile in ("release", "debug"):
        path = os.path.join(TARGET, profile, "rechost")
        if os.path.exists(path):
            return path
    sys.exit(f"no rechost binary under {TARGET}/{{release,debug}}: cargo build -p rechost")


def load_module(kind):
    path = os.path.join(ROOT, "sql", kind, "handler.py")
    spec = importlib.util.spec_from_file_location(f"rechost_{kind}_handler", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_of(reps, warmup, run):
    """Median wall and CPU seconds of `run()` over reps repetitions, after `warmup` untimed
    ones. A process's first millions of rows run up to twice as slow: its heap is still
    growing to its working size (measured: 64k page faults in the first 1M ecommerce rows,
    none by the fifth). A warehouse's Python worker serves partition after partition, so the
    steady state is what its bill sees."""
    for _ in range(warmup):
        run()
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def host_run(rechost, plugin, source, workers, reps):
    """`rechost run` end to end (read, transform, reduce, write CSV + Parquet): median wall and
    CPU seconds of the child."""
    walls, cpus = [], []
    for _ in range(reps):
        out = tempfile.mkdtemp(prefix="bench-host-")
        cmd = [rechost, "run", plugin, "--input", source, "--out", out, "--start-date", WINDOW[0],
               "--end-date", WINDOW[1], "--quiet", "--workers", str(workers)]
        started = time.perf_counter()
        process = subprocess.Popen(cmd)
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(cmd)}")
        subprocess.run(["rm", "-rf", out], check=True)
    return statistics.median(walls), statistics.median(cpus)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-rows", type=int, default=65_536)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs of each case first")
    parser.add_argument("--host", action="store_true", help="also time rechost run end to end")
    parser.add_argument("--rechost", default=None)
    parser.add_argument("--plugin", default=DEFAULT_PLUGIN)
    args = parser.parse_args()
    rechost = args.rechost or default_rechost()  # for the sample data
    plugin_path = args.plugin
    if not os.path.exists(plugin_path):
        sys.exit(f"{plugin_path} is missing: cargo build --release --target wasm32-wasip2 -p ecommerce")

    data = tempfile.mkdtemp(prefix="bench-handler-")
    source = os.path.join(data, "ecommerce.parquet")
    subprocess.run([rechost, "sample", "ecommerce", "--rows", str(args.rows), "--out", source,
                    "--end-date", WINDOW[1], "--days", "10"], check=True, stdout=subprocess.DEVNULL)
    plugin = rechost_runtime.Plugin(plugin_path)
    table = pq.read_table(source, columns=plugin.source_columns).combine_chunks()
    batches = table.to_batches(max_chunksize=args.batch_rows)
    rows = table.num_rows

    snowflake = load_module("snowflake")
    databricks = load_module("databricks")

    # Snowflake hands each partition over as a DataFrame with positional column names: build
    # them outside the timing, as Snowflake does before calling the handler.
    frames = []
    for batch in batches:
        frame = batch.to_pandas()
        frame.columns = range(len(frame.columns))
        frames.append(frame)
    map_in_arrow = databricks.map_in_arrow(plugin_path, INTERACTIONS)

    class Udtf(snowflake.RechostSnowflakeUdtf):
        DATASET, PLUGIN = INTERACTIONS, plugin_path

    class AllUdtf(snowflake.RechostSnowflakeUdtf):
        ALL_DATASETS, PLUGIN = True, plugin_path

    per_dataset = [
        type("One", (snowflake.RechostSnowflakeUdtf,), {"DATASET": d, "PLUGIN": plugin_path})
        for d in plugin.datasets
    ]
    map_all = databricks.map_in_arrow(plugin_path)

    ceiling = "plugin transform (Arrow, no handler)"
    cases = [
        (ceiling, lambda: [plugin.transform(b) for b in batches]),
        ("runtime transform_all (tagged)", lambda: [plugin.transform_all(b) for b in batches]),
        ("runtime transform_all_batches", lambda: [plugin.transform_all_batches(b) for b in batches]),
        ("Snowflake end_partition, 1 dataset", lambda: [Udtf().end_partition(f) for f in frames]),
        ("Snowflake end_partition, all datasets", lambda: [AllUdtf().end_partition(f) for f in frames]),
        (f"Snowflake, {len(per_dataset)} functions (old pushdown)",
         lambda: [h().end_partition(f) for h in per_dataset for f in frames]),
        ("Databricks mapInArrow, 1 dataset", lambda: list(map_in_arrow(iter(batches)))),
        ("Databricks mapInArrow, all datasets", lambda: list(map_all(iter(batches)))),
    ]
    print(f"{rows} rows, batches of {args.batch_rows}, median of {args.reps} after {args.warmup} warm-up runs")
    print(f"plugin: {plugin_path}\nruntime: {rechost_runtime.__file__}")
    width = 40
    print(f"{'':<{width}} {'wall s':>7} {'M rows/s':>9} {'M rows/CPU-s':>13} {'of ceiling':>11}")
    results = {}

    def report(name, wall, cpu):
        results[name] = rows / cpu
        share = results[name] / results[ceiling]
        print(f"{name:<{width}} {wall:7.3f} {rows / wall / 1e6:9.2f} {rows / cpu / 1e6:13.2f} "
              f"{share:10.0%}", flush=True)

    for name, run in cases:
        report(name, *best_of(args.reps, args.warmup, run))
    if args.host:
        for workers in (1, os.cpu_count()):
            wall, cpu = host_run(rechost, plugin_path, source, workers, args.reps)
            report(f"rechost run end to end, {workers} worker(s)", wall, cpu)

    print()
    for name in (ceiling, "Snowflake end_partition, all datasets", "Databricks mapInArrow, all datasets"):
        per_cpu = results[name] / 1e6
        verdict = "meets" if per_cpu >= 5 else "below"
        print(f"{name}: {per_cpu:.2f} M rows per CPU-second ({verdict} the 5 M target)")
    subprocess.run(["rm", "-rf", data], check=True)


if __name__ == "__main__":
    main()
