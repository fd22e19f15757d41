//! The ecommerce transform linked natively, behind the host's `Transformer` trait, and a
//! pass-through transform: what the WebAssembly boundary is measured against (the criterion
//! bench and `examples/native_run.rs`). Benchmark-only; the shipped binary runs plugins only.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, RecordBatchOptions,
    StringArray, TimestampMicrosecondArray,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use rechost::manifest::{ColumnSpec, DataType, DatasetKind, DatasetSpec, Manifest, Reduction};
use rechost::transform::{
    DropCounts, PluginInfo, Transform, TransformError, TransformResult, Transformer,
};
use rechost_plugin_sdk as sdk;
use std::sync::Arc;

fn packed(bits: &BooleanBuffer) -> Vec<u8> {
    bits.sliced().as_slice()[..bits.len().div_ceil(8)].to_vec()
}

/// The guest SDK's view of an Arrow batch (the copy the boundary would make).
pub fn to_sdk(batch: &RecordBatch) -> sdk::Batch {
    let columns = batch
        .columns()
        .iter()
        .map(|array| sdk::Column {
            validity: array.nulls().map(|n| packed(n.inner())),
            values: match array.data_type() {
                arrow_schema::DataType::Utf8 => {
                    let s = array.as_string::<i32>();
                    let offsets = s.value_offsets();
                    let first = offsets[0];
                    sdk::Values::Utf8(sdk::Utf8Values {
                        offsets: offsets.iter().map(|o| o - first).collect(),
                        data: s.value_data()[first as usize..offsets[s.len()] as usize].to_vec(),
                    })
                }
                arrow_schema::DataType::Int64 => {
                    sdk::Values::Int64(array.as_primitive::<Int64Type>().values().to_vec())
                }
                arrow_schema::DataType::Float64 => {
                    sdk::Values::Float64(array.as_primitive::<Float64Type>().values().to_vec())
                }
                arrow_schema::DataType::Boolean => {
                    sdk::Values::Boolean(packed(array.as_boolean().values()))
                }
                _ => sdk::Values::Timestamp(
                    array
                        .as_primitive::<TimestampMicrosecondType>()
                        .values()
                        .to_vec(),
                ),
            },
        })
        .collect();
    sdk::Batch {
        rows: batch.num_rows() as u32,
        columns,
    }
}

/// A batch the native transform returned, as Arrow (no copy; UTF-8 is still checked, as the
/// host checks a plugin's output).
pub fn from_sdk(batch: sdk::Batch, spec: &DatasetSpec) -> RecordBatch {
    let rows = batch.rows as usize;
    let arrays = batch
        .columns
        .into_iter()
        .map(|column| -> ArrayRef {
            let nulls = column
                .validity
                .map(|v| NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(v), 0, rows)));
            match column.values {
                sdk::Values::Utf8(v) => Arc::new(
                    StringArray::try_new(
                        OffsetBuffer::new(ScalarBuffer::from(v.offsets)),
                        Buffer::from_vec(v.data),
                        nulls,
                    )
                    .expect("valid UTF-8"),
                ),
                sdk::Values::Int64(v) => Arc::new(Int64Array::new(v.into(), nulls)),
                sdk::Values::Float64(v) => Arc::new(Float64Array::new(v.into(), nulls)),
                sdk::Values::Timestamp(v) => {
                    Arc::new(TimestampMicrosecondArray::new(v.into(), nulls))
                }
                sdk::Values::Boolean(v) => Arc::new(BooleanArray::new(
                    BooleanBuffer::new(Buffer::from_vec(v), 0, rows),
                    nulls,
                )),
            }
        })
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(spec.returned_schema(), arrays, &options)
        .expect("output follows the manifest")
}

/// The ecommerce plugin's transform compiled into this binary. The manifest comes from the
/// WebAssembly build of the same crate (so both describe the same datasets).
pub struct NativeEcommerce {
    pub manifest: Manifest,
    pub info: PluginInfo,
}

impl Transformer for NativeEcommerce {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn info(&self) -> PluginInfo {
        self.info.clone()
    }

    fn instantiate(&self) -> Result<Box<dyn Transform + '_>, TransformError> {
        Ok(Box::new(NativeInstance(&self.manifest)))
    }
}

struct NativeInstance<'a>(&'a Manifest);

impl Transform for NativeInstance<'_> {
    fn transform(
        &mut self,
        options: &[(String, String)],
        input: &RecordBatch,
        batch_index: u64,
    ) -> Result<TransformResult, TransformError> {
        let options = sdk::Options::new(options.to_vec());
        let batch = to_sdk(input);
        // SAFETY: `to_sdk` copies Arrow string arrays, whose text is valid UTF-8 cut at
        // character boundaries: the same promise the host makes to a plugin.
        let input = unsafe { sdk::Input::from_host(&batch) };
        let output = <ecommerce::Ecommerce as sdk::Plugin>::transform(&options, &input).map_err(
            |message| TransformError::Reported {
                plugin: "native ecommerce".into(),
                batch: batch_index,
                message,
                logs: String::new(),
            },
        )?;
        let mut dropped = DropCounts::default();
        for d in &output.dropped {
            dropped.add(&d.reason, d.rows);
        }
        Ok(TransformResult {
            datasets: output
                .datasets
                .into_iter()
                .zip(&self.0.datasets)
                .map(|(batch, spec)| from_sdk(batch, spec))
                .collect(),
            dropped,
        })
    }
}

/// No transform: one events dataset made of four source columns as they are (user, item,
/// time as int64, category) — the shape of the interactions dataset. Reading and writing only:
/// the I/O floor of a run.
pub struct Passthrough {
    pub manifest: Manifest,
    pub info: PluginInfo,
    columns: [usize; 4],
}

impl Passthrough {
    /// Reads `manifest`'s source; writes one dataset `passthrough`.
    pub fn new(mut manifest: Manifest, info: PluginInfo) -> Self {
        let find = |name: &str| {
            manifest
                .source
                .columns
                .iter()
                .position(|c| c.name == name)
                .expect("ecommerce source column")
        };
        let columns = [
            find("domain_userid"),
            find("product_id"),
            find("derived_tstamp"),
            find("product_category"),
        ];
        let column = |name: &str, data_type| ColumnSpec {
            name: name.into(),
            data_type,
            nullable: true,
            categorical: false,
            role: None,
        };
        manifest.datasets = vec![DatasetSpec {
            name: "passthrough".into(),
            kind: DatasetKind::Other,
            columns: vec![
                column("USER_ID", DataType::Utf8),
                column("ITEM_ID", DataType::Utf8),
                column("TIMESTAMP", DataType::Int64),
                column("CATEGORY", DataType::Utf8),
            ],
            reduction: Reduction::Events,
        }];
        Self {
            manifest,
            info,
            columns,
        }
    }
}

impl Transformer for Passthrough {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn info(&self) -> PluginInfo {
        self.info.clone()
    }

    fn instantiate(&self) -> Result<Box<dyn Transform + '_>, TransformError> {
        Ok(Box::new(PassthroughInstance(self)))
    }
}

struct PassthroughInstance<'a>(&'a Passthrough);

impl Transform for PassthroughInstance<'_> {
    fn transform(
        &mut self,
        _options: &[(String, String)],
        input: &RecordBatch,
        _batch_index: u64,
    ) -> Result<TransformResult, TransformError> {
        let [user, item, time, category] = self.0.columns.map(|i| input.column(i).clone());
        let time = time.as_primitive::<TimestampMicrosecondType>();
        let time: ArrayRef = Arc::new(Int64Array::new(
            time.values().clone(),
            time.nulls().cloned(),
        ));
        let batch = RecordBatch::try_new(
            self.0.manifest.datasets[0].written_schema(),
            vec![user, item, time, category],
        )
        .expect("source columns have the declared types");
        Ok(TransformResult {
            datasets: vec![batch],
            dropped: DropCounts::default(),
        })
    }
}
