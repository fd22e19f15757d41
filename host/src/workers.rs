//! Runs the plugin over the source's batches on several instances at once and hands the
//! results back in input order, so output is identical whatever the thread count.
//!
//! Threads: one decodes the source and deals batches round-robin to `workers` threads, each
//! owning a plugin instance (window + transform); the caller's thread takes results round-robin
//! too, which restores input order without buffering. Every channel is bounded: memory stays a
//! few batches per thread whatever the input size.

use arrow_array::RecordBatch;
use std::sync::mpsc;

use crate::pipeline::RunError;
use crate::plugin::TransformResult;
use crate::source::SourceError;
use crate::transform::Transformer;
use crate::window::DateWindow;

/// One source batch after the window, the plugin and `prepare`.
pub struct Transformed<T> {
    pub rows_read: u64,
    pub rows_outside_window: u64,
    pub rows_transformed: u64,
    /// `None` when no row of the batch was in the window.
    pub output: Option<T>,
}

pub struct WorkerSettings<'a> {
    pub workers: usize,
    pub window: DateWindow,
    pub options: &'a [(String, String)],
}

/// Batches queued per worker, each way: one keeps every thread fed (measured as fast as two)
/// with fewer batches in memory.
const QUEUE: usize = 1;

/// Feeds `batches` through `transformer`, then `prepare` (more per-batch work for the worker
/// threads, given the batch's index); calls `consume` with each result in input
/// order. Stops at the first error (in input order) and returns it. Returns what the plugin
/// printed.
pub fn transform_in_order<T: Send>(
    transformer: &dyn Transformer,
    batches: impl Iterator<Item = Result<RecordBatch, SourceError>> + Send,
    settings: &WorkerSettings<'_>,
    prepare: impl Fn(TransformResult, u64) -> Result<T, RunError> + Sync,
    mut consume: impl FnMut(Transformed<T>) -> Result<(), RunError>,
) -> Result<String, RunError> {
    let instances = (0..settings.workers.max(1))
        .map(|_| transformer.instantiate())
        .collect::<Result<Vec<_>, _>>()
        .map_err(RunError::Instantiate)?;
    let time_index = transformer.manifest().source.time_index;

    std::thread::scope(|scope| {
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        let mut workers = Vec::new();
        let prepare = &prepare;
        for mut instance in instances {
            let (input, worker_input) =
                mpsc::sync_channel::<(u64, Result<RecordBatch, SourceError>)>(QUEUE);
            let (worker_output, output) = mpsc::sync_channel(QUEUE);
            inputs.push(input);
            outputs.push(output);
            workers.push(scope.spawn(move || {
                for (index, batch) in worker_input {
                    let result = batch.map_err(RunError::from).and_then(|batch| {
                        let rows_read = batch.num_rows() as u64;
                        let (batch, outside) = settings.window.apply(batch, time_index);
                        let rows_transformed = batch.num_rows() as u64;
                        let output = if rows_transformed > 0 {
                            let result = instance.transform(settings.options, &batch, index)?;
                            Some(prepare(result, index)?)
                        } else {
                            None
                        };
                        Ok(Transformed {
                            rows_read,
                            rows_outside_window: outside as u64,
                            rows_transformed,
                            output,
                        })
                    });
                    let failed = result.is_err();
                    if worker_output.send(result).is_err() || failed {
                        break;
                    }
                }
                instance.drain_logs()
            }));
        }

        let reader = scope.spawn(move || {
            let mut sent = 0u64;
            for (index, batch) in batches.enumerate() {
                let failed = batch.is_err();
                if inputs[index % inputs.len()]
                    .send((index as u64, batch))
                    .is_err()
                {
                    break;
                }
                sent += 1;
                if failed {
                    break;
                }
            }
            sent
        });

        // Batch i went to worker i % n: reading the workers in turn restores input order.
        let mut consumed = 0u64;
        let mut result = Ok(());
        for turn in (0..outputs.len()).cycle() {
            let Ok(transformed) = outputs[turn].recv() else {
                break; // that worker has no more batches, so no later batch exists
            };
            if let Err(e) = transformed.and_then(&mut consume) {
                result = Err(e);
                break;
            }
            consumed += 1;
        }
        // Unblock the threads (their sends fail) before joining them.
        drop(outputs);
        let logs: Vec<String> = workers
            .into_iter()
            .map(|w| w.join().map_err(|_| lost("a plugin worker panicked")))
            .collect::<Result<_, _>>()?;
        let sent = reader
            .join()
            .map_err(|_| lost("the source reader panicked"))?;
        result?;
        if consumed != sent {
            return Err(lost(&format!(
                "{sent} batches read but {consumed} processed"
            )));
        }
        Ok(logs
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n"))
    })
}

/// A broken invariant that would otherwise lose rows silently.
fn lost(what: &str) -> RunError {
    RunError::Internal(format!("{what}; nothing was written"))
}
