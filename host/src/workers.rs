//! Runs the plugin over the source's batches on several instances at once and hands the
//! results back in input order, so output is identical whatever the thread count.
//!
//! Threads: one decodes the source, `workers` each own a plugin instance (window + transform),
//! the caller's thread consumes results in order. Channels are bounded: memory stays a few
//! batches per thread whatever the input size.

use arrow_array::RecordBatch;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, mpsc};

use crate::pipeline::RunError;
use crate::plugin::{Plugin, TransformResult};
use crate::source::SourceError;
use crate::window::DateWindow;

/// One source batch after the window and the plugin.
pub struct Transformed {
    pub rows_read: u64,
    pub rows_outside_window: u64,
    pub rows_transformed: u64,
    /// `None` when no row of the batch was in the window.
    pub output: Option<TransformResult>,
}

pub struct WorkerSettings<'a> {
    pub workers: usize,
    pub window: DateWindow,
    pub options: &'a [(String, String)],
}

/// Feeds `batches` through `plugin`; calls `consume` with each result in input order. Stops at
/// the first error (in input order) and returns it. Returns what the plugin printed.
pub fn transform_in_order(
    plugin: &Plugin,
    batches: impl Iterator<Item = Result<RecordBatch, SourceError>> + Send,
    settings: &WorkerSettings<'_>,
    mut consume: impl FnMut(Transformed) -> Result<(), RunError>,
) -> Result<String, RunError> {
    let workers = settings.workers.max(1);
    let instances = (0..workers)
        .map(|_| plugin.instantiate())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RunError::Instantiate(format!("{e:#}")))?;
    let time_index = plugin.manifest.source.time_index;

    std::thread::scope(|scope| {
        let (batch_sender, batch_receiver) = mpsc::sync_channel(workers * 2);
        scope.spawn(move || {
            for (index, batch) in batches.enumerate() {
                let failed = batch.is_err();
                if batch_sender.send((index as u64, batch)).is_err() || failed {
                    break;
                }
            }
        });

        let batch_receiver = Arc::new(Mutex::new(batch_receiver));
        let (result_sender, result_receiver) = mpsc::sync_channel(workers * 2);
        let handles: Vec<_> = instances
            .into_iter()
            .map(|mut instance| {
                let batch_receiver = batch_receiver.clone();
                let result_sender = result_sender.clone();
                scope.spawn(move || {
                    loop {
                        let next = batch_receiver
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .recv();
                        let Ok((index, batch)) = next else { break };
                        let result = batch.map_err(RunError::from).and_then(|batch| {
                            let rows_read = batch.num_rows() as u64;
                            let (batch, outside) = settings.window.apply(batch, time_index);
                            let rows_transformed = batch.num_rows() as u64;
                            let output = if rows_transformed > 0 {
                                Some(instance.transform(settings.options, &batch, index)?)
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
                        if result_sender.send((index, result)).is_err() || failed {
                            break;
                        }
                    }
                    instance.drain_logs()
                })
            })
            .collect();
        drop(result_sender);

        // Results arrive in any order; hand them on in input order.
        let mut pending = BTreeMap::new();
        let mut next = 0u64;
        let consumed = (|| {
            for (index, result) in result_receiver.iter() {
                pending.insert(index, result);
                while let Some(result) = pending.remove(&next) {
                    consume(result?)?;
                    next += 1;
                }
            }
            Ok(())
        })();
        // Unblock the workers (their sends fail) before joining them.
        drop(result_receiver);
        let logs: Vec<String> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect();
        consumed.map(|()| {
            logs.into_iter()
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        })
    })
}
