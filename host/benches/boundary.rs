//! Throughput of the ecommerce transform through the component boundary (Arrow batch ->
//! WIT buffers -> plugin -> validated Arrow batches) against the same transform compiled
//! natively, and of the Personalize CSV writer. Run: `cargo bench -p rechost`.

// Shared with the integration tests; the bench needs only the ecommerce plugin.
#[allow(dead_code)]
#[path = "../../tests/support/guests.rs"]
mod guests;
#[allow(dead_code)]
#[path = "../../tests/support/native.rs"]
mod native;

use arrow_array::RecordBatch;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rechost::plugin::{LoadOptions, Plugin};
use rechost::sample::{Domain, SampleSpec};
use rechost::sink::{DatasetWriter, LocalDir, encode_csv_rows};
use rechost::source::LocalSource;
use rechost_plugin_sdk as sdk;

const ROWS: u64 = 256 * 1024;

/// Sample ecommerce rows as the source layer delivers them, in batches of `batch_rows`.
fn source_batches(
    dir: &std::path::Path,
    manifest: &rechost::manifest::Manifest,
    batch_rows: usize,
) -> Vec<RecordBatch> {
    let path = dir.join("sample.parquet");
    if !path.exists() {
        let spec = SampleSpec {
            domain: Domain::Ecommerce,
            rows: ROWS,
            seed: 7,
            end_date: "2024-03-10".parse().unwrap(),
            days: 10,
            shape: Default::default(),
        };
        rechost::sample::write(&spec, &path).unwrap();
    }
    LocalSource::open(path.to_str().unwrap(), &manifest.source, batch_rows)
        .unwrap()
        .into_batches()
        .map(Result::unwrap)
        .collect()
}

fn boundary(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let plugin = Plugin::load(&guests::guests().ecommerce, &LoadOptions::default()).unwrap();
    let options = plugin.manifest.resolve_options(&[]).unwrap();
    let mut group = c.benchmark_group("ecommerce_transform");
    group.throughput(Throughput::Elements(ROWS));
    group.sample_size(10);
    for batch_rows in [4 * 1024, 16 * 1024, 64 * 1024] {
        let batches = source_batches(dir.path(), &plugin.manifest, batch_rows);
        let mut instance = plugin.instantiate().unwrap();
        group.bench_with_input(
            BenchmarkId::new("wasm", batch_rows),
            &batches,
            |b, batches| {
                b.iter(|| {
                    for (i, batch) in batches.iter().enumerate() {
                        instance.transform(&options, batch, i as u64).unwrap();
                    }
                })
            },
        );
    }
    let batches = source_batches(dir.path(), &plugin.manifest, 64 * 1024);
    let native_options = sdk::Options::new(options.clone());
    group.bench_with_input(
        BenchmarkId::new("native", 64 * 1024),
        &batches,
        |b, batches| {
            b.iter(|| {
                for batch in batches {
                    let input = native::to_sdk(batch);
                    // SAFETY: Arrow text, as the host sends (see `native::to_sdk`).
                    let input = unsafe { sdk::Input::from_host(&input) };
                    <ecommerce::Ecommerce as sdk::Plugin>::transform(&native_options, &input)
                        .unwrap();
                }
            })
        },
    );
    group.finish();

    // The CSV + Parquet writers on the interactions the plugin produced.
    let mut instance = plugin.instantiate().unwrap();
    let interactions: Vec<RecordBatch> = batches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            instance
                .transform(&options, b, i as u64)
                .unwrap()
                .datasets
                .remove(0)
        })
        .collect();
    let rows: usize = interactions.iter().map(|b| b.num_rows()).sum();
    let spec = &plugin.manifest.datasets[0];
    let mut group = c.benchmark_group("dataset_writer");
    group.throughput(Throughput::Elements(rows as u64));
    group.sample_size(10);
    // CSV alone, as the workers encode it (one reused buffer).
    let mut csv = Vec::new();
    group.bench_function("interactions_csv_rows", |b| {
        b.iter(|| {
            for batch in &interactions {
                csv.clear();
                encode_csv_rows(batch, &mut csv).unwrap();
            }
        })
    });
    group.bench_function("interactions_csv_parquet", |b| {
        b.iter(|| {
            let destination = LocalDir::open(dir.path().join("out")).unwrap();
            let mut writer = DatasetWriter::create(&destination, spec).unwrap();
            for batch in &interactions {
                writer.write(batch).unwrap();
            }
            writer.finish(&destination).unwrap().commit().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, boundary);
criterion_main!(benches);
