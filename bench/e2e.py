"""End-to-end benchmark, all in one run on the same synthetic Parquet (median of repetitions):

  (a) rechost     `rechost run ecommerce.wasm`: Parquet in, the three ecommerce datasets out
                  (CSV + Parquet + schema + readiness report);
  (b) duckdb      DuckDB running the dbt package's SQL for the same three datasets (users/items one row
                  per id via QUALIFY row_number()), CSV and Parquet each: the peer a user would pick;
  (c) native      the same pipeline with the ecommerce transform linked natively, no WebAssembly
                  (host/examples/native_run.rs): the limit for the component boundary;
  (d) io-floor    the same pipeline reading the same Parquet and writing four of its columns as
                  CSV + Parquet, no transform: the I/O floor.

Runs that for each key distribution of a matrix (`rechost sample` knobs, counts scaled to --rows):
  classic      the default sample (rows/25 users, 60% with short numeric login ids, rows/100 items);
  short        few keys with short ids (rows/500 numeric users, 2k numeric items);
  long-users   many users with long ids (12% of rows distinct users, all 64-character hex ids,
               i.e. 600k at 5M rows; 3.5k items; 68% of rows interactions), like users' exports;
  many-items   many items, skewed (rows/10 UUID items, Zipf 1.1 popularity);
  history      40 days of the default sample in time order, as warehouse exports are written
               (sorted with DuckDB); the window takes the last 10, so a reader that skips what
               lies outside the window gains;
  foreign      rows made by DuckDB, not by rechost (`bench/parquet_tool.py foreign`): a heavy
               head of bot-like users, ~690k 64-character users, hashed login ids, SKU ids of
               5-41 characters, non-ASCII and NULL categories, a third of the rows outside the
               window, in time order.

`--input FILE --window START,END` runs the same comparison on a Parquet export of your own
instead of the matrix.

Prints, per distribution, wall time, rows/s, CPU seconds and peak RSS of each mode, the ratios
rechost/DuckDB (throughput) and rechost/native, and the distinct users and items rechost kept;
then a summary table. Repetitions are interleaved (each round runs every mode once), so a shared
machine's drift in speed shifts every mode alike instead of skewing the ratios. Usage:
  python3 bench/e2e.py [--rows N] [--reps R] [--threads T] [--dists a,b] [--batch-rows B]
                       [--only rechost,duckdb,native,io] [--no-build]
                       [--input FILE --window START,END]

Needs: `pip install -r bench/requirements.txt`; builds rechost and the example (release) itself."""

import argparse
import glob
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


def distributions(rows):
    """`rechost sample` flags per distribution; counts scale with the row count."""
    scaled = lambda per_row, least: str(max(least, int(rows * per_row)))
    return {
        "classic": [],
        "short": ["--users", scaled(1 / 500, 10), "--user-ids", "numeric", "--items", "2000",
                  "--item-ids", "numeric"],
        "long-users": ["--users", scaled(0.12, 10), "--user-ids", "hex64", "--logged-in", "0",
                       "--items", "3500", "--interactions", "68"],
        "many-items": ["--items", scaled(1 / 10, 12), "--item-ids", "uuid", "--item-zipf", "1.1"],
        "history": ["--days", "40"],
        "foreign": [],
    }


# Distributions written in time order.
TIME_ORDERED = {"history"}
# Distributions made by DuckDB (bench/parquet_tool.py), not by `rechost sample`.
MADE_BY_DUCKDB = {"foreign"}


def write_sample(rechost, rows, path, name, flags):
    """`rechost sample` of distribution `name` (`flags`) into `path`: 10 days ending with the
    window unless the flags say otherwise, sorted by time for the time-ordered ones."""
    if name in MADE_BY_DUCKDB:
        parquet_tool(name, str(rows), path)
        return
    days = [] if "--days" in flags else ["--days", "10"]
    subprocess.run([rechost, "sample", "ecommerce", "--rows", str(rows), "--out", path,
                    "--end-date", WINDOW[1], *days, *flags], check=True,
                   stdout=subprocess.DEVNULL)
    if name in TIME_ORDERED:
        unsorted = path + ".unsorted.parquet"
        os.replace(path, unsorted)
        parquet_tool("sort-by-time", unsorted, path)
        os.remove(unsorted)


def parquet_tool(*args):
    """bench/parquet_tool.py's output for `args`."""
    command = [sys.executable, os.path.join(ROOT, "bench", "parquet_tool.py"), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def count_rows(out, dataset):
    """Data rows of one dataset's CSV in a rechost output folder."""
    (path,) = glob.glob(os.path.join(out, f"*_{dataset}", "personalize-dataset.csv"))
    with open(path, "rb") as f:
        return sum(1 for _ in f) - 1


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
    parser.add_argument("--dists", help="comma-separated subset of classic,short,long-users,"
                        "many-items,history,foreign (default: all)")
    parser.add_argument("--input", help="a Parquet export to measure instead of the matrix")
    parser.add_argument("--window", help="START,END dates for --input (YYYY-MM-DD)")
    args = parser.parse_args()
    if bool(args.input) != bool(args.window):
        sys.exit("--input and --window go together")
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
    matrix = distributions(args.rows)
    chosen = args.dists.split(",") if args.dists else list(matrix)
    unknown = [d for d in chosen if d not in matrix]
    if unknown:
        sys.exit(f"unknown distribution(s) {unknown}; known: {', '.join(matrix)}")
    if args.input:
        matrix, chosen = {os.path.basename(args.input): None}, [os.path.basename(args.input)]
    rows = f"{args.input}" if args.input else f"{args.rows} rows"
    print(f"{rows}, {args.threads} threads, median of {args.reps}; repetitions "
          "interleaved (every mode once per round) so a machine that speeds up or slows down "
          "mid-run shifts all modes alike; load average at start "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    summary = [run_distribution(args, only, name, matrix[name]) for name in chosen]
    print("\ndistribution  users    items   rechost s  /DuckDB  /native  rechost RSS MiB")
    for name, users, items, results in summary:
        wall, rss = results.get("rechost", (float("nan"), float("nan")))
        ratio = lambda mode: f"{results[mode][0] / wall:6.2f}x" if mode in results else "     -"
        print(f"{name:<12} {users:>6} {items:>8} {wall:10.3f}  {ratio('duckdb')}  "
              f"{ratio('native')}  {rss:8.1f}")
    print(f"load average at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def run_distribution(args, only, name, sample_flags):
    """Benchmarks one distribution (`sample_flags` None: the --input file); returns (name,
    distinct users, items, results)."""
    data = tempfile.mkdtemp(prefix="bench-data-")
    if sample_flags is None:
        source, window = os.path.abspath(args.input), tuple(args.window.split(","))
        rows = int(parquet_tool("rows", source))
    else:
        source, window, rows = os.path.join(data, "ecommerce.parquet"), WINDOW, args.rows
        write_sample(RECHOST, rows, source, name, sample_flags)
    batch = ["--batch-rows", str(args.batch_rows)] if args.batch_rows else []
    # Warm the compile cache (and the page cache) so every repetition measures steady state.
    warm = tempfile.mkdtemp(prefix="bench-warm-")
    subprocess.run([RECHOST, "run", PLUGIN, "--input", source, "--out", warm, "--quiet",
                    "--start-date", window[0], "--end-date", window[1]], check=True)
    users, items = count_rows(warm, "users"), count_rows(warm, "items")
    shutil.rmtree(warm)

    modes = {
        "rechost": lambda out: [RECHOST, "run", PLUGIN, "--input", source, "--out", out, "--quiet",
                                "--workers", str(args.threads), "--start-date", window[0],
                                "--end-date", window[1], *batch],
        "duckdb": lambda out: [sys.executable, os.path.join(ROOT, "bench", "duckdb_seed.py"),
                               source, out, window[0], window[1], str(args.threads)],
        "native": lambda out: [NATIVE, "native", PLUGIN, source, out, window[0], window[1],
                               str(args.threads), *batch[1:]],
        "io": lambda out: [NATIVE, "io", PLUGIN, source, out, window[0], window[1],
                           str(args.threads), *batch[1:]],
    }
    modes = {mode: command for mode, command in modes.items() if mode in only}
    if sample_flags is None:
        described = f"{rows} rows of {source}, window {window[0]} to {window[1]}"
    elif name in MADE_BY_DUCKDB:
        described = f"made by bench/parquet_tool.py {name}"
    else:
        described = f"sample flags: {' '.join(sample_flags) or 'none'}"
    print(f"\n== {name}: {users} distinct users, {items} distinct items kept "
          f"({described})", flush=True)
    runs = {mode: [] for mode in modes}
    for _ in range(args.reps):
        for mode, command in modes.items():
            out = tempfile.mkdtemp(prefix=f"bench-{mode}-")
            runs[mode].append(timed(command(out)))
            shutil.rmtree(out)
    names = {"io": "io-floor"}
    results = {mode: report(names.get(mode, mode), runs[mode], rows) for mode in modes}
    if "rechost" in results:
        wall = results["rechost"][0]

        def spread(mode):
            # Each round's own ratio (its runs ran back to back): how far the median can move.
            ratios = [theirs[0] / ours[0] for ours, theirs in zip(runs["rechost"], runs[mode])]
            return f"rounds {min(ratios):.2f}-{max(ratios):.2f}x"

        if "duckdb" in results:
            print(f"rechost/duckdb throughput: {results['duckdb'][0] / wall:.2f}x "
                  f"({spread('duckdb')}; target >= 2x)")
        if "native" in results:
            print(f"rechost/native throughput: {results['native'][0] / wall:.2f}x "
                  f"(WASM overhead {wall / results['native'][0] - 1:+.0%}, {spread('native')}; "
                  "target <= +15%)")
        if "io" in results:
            print(f"rechost/io-floor throughput: {results['io'][0] / wall:.2f}x ({spread('io')})")
    shutil.rmtree(data)
    return name, users, items, results


if __name__ == "__main__":
    main()
