"""End-to-end benchmark: rechost vs DuckDB running the seed's SQL, on the same synthetic
Parquet, in the same run. Prints wall time (median of repetitions), rows/s, peak RSS and the
ratio. Usage: python3 bench/e2e.py [--rows N] [--reps R] [--threads T]

Needs: `pip install -r bench/requirements.txt`, and builds rechost (release) itself."""

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
PLUGIN = os.path.join(TARGET, "wasm32-wasip2", "release", "ecommerce.wasm")
WINDOW = ("2024-03-01", "2024-03-10")


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MiB) of that child alone."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def measure(name, make_cmd, reps, rows):
    runs = []
    for _ in range(reps):
        out = tempfile.mkdtemp(prefix=f"bench-{name}-")
        runs.append(timed(make_cmd(out)))
        shutil.rmtree(out)
    wall = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    print(f"{name:<10} {wall:8.3f} s  {rows / wall / 1e6:7.2f} M rows/s  peak RSS {rss:7.1f} MiB", flush=True)
    return wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--release", "-p", "rechost"], cwd=ROOT, check=True)
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
    # Warm the compile cache so every repetition measures steady-state runs.
    warm = tempfile.mkdtemp(prefix="bench-warm-")
    subprocess.run([RECHOST, "run", PLUGIN, "--input", source, "--out", warm, "--quiet",
                    "--start-date", WINDOW[0], "--end-date", WINDOW[1]], check=True)
    shutil.rmtree(warm)

    print(f"{args.rows} rows, {args.threads} threads, median of {args.reps}")
    rechost = measure(
        "rechost",
        lambda out: [RECHOST, "run", PLUGIN, "--input", source, "--out", out, "--quiet",
                     "--workers", str(args.threads), "--start-date", WINDOW[0], "--end-date", WINDOW[1]],
        args.reps,
        args.rows,
    )
    duckdb = measure(
        "duckdb",
        lambda out: [sys.executable, os.path.join(ROOT, "bench", "duckdb_seed.py"), source, out,
                     WINDOW[0], WINDOW[1], str(args.threads)],
        args.reps,
        args.rows,
    )
    print(f"rechost/duckdb throughput ratio: {duckdb / rechost:.2f}x")
    shutil.rmtree(data)


if __name__ == "__main__":
    main()
