//! What the pipeline calls on each batch. The shipped binary only ever runs WebAssembly
//! plugins; the trait exists so benchmarks can run the very same pipeline with the transform
//! linked natively (the limit for the component boundary) or with no transform (the I/O floor).

use arrow_array::RecordBatch;

use crate::manifest::Manifest;
use crate::pipeline::PluginInfo;
use crate::plugin::{PluginError, TransformResult};

/// A loaded transform from which per-thread instances are made.
pub trait Transformer: Sync {
    fn manifest(&self) -> &Manifest;

    /// What produced the datasets, for the run summary and the readiness report.
    fn info(&self) -> PluginInfo;

    /// A fresh instance, used by one thread for one batch at a time.
    fn instantiate(&self) -> Result<Box<dyn Transform + '_>, String>;
}

/// One instance of a transform.
pub trait Transform: Send {
    /// Turns one windowed source batch into one batch per manifest dataset.
    fn transform(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, PluginError>;

    /// What the transform printed during successful calls (for the run log).
    fn drain_logs(&mut self) -> String {
        String::new()
    }
}
