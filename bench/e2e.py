"""End-to-end benchmark, all in one run on the same synthetic Parquet (median of repetitions):

  (a) rechost     `rechost run ecommerce.wasm`: Parquet in, the three ecommerce datasets out
                  (CSV + Parquet + schema + readiness report);
  (b) duckdb      DuckDB running the dbt package's SQL for the same three datasets (users/items one row
                  per id via QUALIFY row_number()), CSV and Parquet each: the peer a user would pick;
  (c) native      the same pipeline with the ecommerce transform linked natively, no WebAssembly
                  (host/examples/native_run.rs): the limit for the component boundary;
  (d) io-floor    the same pipeline reading the same Parquet and writing four of its columns as
                  CSV + Parquet, no transform: the I/O floor.

Prints wall time, rows/s, CPU seconds and peak RSS of each, and the ratios rechost/DuckDB
(throughput) and rechost/native. Repetitions are interleaved (each round runs every mode once),
so a shared machine's drift in speed shifts every mode alike instead of skewing the ratios. Usage:
  python3 bench/e2e.py [--rows N] [--reps R] [--threads T] [--batch-rows B] [--no-build]

Needs: `pip install -r bench/requirements.txt`; builds rechost and the example (release) itself."""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
RECHOST = os.path.join(TARGET, "release", "rechost")
NATIVE = os.path.join(TARGET, "release", "examples", "native_run")
PLUGIN = os.path.join(TARGET, "wasm32-wasip2", "release", "ecommerce.wasm")
WINDOW = ("2024-03-01", "2024-03-10")


def timed(cmd):
    """Runs cmd; returns (wall s, CPU s, peak RSS MiB) of that child alone."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def report(name, runs, rows):
    """Prints and returns (median wall s, peak RSS MiB) of one mode's runs."""
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs)
    print(
        f"{name:<9} {wall:8.3f} s  {rows / wall / 1e6:6.2f} M rows/s  {cpu:7.2f} CPU-s  "
        f"peak RSS {rss:7.1f} MiB",
        flush=True,
    )
    return wall, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch-rows", type=int, help="rechost --batch-rows (default: its own)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries already built")
    parser.add_argument("--only", help="comma-separated subset of rechost,duckdb,native,io")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else {"rechost", "duckdb", "native", "io"}

    if not args.no_build:
        subprocess.run(
            ["cargo", "build", "--release", "-p", "rechost", "--bins", "--example", "native_run"],
            cwd=ROOT,
            check=True,
        )
        subprocess.run(
            ["cargo", "build", "--release", "--target", "wasm32-wasip2", "-p", "ecommerce"],
            cwd=ROOT,
            check=True,
        )
    data = tempfile.mkdtemp(prefix="bench-data-")
    source = os.path.join(data, "ecommerce.parquet")
    subprocess.run(
        [RECHOST, "sample", "ecommerce", "--rows", str(args.rows), "--out", source,
         "--end-date", WINDOW[1], "--days", "10"],
        check=True,
    )
    batch = ["--batch-rows", str(args.batch_rows)] if args.batch_rows else []
    # Warm the compile cache (and the page cache) so every repetition measures steady state.
    warm = tempfile.mkdtemp(prefix="bench-warm-")
    subprocess.run([RECHOST, "run", PLUGIN, "--input", source, "--out", warm, "--quiet",
                    "--start-date", WINDOW[0], "--end-date", WINDOW[1]], check=True)
    shutil.rmtree(warm)

    modes = {
        "rechost": lambda out: [RECHOST, "run", PLUGIN, "--input", source, "--out", out, "--quiet",
                                "--workers", str(args.threads), "--start-date", WINDOW[0],
                                "--end-date", WINDOW[1], *batch],
        "duckdb": lambda out: [sys.executable, os.path.join(ROOT, "bench", "duckdb_seed.py"),
                               source, out, WINDOW[0], WINDOW[1], str(args.threads)],
        "native": lambda out: [NATIVE, "native", PLUGIN, source, out, WINDOW[0], WINDOW[1],
                               str(args.threads), *batch[1:]],
        "io": lambda out: [NATIVE, "io", PLUGIN, source, out, WINDOW[0], WINDOW[1],
                           str(args.threads), *batch[1:]],
    }
    modes = {mode: command for mode, command in modes.items() if mode in only}
    print(f"{args.rows} rows, {args.threads} threads, median of {args.reps}; repetitions "
          "interleaved (every mode once per round) so a machine that speeds up or slows down "
          "mid-run shifts all modes alike")
    runs = {mode: [] for mode in modes}
    for _ in range(args.reps):
        for mode, command in modes.items():
            out = tempfile.mkdtemp(prefix=f"bench-{mode}-")
            runs[mode].append(timed(command(out)))
            shutil.rmtree(out)
    names = {"io": "io-floor"}
    results = {mode: report(names.get(mode, mode), runs[mode], args.rows) for mode in modes}
    if "rechost" in results:
        wall = results["rechost"][0]
        if "duckdb" in results:
            print(f"rechost/duckdb throughput: {results['duckdb'][0] / wall:.2f}x (target >= 2x)")
        if "native" in results:
            print(f"rechost/native throughput: {results['native'][0] / wall:.2f}x "
                  f"(WASM overhead {wall / results['native'][0] - 1:+.0%}, target <= +15%)")
        if "io" in results:
            print(f"rechost/io-floor throughput: {results['io'][0] / wall:.2f}x")
    shutil.rmtree(data)


if __name__ == "__main__":
    main()
