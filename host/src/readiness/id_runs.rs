//! Id fingerprints and counts written out in sorted runs, so counting the ids of 100M rows
//! holds a bounded number of them in memory. A run is a file of 16-byte records
//! `[fingerprint, fingerprint rest | count]` sorted by fingerprint, each id at most once per
//! run; an id's total is the sum over the runs and memory. The runs live in a scratch
//! folder removed with them (or, after a kill, by the next run that spills).

use crate::scratch::{SPILLED_IDS, ScratchDir};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// `[first hash, second hash's high 32 bits | count]`, as the in-memory table holds them.
pub type Record = [u64; 2];

pub const COUNT_BITS: u64 = 0xFFFF_FFFF;

/// What identifies the id: the record without its count.
pub fn fingerprint(record: &Record) -> (u64, u64) {
    (record[0], record[1] & !COUNT_BITS)
}

pub fn count(record: &Record) -> u64 {
    record[1] & COUNT_BITS
}

pub struct IdRuns {
    /// Where the temporary folder is made, at the first run.
    parent: PathBuf,
    dir: Option<ScratchDir>,
    files: Vec<PathBuf>,
    /// Merged runs made so far, naming the next.
    merged: u64,
}

impl IdRuns {
    pub fn new(parent: &Path) -> Self {
        Self {
            parent: parent.to_path_buf(),
            dir: None,
            files: Vec::new(),
            merged: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes records sorted by fingerprint, each id once, as one more run. On failure no run
    /// is added.
    pub fn write(&mut self, sorted: &[Record]) -> std::io::Result<()> {
        if self.dir.is_none() {
            let dir = ScratchDir::create(&self.parent, SPILLED_IDS)?;
            self.dir = Some(dir);
        }
        let dir = self.dir.as_ref().expect("made above").path();
        let path = dir.join(format!("run-{}", self.files.len()));
        let mut file = BufWriter::new(File::create_new(&path)?);
        let written = sorted
            .iter()
            .try_for_each(|r| file.write_all(&bytes(r)))
            .and_then(|()| file.flush());
        if let Err(e) = written {
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        self.files.push(path);
        // A failed merge leaves more runs for the final merge to read: still exact.
        let _ = self.compact();
        Ok(())
    }

    /// How many of `wanted` (fingerprints, sorted) any run holds: one pass over the runs.
    pub fn count_present(&self, wanted: &[(u64, u64)]) -> std::io::Result<u64> {
        let (mut next, mut found) = (0, 0);
        merge(&self.files, &[], |record| {
            let id = fingerprint(&record);
            while next < wanted.len() && wanted[next] < id {
                next += 1;
            }
            while next < wanted.len() && wanted[next] == id {
                (found, next) = (found + 1, next + 1);
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Every id's total count, merging the runs with `memory` (sorted by fingerprint).
    pub fn totals(&self, memory: &[Record], mut total: impl FnMut(u64)) -> std::io::Result<()> {
        merge(&self.files, memory, |record| {
            total(count(&record));
            Ok(())
        })
    }

    /// Merges every run into one once there are `FAN_IN`, so the final merge never opens more.
    /// On failure the runs stay as they were.
    fn compact(&mut self) -> std::io::Result<()> {
        if self.files.len() < FAN_IN {
            return Ok(());
        }
        let dir = self.dir.as_ref().expect("runs exist").path();
        let path = dir.join(format!("merged-{}", self.merged));
        let merged = File::create_new(&path)
            .map(BufWriter::new)
            .and_then(|mut file| {
                merge(&self.files, &[], |record| file.write_all(&bytes(&record)))?;
                file.flush()
            });
        if let Err(e) = merged {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        for done in std::mem::replace(&mut self.files, vec![path]) {
            // Only a leftover in the temporary folder if it fails, removed with the folder.
            let _ = std::fs::remove_file(done);
        }
        self.merged += 1;
        Ok(())
    }
}

/// Runs merged at once; more are first merged into one.
const FAN_IN: usize = 32;

/// Hands each id once, in fingerprint order, with its count summed over `files` and `memory`.
fn merge(
    files: &[PathBuf],
    memory: &[Record],
    mut emit: impl FnMut(Record) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut readers: Vec<BufReader<File>> = (files.iter())
        .map(|path| File::open(path).map(BufReader::new))
        .collect::<Result<_, _>>()?;
    let mut memory = memory.iter().copied();
    // Source 0 is memory, 1.. the runs.
    let mut next = |source: usize| -> std::io::Result<Option<Record>> {
        match source {
            0 => Ok(memory.next()),
            run => read_record(&mut readers[run - 1]),
        }
    };
    let mut heads = BinaryHeap::new();
    for source in 0..=files.len() {
        if let Some(record) = next(source)? {
            heads.push(Reverse((fingerprint(&record), count(&record), source)));
        }
    }
    let mut current: Option<((u64, u64), u64)> = None;
    while let Some(Reverse((id, n, source))) = heads.pop() {
        current = match current {
            Some((seen, sum)) if seen == id => Some((id, (sum + n).min(COUNT_BITS))),
            Some((seen, sum)) => {
                emit([seen.0, seen.1 | sum])?;
                Some((id, n))
            }
            None => Some((id, n)),
        };
        if let Some(record) = next(source)? {
            heads.push(Reverse((fingerprint(&record), count(&record), source)));
        }
    }
    if let Some((seen, sum)) = current {
        emit([seen.0, seen.1 | sum])?;
    }
    Ok(())
}

fn bytes(record: &Record) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&record[0].to_le_bytes());
    out[8..].copy_from_slice(&record[1].to_le_bytes());
    out
}

/// The next record, `None` at the end of the file.
fn read_record(reader: &mut impl Read) -> std::io::Result<Option<Record>> {
    let mut buffer = [0u8; 16];
    match reader.read_exact(&mut buffer) {
        Ok(()) => Ok(Some([
            u64::from_le_bytes(buffer[..8].try_into().expect("8 bytes")),
            u64::from_le_bytes(buffer[8..].try_into().expect("8 bytes")),
        ])),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}
