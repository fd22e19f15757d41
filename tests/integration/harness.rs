//! Running the `rechost` binary and reading what it wrote.

use arrow_array::RecordBatch;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use crate::guests::guests;

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "rechost failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_failed_with(&self, code: i32, needles: &[&str]) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code:\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A compile cache shared by all tests of this run, so each plugin compiles once.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-cache")
}

pub fn rechost<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    rechost_with_env(args, Vec::<(&str, String)>::new())
}

pub fn rechost_with_env<I, S, K, V>(args: I, env: impl IntoIterator<Item = (K, V)>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
    K: AsRef<std::ffi::OsStr>,
    V: AsRef<std::ffi::OsStr>,
{
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_rechost"))
        .args(args)
        .envs(env)
        .env("RECHOST_CACHE_DIR", cache_dir())
        .output()
        .expect("rechost runs");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn path_arg(p: &Path) -> String {
    p.to_str().expect("utf-8 temp paths").to_string()
}

/// `../shared/fixtures/<name>` when the shared folder is present beside the repository. In
/// CI (`CI` set) a missing fixture fails the test: CI always has the shared folder, so a
/// test must never pass there without checking anything.
pub fn shared_fixture(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(name);
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "{} is absent (the shared fixtures live beside the repository)",
        path.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("SKIPPED: {message}");
    None
}

/// Every CSV record of a written dataset (header first).
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .escape(Some(b'\\'))
        .double_quote(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

pub fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Files under `dir`, relative, sorted, with their bytes; the output lock file (it names the
/// last run that held it) aside.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else if path.file_name().is_some_and(|n| n == ".rechost.lock") {
                continue;
            } else {
                let rel = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// Writes synthetic data with `rechost sample`.
pub fn sample(domain: &str, rows: u64, out: &Path) {
    rechost([
        "sample",
        domain,
        "--rows",
        &rows.to_string(),
        "--out",
        &path_arg(out),
        "--end-date",
        "2024-03-10",
        "--days",
        "10",
    ])
    .assert_ok();
}

/// The window that covers `sample`'s data.
pub const SAMPLE_WINDOW: [&str; 4] = ["--start-date", "2024-03-01", "--end-date", "2024-03-10"];

/// Row-by-row comparison that reports the first difference instead of two huge lists.
#[track_caller]
pub fn assert_same_rows(got: &[Vec<String>], want: &[Vec<String>]) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!(
            "row {i} differs:\n  got:  {:?}\n  want: {:?}",
            got[i], want[i]
        );
    }
    assert_eq!(got.len(), want.len(), "row counts differ");
}

/// Writes one batch as a Parquet file.
pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// `rechost run` of the ecommerce plugin over `SAMPLE_WINDOW` into a local folder.
pub fn run_ecommerce_locally(input: &Path, out: &Path) -> Run {
    run_locally(&guests().ecommerce, input, out, &SAMPLE_WINDOW)
}

/// `rechost run --json` of the ecommerce plugin over `input` into the local folder `out`,
/// `window` its date flags.
pub fn run_ecommerce_json(input: &Path, out: &Path, window: &[&str]) -> Run {
    rechost(
        [
            "run",
            &path_arg(&guests().ecommerce),
            "--input",
            &path_arg(input),
            "--out",
            &path_arg(out),
            "--json",
        ]
        .into_iter()
        .chain(window.iter().copied()),
    )
}

/// `rechost run` of `plugin` over `input` into the local folder `out`, `window` its date flags.
pub fn run_locally(plugin: &Path, input: &Path, out: &Path, window: &[&str]) -> Run {
    rechost(
        [
            "run",
            &path_arg(plugin),
            "--input",
            &path_arg(input),
            "--out",
            &path_arg(out),
            "--quiet",
        ]
        .into_iter()
        .chain(window.iter().copied()),
    )
}

/// `rows` events for the misbehave test plugin (`id`, `ts` in March 2024) as `dir/events.csv`.
pub fn misbehave_events(dir: &Path, rows: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let input = dir.join("events.csv");
    let mut text = String::from("id,ts\n");
    for i in 0..rows {
        text.push_str(&format!("id-{i},2024-03-0{} 10:00:00.250\n", 1 + i % 5));
    }
    std::fs::write(&input, text).unwrap();
    input
}

/// The arguments of a misbehave run in `mode` over March 2024, then `extra`.
pub fn misbehave_args(input: &Path, out: &Path, mode: &str, extra: &[&str]) -> Vec<String> {
    let args = [
        "run",
        &path_arg(&guests().misbehave),
        "--input",
        &path_arg(input),
        "--out",
        &path_arg(out),
        "--start-date",
        "2024-03-01",
        "--end-date",
        "2024-03-31",
        "--option",
        &format!("mode={mode}"),
    ];
    (args.iter().copied().chain(extra.iter().copied()))
        .map(str::to_string)
        .collect()
}
