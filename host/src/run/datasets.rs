//! Per dataset, from the plugin's output to staged files: events datasets encoded by the
//! workers and written as they come, entity datasets folded into reducers and written at the
//! end; readiness observed on every row written.

use arrow_array::RecordBatch;

use crate::manifest::Manifest;
use crate::readiness::ReadinessTracker;
use crate::reduce::EntityReducer;
use crate::sink::{DatasetWriter, Destination, SinkError, StagedDataset, encode_csv_rows};
use crate::transform::TransformResult;

/// One transform's output, made ready for the consumer on a worker thread.
pub(super) struct Prepared {
    pub datasets: Vec<PreparedBatch>,
    pub dropped: Vec<(String, u64)>,
}

/// One dataset's rows from one batch.
pub(super) enum PreparedBatch {
    /// Events datasets: the rows, and their CSV form encoded by the worker.
    Events { rows: RecordBatch, csv: Vec<u8> },
    /// Entity datasets: already folded into the reducer; how many rows the plugin returned.
    Folded { returned: u64 },
}

/// The per-batch work done on the worker threads: CSV encoding and entity reduction.
pub(super) fn prepare(
    manifest: &Manifest,
    reducers: &[Option<EntityReducer>],
    output: TransformResult,
    batch_index: u64,
) -> Result<Prepared, SinkError> {
    let datasets = output
        .datasets
        .into_iter()
        .zip(reducers)
        .zip(&manifest.datasets)
        .map(|((batch, reducer), spec)| {
            Ok(match reducer {
                Some(reducer) => {
                    reducer.add(&batch, batch_index);
                    PreparedBatch::Folded {
                        returned: batch.num_rows() as u64,
                    }
                }
                None => {
                    // The CSV form is about as long as the columns' bytes: one allocation.
                    let mut csv = Vec::with_capacity(batch.get_array_memory_size());
                    encode_csv_rows(&batch, &mut csv).map_err(|e| SinkError::Encode {
                        dataset: spec.name.clone(),
                        format: "CSV",
                        message: e.to_string(),
                    })?;
                    PreparedBatch::Events { rows: batch, csv }
                }
            })
        })
        .collect::<Result<_, SinkError>>()?;
    Ok(Prepared {
        datasets,
        dropped: output.dropped,
    })
}

/// Per dataset: its writer and the rows the plugin returned; plus the readiness tracker.
pub(super) struct DatasetStates {
    writers: Vec<DatasetWriter>,
    returned: Vec<u64>,
    readiness: ReadinessTracker,
}

impl DatasetStates {
    pub fn new(manifest: &Manifest, destination: &dyn Destination) -> Result<Self, SinkError> {
        Ok(Self {
            writers: manifest
                .datasets
                .iter()
                .map(|spec| DatasetWriter::create(destination, spec))
                .collect::<Result<_, _>>()?,
            returned: vec![0; manifest.datasets.len()],
            readiness: ReadinessTracker::new(manifest),
        })
    }

    /// Routes one transform's output: events datasets are written now (entity datasets are
    /// in the reducers until the end).
    pub fn add(&mut self, batches: Vec<PreparedBatch>) -> Result<(), SinkError> {
        for (index, prepared) in batches.into_iter().enumerate() {
            match prepared {
                PreparedBatch::Folded { returned } => self.returned[index] += returned,
                PreparedBatch::Events { rows, csv } => {
                    self.returned[index] += rows.num_rows() as u64;
                    self.readiness.observe(index, &rows);
                    self.writers[index].write_encoded(&rows, &csv)?;
                }
            }
        }
        Ok(())
    }

    pub fn finish(
        self,
        destination: &dyn Destination,
        reducers: Vec<Option<EntityReducer>>,
    ) -> Result<(Vec<(StagedDataset, u64)>, ReadinessTracker), SinkError> {
        let DatasetStates {
            writers,
            returned,
            mut readiness,
        } = self;
        // Entity datasets are sorted and encoded at once, a thread each: this is the run's
        // serial tail.
        let written: Vec<Result<(DatasetWriter, Vec<RecordBatch>), SinkError>> =
            std::thread::scope(|scope| {
                let threads: Vec<_> = (writers.into_iter().zip(reducers))
                    .map(|(mut writer, reducer)| {
                        scope.spawn(move || {
                            let batches = reducer.map(EntityReducer::finish).unwrap_or_default();
                            for batch in &batches {
                                writer.write(batch)?;
                            }
                            Ok((writer, batches))
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
        let mut staged = Vec::new();
        for (index, (result, rows_returned)) in written.into_iter().zip(returned).enumerate() {
            let (writer, batches) = result?;
            for batch in &batches {
                readiness.observe(index, batch);
            }
            staged.push((writer.finish(destination)?, rows_returned));
        }
        Ok((staged, readiness))
    }
}
