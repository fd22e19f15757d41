//! Sorted runs on disk. When the kept rows outgrow their memory budget they are written out,
//! sorted by key, as an Arrow IPC file of (key, value) pairs and forgotten; at the end the runs
//! are merged key by key, keeping the value that wins the latest-wins rule, so the result is
//! the one memory alone would give. Runs live in a scratch folder removed when the reducer
//! (or its output) is dropped: after success, failure or a panic alike; a killed run's is
//! removed by the next run that spills.

use crate::scratch::{SPILLED_ROWS, ScratchDir};
use arrow_array::builder::{ArrayBuilder, BinaryBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BinaryArray, RecordBatch};
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ReduceError;
use super::row::RowLayout;

/// Bytes of keys and values per batch of a run file: what the merge holds per open run.
const RUN_BATCH_BYTES: usize = 1 << 20;

/// Runs merged at once: more are first merged in groups into longer runs, so the merge holds
/// at most this many open files and batches.
const FAN_IN: usize = 32;

fn run_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("key", DataType::Binary, false),
        Field::new("value", DataType::Binary, false),
    ]))
}

/// The runs of one dataset written so far.
pub(super) struct Runs {
    dataset: String,
    /// Where the temporary folder is made, at the first spill.
    parent: PathBuf,
    dir: Option<ScratchDir>,
    files: Vec<PathBuf>,
    /// Run files created (spilled and merged), naming the next one.
    created: u64,
    /// Runs spilled from memory.
    spilled: u64,
}

impl Runs {
    pub fn new(dataset: &str, parent: &Path) -> Self {
        Self {
            dataset: dataset.to_string(),
            parent: parent.to_path_buf(),
            dir: None,
            files: Vec::new(),
            created: 0,
            spilled: 0,
        }
    }

    /// Runs spilled from memory so far.
    pub fn spilled(&self) -> u64 {
        self.spilled
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes key-sorted (key, value) pairs, keys distinct, as one more run.
    pub fn write<'a>(
        &mut self,
        pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Result<(), ReduceError> {
        let path = self.new_path()?;
        let mut run = RunWriter::create(&path).map_err(|e| self.error(&path, e))?;
        for (key, value) in pairs {
            run.push(key, value).map_err(|e| self.error(&path, e))?;
        }
        run.finish().map_err(|e| self.error(&path, e))?;
        self.files.push(path);
        self.spilled += 1;
        Ok(())
    }

    /// Merges groups of runs into longer ones until few enough are left to merge at once.
    pub fn into_merge(mut self, layout: &RowLayout) -> Result<Merge, ReduceError> {
        while self.files.len() > FAN_IN {
            let group: Vec<PathBuf> = self.files.drain(..FAN_IN).collect();
            let mut merge = self.open(&group)?;
            let path = self.new_path()?;
            let mut run = RunWriter::create(&path).map_err(|e| self.error(&path, e))?;
            let mut push =
                |key: &[u8], value: &[u8]| run.push(key, value).map_err(|e| self.error(&path, e));
            while merge.next(layout, &mut push)? {}
            run.finish().map_err(|e| self.error(&path, e))?;
            for done in &group {
                std::fs::remove_file(done).map_err(|e| self.error(done, e))?;
            }
            self.files.push(path);
        }
        let mut merge = self.open(&self.files)?;
        merge.dir = self.dir.take();
        Ok(merge)
    }

    fn open(&self, files: &[PathBuf]) -> Result<Merge, ReduceError> {
        let mut cursors = Vec::with_capacity(files.len());
        for path in files {
            if let Some(cursor) = Cursor::open(path).map_err(|e| self.error(path, e))? {
                cursors.push(cursor);
            }
        }
        Ok(Merge {
            dataset: self.dataset.clone(),
            cursors,
            key: Vec::new(),
            dir: None,
        })
    }

    fn new_path(&mut self) -> Result<PathBuf, ReduceError> {
        if self.dir.is_none() {
            let dir = ScratchDir::create(&self.parent, SPILLED_ROWS)
                .map_err(|e| self.error(&self.parent, e))?;
            self.dir = Some(dir);
        }
        let dir = self.dir.as_ref().expect("created above").path();
        self.created += 1;
        Ok(dir.join(format!("run-{}.arrow", self.created)))
    }

    fn error(&self, path: &Path, error: impl std::fmt::Display) -> ReduceError {
        spill_error(&self.dataset, path, error)
    }
}

fn spill_error(dataset: &str, path: &Path, error: impl std::fmt::Display) -> ReduceError {
    ReduceError::Spill {
        dataset: dataset.to_string(),
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// One run file being written, a batch of about `RUN_BATCH_BYTES` at a time.
struct RunWriter {
    writer: FileWriter<BufWriter<File>>,
    keys: BinaryBuilder,
    values: BinaryBuilder,
}

type RunResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

impl RunWriter {
    fn create(path: &Path) -> RunResult<Self> {
        let file = BufWriter::new(File::create_new(path)?);
        Ok(Self {
            writer: FileWriter::try_new(file, &run_schema())?,
            keys: BinaryBuilder::new(),
            values: BinaryBuilder::new(),
        })
    }

    fn push(&mut self, key: &[u8], value: &[u8]) -> RunResult<()> {
        self.keys.append_value(key);
        self.values.append_value(value);
        if self.keys.values_slice().len() + self.values.values_slice().len() >= RUN_BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> RunResult<()> {
        if self.keys.is_empty() {
            return Ok(());
        }
        let columns: Vec<ArrayRef> =
            vec![Arc::new(self.keys.finish()), Arc::new(self.values.finish())];
        self.writer
            .write(&RecordBatch::try_new(run_schema(), columns)?)?;
        Ok(())
    }

    fn finish(mut self) -> RunResult<()> {
        self.flush()?;
        self.writer.finish()?;
        self.writer
            .into_inner()?
            .into_inner()
            .map_err(|e| e.into_error())?;
        Ok(())
    }
}

/// A run being read: its current batch and row.
struct Cursor {
    path: PathBuf,
    reader: FileReader<BufReader<File>>,
    keys: BinaryArray,
    values: BinaryArray,
    row: usize,
}

impl Cursor {
    /// `None` for a run without rows.
    fn open(path: &Path) -> RunResult<Option<Self>> {
        let reader = FileReader::try_new(BufReader::new(File::open(path)?), None)?;
        let empty = BinaryArray::from_vec(Vec::new());
        let mut cursor = Self {
            path: path.to_path_buf(),
            reader,
            keys: empty.clone(),
            values: empty,
            row: 0,
        };
        Ok(cursor.load()?.then_some(cursor))
    }

    /// Reads the next non-empty batch; false at the end of the run.
    fn load(&mut self) -> RunResult<bool> {
        for batch in self.reader.by_ref() {
            let batch = batch?;
            if batch.num_rows() > 0 {
                self.keys = batch.column(0).as_binary::<i32>().clone();
                self.values = batch.column(1).as_binary::<i32>().clone();
                self.row = 0;
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn current(&self) -> (&[u8], &[u8]) {
        (self.keys.value(self.row), self.values.value(self.row))
    }

    /// Moves to the next row; false at the end of the run.
    fn advance(&mut self) -> RunResult<bool> {
        self.row += 1;
        if self.row < self.keys.len() {
            return Ok(true);
        }
        self.load()
    }
}

/// Runs merged key by key: each key once, with its winning value, in key order.
pub(super) struct Merge {
    dataset: String,
    cursors: Vec<Cursor>,
    /// The key being emitted, copied so the runs holding it can move on.
    key: Vec<u8>,
    /// The runs' folder, removed when the merge is dropped.
    dir: Option<ScratchDir>,
}

impl Merge {
    /// Hands the next key and its winning value to `emit`; false when every run is done.
    pub fn next(
        &mut self,
        layout: &RowLayout,
        mut emit: impl FnMut(&[u8], &[u8]) -> Result<(), ReduceError>,
    ) -> Result<bool, ReduceError> {
        let Some(first) = self.cursors.first() else {
            return Ok(false);
        };
        // Each run holds a key once: the lowest key's rows are one per run, the best wins.
        let mut best = first.current();
        for cursor in &self.cursors[1..] {
            let (key, value) = cursor.current();
            let lower = key
                .cmp(best.0)
                .then_with(|| match layout.value_beats(value, best.1) {
                    true => std::cmp::Ordering::Less,
                    false => std::cmp::Ordering::Greater,
                });
            if lower.is_lt() {
                best = (key, value);
            }
        }
        emit(best.0, best.1)?;
        let dataset = &self.dataset;
        self.key.clear();
        self.key.extend_from_slice(best.0);
        let mut index = 0;
        while index < self.cursors.len() {
            let cursor = &mut self.cursors[index];
            let done = cursor.current().0 == self.key.as_slice()
                && !(cursor.advance()).map_err(|e| spill_error(dataset, &cursor.path, e))?;
            if done {
                // Order among runs does not matter: the rule decides between them.
                self.cursors.swap_remove(index);
            } else {
                index += 1;
            }
        }
        Ok(true)
    }
}
