//! Per dataset, from the plugin's output to staged files: events datasets encoded by the
//! workers and written as they come, entity datasets folded into reducers and written at the
//! end; readiness observed on every row written.

use arrow_array::RecordBatch;
use std::sync::Mutex;

use super::export::Export;
use super::{RunError, RunPlan, memory_shares};
use crate::manifest::Manifest;
use crate::readiness::{ImportFit, ReadinessTracker};
use crate::reduce::EntityReducer;
use crate::sink::{DatasetWriter, Destination, SinkError, StagedDataset, encode_csv_rows};
use crate::transform::{DropCounts, TransformResult};

/// One transform's output, made ready for the consumer on a worker thread.
pub(super) struct Prepared {
    pub datasets: Vec<PreparedBatch>,
    pub dropped: DropCounts,
}

/// One dataset's rows from one batch.
pub(super) enum PreparedBatch {
    /// Events datasets: the rows, and their CSV form encoded by the worker.
    Events { rows: RecordBatch, csv: Vec<u8> },
    /// Entity datasets: already folded into the reducer; how many rows the plugin returned.
    Folded { returned: u64 },
    /// Datasets not exported: only counted.
    Skipped { returned: u64 },
}

/// The per-batch work done on the worker threads: CSV encoding and entity reduction.
pub(super) fn prepare(
    manifest: &Manifest,
    exported: &[bool],
    reducers: &[Option<EntityReducer>],
    output: TransformResult,
    batch_index: u64,
) -> Result<Prepared, RunError> {
    let datasets = output
        .datasets
        .into_iter()
        .zip(reducers)
        .zip(manifest.datasets.iter().zip(exported))
        .map(|((batch, reducer), (spec, &exported))| {
            Ok(match reducer {
                _ if !exported => PreparedBatch::Skipped {
                    returned: batch.num_rows() as u64,
                },
                Some(reducer) => {
                    reducer.add(&batch, batch_index)?;
                    PreparedBatch::Folded {
                        returned: batch.num_rows() as u64,
                    }
                }
                None => PreparedBatch::Events {
                    csv: encode_csv(&spec.name, &batch)?,
                    rows: batch,
                },
            })
        })
        .collect::<Result<_, RunError>>()?;
    Ok(Prepared {
        datasets,
        dropped: output.dropped,
    })
}

/// Per manifest dataset: its writer (written datasets only) and the rows the plugin
/// returned; plus the readiness tracker over the written datasets.
pub(super) struct DatasetStates {
    writers: Vec<Option<DatasetWriter>>,
    returned: Vec<u64>,
    /// Manifest dataset index -> index among the written datasets.
    written_index: Vec<Option<usize>>,
    readiness: ReadinessTracker,
}

impl DatasetStates {
    pub fn new(
        manifest: &Manifest,
        export: &Export,
        destination: &dyn Destination,
        plan: &RunPlan,
    ) -> Result<Self, SinkError> {
        let (readiness_memory, _) = memory_shares(plan.memory_budget);
        Ok(Self {
            writers: (manifest.datasets.iter().zip(&export.mask))
                .map(|(spec, &e)| {
                    e.then(|| DatasetWriter::create_split(destination, spec, plan.max_file_size))
                        .transpose()
                })
                .collect::<Result<_, _>>()?,
            returned: vec![0; manifest.datasets.len()],
            written_index: export.written_index(),
            readiness: ReadinessTracker::new(&export.written).bounded(
                usize::try_from(readiness_memory).unwrap_or(usize::MAX),
                &std::env::temp_dir(),
            ),
        })
    }

    /// Routes one transform's output: events datasets are written now (entity datasets are
    /// in the reducers until the end).
    pub fn add(&mut self, batches: Vec<PreparedBatch>) -> Result<(), SinkError> {
        for (index, prepared) in batches.into_iter().enumerate() {
            match prepared {
                PreparedBatch::Folded { returned } | PreparedBatch::Skipped { returned } => {
                    self.returned[index] += returned
                }
                PreparedBatch::Events { rows, csv } => {
                    self.returned[index] += rows.num_rows() as u64;
                    let (Some(writer), Some(written)) =
                        (&mut self.writers[index], self.written_index[index])
                    else {
                        unreachable!("only written datasets are prepared as events");
                    };
                    self.readiness.observe(written, &rows);
                    writer.write_encoded(&rows, &csv)?;
                }
            }
        }
        Ok(())
    }

    /// Writes the entity datasets and finishes every writer. Returns per written dataset
    /// its staged files, rows returned and runs spilled, and the readiness tracker.
    pub fn finish(
        self,
        destination: &dyn Destination,
        reducers: Vec<Option<EntityReducer>>,
    ) -> Result<(Vec<FinishedDataset>, ReadinessTracker), RunError> {
        let DatasetStates {
            writers,
            returned,
            written_index,
            readiness,
        } = self;
        let readiness = Mutex::new(readiness);
        // A thread per dataset: entity datasets are sorted and written a batch at a time,
        // readiness observing each batch; every dataset is then sealed, which waits for the
        // disk (fsync) or the object store, so events datasets seal while entities are written.
        let written: Vec<Result<(StagedDataset, u64), RunError>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (writers.into_iter().zip(reducers))
                .filter_map(|(writer, reducer)| Some((writer?, reducer)))
                .enumerate()
                .map(|(index, (writer, reducer))| {
                    let readiness = &readiness;
                    scope.spawn(move || {
                        let (writer, spilled_runs) =
                            write_reduced(writer, reducer, index, readiness)?;
                        Ok((writer.finish(destination)?, spilled_runs))
                    })
                })
                .collect();
            (threads.into_iter())
                .map(|t| {
                    t.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let mut readiness = readiness.into_inner().unwrap_or_else(|e| e.into_inner());
        // The returned counts of the written datasets, in the order they were staged.
        let returned = (returned.into_iter().zip(&written_index))
            .filter(|(_, w)| w.is_some())
            .map(|(r, _)| r);
        let mut finished = Vec::new();
        for (result, rows_returned) in written.into_iter().zip(returned) {
            let (staged, spilled_runs) = result?;
            readiness.record_csv(import_fit(&staged));
            finished.push(FinishedDataset {
                staged,
                rows_returned,
                spilled_runs,
            });
        }
        Ok((finished, readiness))
    }
}

/// A written dataset, staged.
pub(super) struct FinishedDataset {
    pub staged: StagedDataset,
    pub rows_returned: u64,
    /// Sorted runs its kept rows were spilled to (0 for events and in-memory datasets).
    pub spilled_runs: u64,
}

/// Writes an entity dataset's kept rows (none for an events dataset) batch by batch;
/// returns the writer and the runs the rows were spilled to. The rows are merged and
/// CSV-encoded on one thread while this one writes Parquet and observes readiness: this is
/// the run's serial tail, so it is split in two.
fn write_reduced(
    mut writer: DatasetWriter,
    reducer: Option<EntityReducer>,
    index: usize,
    readiness: &Mutex<ReadinessTracker>,
) -> Result<(DatasetWriter, u64), RunError> {
    let Some(reducer) = reducer else {
        return Ok((writer, 0));
    };
    let rows = reducer.finish()?;
    let spilled_runs = rows.spilled_runs();
    let name = writer.name().to_string();
    std::thread::scope(|scope| {
        // A rendezvous: at most the batch being written and the one being built are held.
        let (sender, receiver) = std::sync::mpsc::sync_channel::<(RecordBatch, Vec<u8>)>(0);
        let producer = scope.spawn(move || -> Result<(), RunError> {
            for batch in rows {
                let batch = batch?;
                let csv = encode_csv(&name, &batch)?;
                if sender.send((batch, csv)).is_err() {
                    break; // the writer failed; its error is the one reported
                }
            }
            Ok(())
        });
        let written = receiver.iter().try_for_each(|(batch, csv)| {
            writer.write_encoded(&batch, &csv)?;
            (readiness.lock().unwrap_or_else(|e| e.into_inner())).observe(index, &batch);
            Ok::<(), RunError>(())
        });
        drop(receiver);
        let produced = (producer.join()).unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        written.and(produced)
    })?;
    Ok((writer, spilled_runs))
}

/// A batch's CSV rows, off the writer's thread.
fn encode_csv(dataset: &str, batch: &RecordBatch) -> Result<Vec<u8>, SinkError> {
    // The CSV form is about as long as the columns' bytes: one allocation.
    let mut csv = Vec::with_capacity(batch.get_array_memory_size());
    encode_csv_rows(batch, &mut csv).map_err(|e| SinkError::Encode {
        dataset: dataset.to_string(),
        format: "CSV",
        message: e.to_string(),
    })?;
    Ok(csv)
}

/// Which import modes a staged dataset's CSV fits, and what to import, relative to the
/// output root (the report holds no run-specific paths).
fn import_fit(staged: &StagedDataset) -> ImportFit {
    let sizes = staged.csv_part_sizes();
    let from = match sizes.len() {
        1 => crate::sink::split::part_key(&staged.name, 1),
        _ => format!("{}/", staged.name),
    };
    let largest = sizes.iter().copied().max().unwrap_or(0);
    ImportFit::new(
        &staged.name,
        sizes.iter().sum(),
        sizes.len() as u64,
        largest,
        from,
    )
}
