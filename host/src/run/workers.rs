//! Runs the plugin over the source's batches on several instances at once and hands the
//! results back in input order, so output is identical whatever the thread count.
//!
//! Threads: one decodes the source and deals batches round-robin to `workers` threads, each
//! owning a plugin instance (window + transform); the caller's thread takes results round-robin
//! too, which restores input order without buffering. Every channel is bounded: memory stays a
//! few batches per thread whatever the input size.

use arrow_array::RecordBatch;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::error::RunError;
use crate::source::SourceError;
use crate::transform::{Transform, TransformResult, Transformer};
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

type Input = (u64, Result<RecordBatch, SourceError>);

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
        .collect::<Result<Vec<_>, _>>()?;
    let time_index = transformer.manifest().source.time_index;

    std::thread::scope(|scope| {
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        let mut workers = Vec::new();
        for instance in instances {
            let (input, worker_input) = sync_channel::<Input>(QUEUE);
            let (worker_output, output) = sync_channel(QUEUE);
            inputs.push(input);
            outputs.push(output);
            let work = Worker {
                instance,
                settings,
                time_index,
                prepare: &prepare,
            };
            workers.push(scope.spawn(move || work.run(worker_input, worker_output)));
        }
        let reader = scope.spawn(move || deal(batches, &inputs));

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
        let printed: Vec<String> = logs.into_iter().filter(|l| !l.is_empty()).collect();
        Ok(printed.join("\n"))
    })
}

/// Deals the batches round-robin to the workers; returns how many were sent.
fn deal(
    batches: impl Iterator<Item = Result<RecordBatch, SourceError>>,
    inputs: &[SyncSender<Input>],
) -> u64 {
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
}

/// One worker thread: its plugin instance and what it applies to each batch.
struct Worker<'a, 't, P> {
    instance: Box<dyn Transform + 't>,
    settings: &'a WorkerSettings<'a>,
    time_index: usize,
    prepare: &'a P,
}

impl<T, P> Worker<'_, '_, P>
where
    P: Fn(TransformResult, u64) -> Result<T, RunError>,
{
    /// Transforms batches until the input ends or a batch fails; returns what the plugin
    /// printed.
    fn run(
        mut self,
        input: Receiver<Input>,
        output: SyncSender<Result<Transformed<T>, RunError>>,
    ) -> String {
        for (index, batch) in input {
            let result = batch
                .map_err(RunError::from)
                .and_then(|batch| self.one(batch, index));
            let failed = result.is_err();
            if output.send(result).is_err() || failed {
                break;
            }
        }
        self.instance.drain_logs()
    }

    fn one(&mut self, batch: RecordBatch, index: u64) -> Result<Transformed<T>, RunError> {
        let settings = self.settings;
        let rows_read = batch.num_rows() as u64;
        let (batch, outside) = settings.window.apply(batch, self.time_index);
        let rows_transformed = batch.num_rows() as u64;
        let output = if rows_transformed > 0 {
            let result = self.instance.transform(settings.options, &batch, index)?;
            Some((self.prepare)(result, index)?)
        } else {
            None
        };
        Ok(Transformed {
            rows_read,
            rows_outside_window: outside as u64,
            rows_transformed,
            output,
        })
    }
}

/// A broken invariant that would otherwise lose rows silently.
fn lost(what: &str) -> RunError {
    RunError::Internal(format!("{what}; nothing was written"))
}
