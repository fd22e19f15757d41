//! A test-only plugin that misbehaves on request (`--option mode=...`), so the host's sandbox
//! and output validation are exercised against a real component. With `mode=ok` it copies
//! `id` and `ts` (as epoch seconds) to its one dataset.

use rechost_plugin_sdk::{
    Column, DataType, DatasetKind, DatasetSpec, DroppedRows, Input, Int64Builder, Manifest,
    OptionSpec, Options, Plugin, Reduction, SourceSpec, TransformOutput, Utf8Builder, Utf8Values,
    Values, batch, column,
};

pub struct Misbehave;

rechost_plugin_sdk::export_plugin!(Misbehave);

impl Plugin for Misbehave {
    fn manifest() -> Manifest {
        Manifest {
            name: "misbehave".into(),
            version: "0.0.1".into(),
            description: "test plugin".into(),
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
                description: "ok, slow, trap, trap-on-id (traps on the id `trap` only), loop, oom, print-and-trap, error, bad-offsets, \
                              bad-utf8, wrong-type, short-column, null-in-required, \
                              wrong-dataset-count, many-reasons, escapes"
                    .into(),
                default_value: "ok".into(),
            }],
        }
    }

    fn transform(options: &Options, input: &Input<'_>) -> Result<TransformOutput, String> {
        let mode = options.get("mode").unwrap_or("ok");
        let ids = input.utf8(0)?;
        let ts = input.timestamp(1)?;
        let rows = input.rows();
        let mut id_out = Utf8Builder::with_capacity(rows, rows * 8);
        let mut seconds = Int64Builder::with_capacity(rows);
        for row in 0..rows {
            id_out.push(Some(ids.get(row).unwrap_or("")));
            seconds.push(ts.get(row).map(|t| t.div_euclid(1_000_000)));
        }
        let mut columns = vec![id_out.finish(), seconds.finish()];
        let mut rows_out = rows;
        match mode {
            "ok" => {}
            "slow" => {
                // About tens of milliseconds per batch: long enough to interrupt a run.
                let mut n: u64 = 0;
                for _ in 0..30_000_000u64 {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "trap" => panic!("deliberate trap"),
            "trap-on-id" => {
                if (0..rows).any(|row| ids.get(row) == Some("trap")) {
                    panic!("deliberate trap on the id `trap`");
                }
            }
            "print-and-trap" => {
                println!("plugin stdout line");
                eprintln!("plugin stderr line");
                panic!("deliberate trap after printing");
            }
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 16 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "leak" => {
                // 8 MiB never freed per call, written so the memory really grows: a heap that
                // only grows, like CPython's inside some components.
                std::mem::forget(std::hint::black_box(vec![1u8; 8 << 20]));
            }
            "error" => return Err("deliberate error from the plugin".into()),
            "bad-offsets" => {
                columns[0] = Column {
                    validity: None,
                    values: Values::Utf8(Utf8Values {
                        offsets: (0..=rows as i32).map(|i| i * 1000).collect(),
                        data: vec![b'x'; 10],
                    }),
                }
            }
            "bad-utf8" => {
                columns[0] = Column {
                    validity: None,
                    values: Values::Utf8(Utf8Values {
                        offsets: (0..=rows as i32).collect(),
                        data: vec![0xff; rows],
                    }),
                }
            }
            // Valid UTF-8 ("é" per row), but the first value ends inside its character.
            "split-char" => {
                let cut = |i: i32| if i == 1 && rows > 1 { 1 } else { 2 * i };
                columns[0] = Column {
                    validity: None,
                    values: Values::Utf8(Utf8Values {
                        offsets: (0..=rows as i32).map(cut).collect(),
                        data: "é".repeat(rows).into_bytes(),
                    }),
                }
            }
            "wrong-type" => columns.swap(0, 1),
            "short-column" => rows_out += 1,
            "null-in-required" => {
                let mut ids = Utf8Builder::default();
                for _ in 0..rows {
                    ids.push(None);
                }
                columns[0] = ids.finish();
            }
            // Every row dropped for a reason of its own, with terminal escapes in it.
            "many-reasons" => {
                let dropped = (0..rows)
                    .map(|row| DroppedRows {
                        reason: format!("\u{1b}[31mrow {row}\u{1b}]0;pwned\u{7}\nfake line"),
                        rows: 1,
                    })
                    .collect();
                return Ok(TransformOutput {
                    datasets: vec![batch(
                        0,
                        vec![
                            Utf8Builder::default().finish(),
                            Int64Builder::default().finish(),
                        ],
                    )],
                    dropped,
                });
            }
            // Output and an error crafted to rewrite the terminal and fake rechost's own lines.
            "escapes" => {
                println!("\u{1b}[2J\u{1b}]0;pwned\u{7}\rerror: fake");
                return Err("\u{1b}[32mok\u{1b}[0m\ndone in 0.01 s".into());
            }
            "wrong-dataset-count" => {
                return Ok(TransformOutput {
                    datasets: vec![],
                    dropped: vec![],
                });
            }
            other => return Err(format!("unknown mode {other}")),
        }
        Ok(TransformOutput {
            datasets: vec![batch(rows_out, columns)],
            dropped: vec![],
        })
    }
}
