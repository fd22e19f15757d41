//! A dataset's CSV written as parts no larger than a limit (one Personalize import job takes
//! at most so many bytes): every part starts with the header row and holds whole rows only,
//! so the parts import together as one folder. Part 1 keeps the usual name; parts 2 onwards
//! are `personalize-dataset_00002.csv` and so on, beside it (so that names sort in order).

use std::io::{BufWriter, Write};
use std::sync::Arc;

use super::{Destination, SinkError, StagedObject};

pub const CSV_FILE: &str = "personalize-dataset.csv";
/// The default part limit: what one FULL import job takes.
pub const DEFAULT_MAX_FILE_SIZE: u64 = crate::readiness::limits::MAX_FULL_IMPORT_BYTES;

/// The key of part `number` (from 1) of `dataset`'s CSV.
pub fn part_key(dataset: &str, number: usize) -> String {
    if number == 1 {
        format!("{dataset}/{CSV_FILE}")
    } else {
        format!("{dataset}/personalize-dataset_{number:05}.csv")
    }
}

/// Whether `name` (a file name in a dataset folder) is a CSV part beyond the first.
fn is_extra_part(name: &str) -> bool {
    name.strip_prefix("personalize-dataset_")
        .and_then(|rest| rest.strip_suffix(".csv"))
        .is_some_and(|n| n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The end of the last complete row in `rows` at or before `limit` bytes, in Personalize's
/// dialect (`"` quotes a field, `\` escapes inside quotes, a newline in quotes is data).
pub fn last_row_end(rows: &[u8], limit: usize) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut last = None;
    for (i, &byte) in rows.iter().enumerate().take(limit) {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if in_quotes => escaped = true,
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => last = Some(i + 1),
            _ => {}
        }
    }
    last
}

pub struct CsvParts {
    destination: Arc<dyn Destination>,
    dataset: String,
    header: Vec<u8>,
    max_bytes: u64,
    sealed: Vec<(Box<dyn StagedObject>, u64)>,
    current: BufWriter<Box<dyn StagedObject>>,
    current_bytes: u64,
}

/// Parts written, ready to commit.
pub struct StagedParts {
    destination: Arc<dyn Destination>,
    dataset: String,
    pub objects: Vec<Box<dyn StagedObject>>,
    pub sizes: Vec<u64>,
}

impl CsvParts {
    pub fn create(
        destination: Arc<dyn Destination>,
        dataset: &str,
        header: Vec<u8>,
        max_bytes: u64,
    ) -> Result<Self, SinkError> {
        let first = Self::open(&*destination, dataset, 1, &header)?;
        Ok(Self {
            destination,
            dataset: dataset.to_string(),
            current_bytes: header.len() as u64,
            header,
            max_bytes,
            sealed: Vec::new(),
            current: first,
        })
    }

    fn open(
        destination: &dyn Destination,
        dataset: &str,
        number: usize,
        header: &[u8],
    ) -> Result<BufWriter<Box<dyn StagedObject>>, SinkError> {
        let key = part_key(dataset, number);
        let mut part = BufWriter::with_capacity(1 << 20, destination.create(&key)?);
        part.write_all(header).map_err(|source| SinkError::Io {
            path: destination.location(&key),
            source,
        })?;
        Ok(part)
    }

    fn io_error(&self, source: std::io::Error) -> SinkError {
        let key = part_key(&self.dataset, self.sealed.len() + 1);
        SinkError::Io {
            path: self.destination.location(&key),
            source,
        }
    }

    /// Appends whole CSV rows, starting new parts where the limit falls.
    pub fn write_rows(&mut self, mut rows: &[u8]) -> Result<(), SinkError> {
        while self.current_bytes + rows.len() as u64 > self.max_bytes {
            let room = (self.max_bytes - self.current_bytes) as usize;
            let cut = last_row_end(rows, room).unwrap_or(0);
            if cut == 0 && self.current_bytes == self.header.len() as u64 {
                return Err(SinkError::Encode {
                    dataset: self.dataset.clone(),
                    format: "CSV",
                    message: format!(
                        "a row does not fit in a part of {} bytes with the header (--max-file-size)",
                        self.max_bytes
                    ),
                });
            }
            self.current
                .write_all(&rows[..cut])
                .map_err(|e| self.io_error(e))?;
            self.current_bytes += cut as u64;
            rows = &rows[cut..];
            self.next_part()?;
        }
        self.current.write_all(rows).map_err(|e| self.io_error(e))?;
        self.current_bytes += rows.len() as u64;
        Ok(())
    }

    fn next_part(&mut self) -> Result<(), SinkError> {
        let number = self.sealed.len() + 2;
        let next = Self::open(&*self.destination, &self.dataset, number, &self.header)?;
        let done = std::mem::replace(&mut self.current, next);
        let mut done = done
            .into_inner()
            .map_err(|e| self.io_error(e.into_error()))?;
        done.seal()?;
        self.sealed.push((done, self.current_bytes));
        self.current_bytes = self.header.len() as u64;
        Ok(())
    }

    /// Seals the last part; nothing is visible yet.
    pub fn finish(mut self) -> Result<StagedParts, SinkError> {
        let last = self.current.into_inner().map_err(|e| SinkError::Io {
            path: self
                .destination
                .location(&part_key(&self.dataset, self.sealed.len() + 1)),
            source: e.into_error(),
        })?;
        let mut last = last;
        last.seal()?;
        self.sealed.push((last, self.current_bytes));
        let (objects, sizes) = self.sealed.into_iter().unzip();
        Ok(StagedParts {
            destination: self.destination,
            dataset: self.dataset,
            objects,
            sizes,
        })
    }
}

impl StagedParts {
    /// Makes the parts visible, then removes parts a previous, larger run left beyond them
    /// (a folder import would read them too).
    pub fn commit(self) -> Result<(), SinkError> {
        let count = self.objects.len();
        self.objects.into_iter().try_for_each(|o| o.commit())?;
        let keep: Vec<String> = (1..=count).map(|n| part_key(&self.dataset, n)).collect();
        for key in self.destination.list(&format!("{}/", self.dataset))? {
            let name = key.rsplit('/').next().unwrap_or_default();
            if is_extra_part(name) && !keep.contains(&key) {
                self.destination.remove(&key)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ends_skip_newlines_inside_quotes() {
        let rows = b"a,\"x\ny\"\nb,\"q\\\"\n\"\nc,d\n";
        assert_eq!(last_row_end(rows, rows.len()), Some(rows.len()));
        assert_eq!(last_row_end(rows, 8), Some(8), "after the quoted newline");
        assert_eq!(last_row_end(rows, 7), None, "the first row ends at byte 8");
        assert_eq!(
            last_row_end(rows, 16),
            Some(8),
            "`\\\"` does not end the quotes"
        );
    }

    #[test]
    fn extra_parts_are_recognised() {
        assert!(is_extra_part("personalize-dataset_00002.csv"));
        assert!(!is_extra_part("personalize-dataset.csv"));
        assert!(!is_extra_part("personalize-dataset.parquet"));
    }
}
