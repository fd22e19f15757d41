//! A plugin on contract 0.2 (`wit/0.2/plugin.wit`: every buffer is little-endian bytes), with
//! the manifest of the `misbehave` plugin so the two can run on the same input. With
//! `mode=ok` it copies `id` and `ts` (as epoch seconds) to its one dataset; `mode=kernels`
//! does the same through the host's kernels, and `mode=bad-kernel-call` calls one with a bitmap
//! too short for the rows; the other modes return byte buffers that are not a whole number of
//! values. WebAssembly only.
#![cfg(target_family = "wasm")]

wit_bindgen::generate!({
    world: "domain-plugin",
    path: "../../../wit/0.2",
});

use exports::rechost::plugin::plugin::Guest;
use rechost::plugin::columns::{Batch, Column, TransformOutput, Utf8Values, Values};
use rechost::plugin::kernels;
use rechost::plugin::types::{
    ColumnSpec, DataType, DatasetKind, DatasetSpec, Manifest, OptionSpec, Reduction, SourceSpec,
};

struct BytesContract;

export!(BytesContract);

fn column(name: &str, data_type: DataType, nullable: bool) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        data_type,
        nullable,
        categorical: false,
        role: None,
    }
}

impl Guest for BytesContract {
    fn describe() -> Manifest {
        Manifest {
            name: "contract-v0-2".into(),
            version: "0.0.1".into(),
            description: "test plugin on contract 0.2".into(),
            domain: "TEST".into(),
            source: SourceSpec {
                table: "events".into(),
                columns: vec![
                    column("id", DataType::Utf8, true),
                    column("ts", DataType::Timestamp, true),
                ],
                time_column: "ts".into(),
            },
            datasets: vec![DatasetSpec {
                name: "out".into(),
                kind: DatasetKind::Other,
                columns: vec![
                    column("ID", DataType::Utf8, false),
                    column("SECONDS", DataType::Int64, true),
                ],
                reduction: Reduction::Events,
            }],
            recommenders: vec![],
            options: vec![OptionSpec {
                name: "mode".into(),
                description: "ok, kernels, bad-kernel-call, ragged-int64, ragged-offsets".into(),
                default_value: "ok".into(),
            }],
        }
    }

    fn transform(options: Vec<(String, String)>, input: Batch) -> Result<TransformOutput, String> {
        let mode = (options.iter())
            .find(|(name, _)| name == "mode")
            .map_or("ok", |(_, value)| value.as_str());
        let mut columns = input.columns.into_iter();
        let (Some(ids), Some(ts)) = (columns.next(), columns.next()) else {
            return Err("expected the columns id and ts".into());
        };
        let Values::Utf8(Utf8Values { mut offsets, data }) = ids.values else {
            return Err("id is not utf8".into());
        };
        let Values::Timestamp(micros) = ts.values else {
            return Err("ts is not a timestamp".into());
        };
        // A NULL id is written as empty text: the output column is not nullable.
        let mut seconds: Vec<u8> = (micros.chunks_exact(8))
            .map(|value| i64::from_le_bytes(value.try_into().unwrap()))
            .flat_map(|micros| micros.div_euclid(1_000_000).to_le_bytes())
            .collect();
        match mode {
            "ok" => {}
            "kernels" => {
                let every_row = vec![0xff; (input.rows as usize).div_ceil(8)];
                let kept = kernels::filter_utf8(&Utf8Values { offsets, data }, &every_row);
                let seconds = kernels::floor_divide(&micros, 1_000_000);
                return Ok(output(input.rows, kept, ts.validity, seconds));
            }
            "bad-kernel-call" => {
                kernels::filter_utf8(&Utf8Values { offsets, data }, &[]);
                return Err("the host accepted a bitmap too short for the rows".into());
            }
            "ragged-int64" => drop(seconds.pop()),
            "ragged-offsets" => offsets.extend([0, 0]),
            other => return Err(format!("unknown mode {other}")),
        }
        Ok(output(
            input.rows,
            Utf8Values { offsets, data },
            ts.validity,
            seconds,
        ))
    }
}

fn output(
    rows: u32,
    ids: Utf8Values,
    validity: Option<Vec<u8>>,
    seconds: Vec<u8>,
) -> TransformOutput {
    let id = Column {
        validity: None,
        values: Values::Utf8(ids),
    };
    let seconds = Column {
        validity,
        values: Values::Int64(seconds),
    };
    TransformOutput {
        datasets: vec![Batch {
            rows,
            columns: vec![id, seconds],
        }],
        dropped: vec![],
    }
}
