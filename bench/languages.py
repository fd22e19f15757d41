"""Plugin languages end to end: the media plugin in Rust (plugins/media), Python
(plugins/examples/media-python) and JavaScript (plugins/examples/media-js), each run by
`rechost run` on the same `rechost sample media` Parquet. Prints wall time, rows/s, CPU seconds
and peak RSS per language (median of interleaved repetitions, so a shared machine's drift hits
every language alike), the ratio of each to Rust, component sizes and the cold compile time
(first run with an empty compile cache). Usage:

  python3 bench/languages.py [--rows N] [--reps R] [--rechost PATH] [--no-build]

Builds what it needs unless --no-build: rechost (release), the Rust plugin, and the two ports
with the pinned toolchains (bash tests/sdk/install.sh first)."""

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
WINDOW = ("--start-date", "2024-03-01", "--end-date", "2024-03-10")
EXAMPLES = os.path.join(ROOT, "plugins", "examples")


def timed(cmd, env=None):
    """Runs cmd; returns (wall s, CPU s, peak RSS MiB) of that child alone."""
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def build(work):
    subprocess.run(["cargo", "build", "--release", "-p", "rechost"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "--target", "wasm32-wasip2", "-p", "media"],
                   cwd=ROOT, check=True)
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "plugins", "sdk-python")}
    subprocess.run([sys.executable, "-m", "rechost_plugin", "build",
                    os.path.join(EXAMPLES, "media-python", "app.py"),
                    "-o", os.path.join(work, "media-python.wasm")], check=True, env=env)
    subprocess.run(["node", os.path.join(ROOT, "plugins", "sdk-js", "bin", "build.mjs"),
                    os.path.join(EXAMPLES, "media-js", "plugin.js"),
                    "-o", os.path.join(work, "media-js.wasm")], check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rechost", default=os.path.join(TARGET, "release", "rechost"))
    parser.add_argument("--plugins", help="folder holding media-python.wasm and media-js.wasm "
                        "(default: built into a temporary folder)")
    parser.add_argument("--no-build", action="store_true", help="use what is already built")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="rechost-languages-")
    try:
        plugins = args.plugins or work
        if not args.no_build:
            build(plugins)
        wasm = {
            "rust": os.path.join(TARGET, "wasm32-wasip2", "release", "media.wasm"),
            "python": os.path.join(plugins, "media-python.wasm"),
            "js": os.path.join(plugins, "media-js.wasm"),
        }
        sample = os.path.join(work, "media.parquet")
        subprocess.run([args.rechost, "sample", "media", "--rows", str(args.rows), "--out", sample,
                        "--end-date", "2024-03-10", "--days", "10"], check=True,
                       stdout=subprocess.DEVNULL)
        def run(language):
            # One compile cache per language: the first run fills it, every later run loads
            # from it (so no timed run compiles, and peak RSS is that of a run, not a compile).
            env = {**os.environ, "RECHOST_CACHE_DIR": os.path.join(work, f"cache-{language}")}
            out = os.path.join(work, f"out-{language}")
            return timed([args.rechost, "run", wasm[language], "--input", sample, "--out", out,
                          *WINDOW, "--quiet"], env=env)

        print(f"{args.rows} media rows, rechost {args.rechost}", flush=True)
        for language, path in wasm.items():
            cold, _, _ = run(language)  # compiles the component into its empty cache
            print(f"{language:<7} component {os.path.getsize(path) / 1e6:5.1f} MB, "
                  f"first run (cold compile) {cold:6.2f} s", flush=True)
        runs = {language: [] for language in wasm}
        for _ in range(args.reps):
            for language in wasm:
                runs[language].append(run(language))
        rust_wall = statistics.median(r[0] for r in runs["rust"])
        rust_cpu = statistics.median(r[1] for r in runs["rust"])
        for language, samples in runs.items():
            wall = statistics.median(r[0] for r in samples)
            cpu = statistics.median(r[1] for r in samples)
            rss = max(r[2] for r in samples)
            print(f"{language:<7} {wall:7.3f} s  {args.rows / wall / 1e6:6.2f} M rows/s  "
                  f"{cpu:6.2f} CPU-s  peak RSS {rss:7.1f} MiB  {wall / rust_wall:5.2f}x Rust "
                  f"(CPU {cpu / rust_cpu:4.2f}x)",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
