//! Deterministic synthetic Snowplow-shaped data (`rechost sample`), so anyone can try
//! rechost without a warehouse. The same seed, row count and dates give the same bytes.

mod columns;
mod generator;
mod shape;

use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use generator::Generator;
pub use shape::{IdShape, Shape};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Domain {
    /// snowplow_ecommerce_product_interactions
    Ecommerce,
    /// snowplow_media_player_base
    Media,
}

#[derive(Debug, Clone, Copy)]
pub struct SampleSpec {
    pub domain: Domain,
    pub rows: u64,
    pub seed: u64,
    /// Last day with events (UTC); events spread over `days` days ending there.
    pub end_date: NaiveDate,
    pub days: u32,
    /// Distinct users and items, id shapes, skew; the default is the classic sample.
    pub shape: Shape,
}

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("cannot write {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode {path}: {message}")]
    Encode { path: String, message: String },
    #[error("{path}: the output must end in .parquet or .csv")]
    UnknownFormat { path: String },
    #[error("sample shape: {knob} is {value}, expected {expected}")]
    Shape {
        knob: &'static str,
        value: String,
        expected: &'static str,
    },
}

const BATCH_ROWS: u64 = 64 * 1024;

// One writer per call lives on the stack: the variants' size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Writer {
    Parquet(ArrowWriter<File>),
    Csv(arrow_csv::Writer<BufWriter<File>>),
}

/// Writes `spec.rows` rows to `path` (.parquet or .csv); returns the rows written.
pub fn write(spec: &SampleSpec, path: &Path) -> Result<u64, SampleError> {
    spec.shape.check()?;
    let display = path.display().to_string();
    let csv = match path.extension().and_then(|e| e.to_str()) {
        Some("parquet") => false,
        Some("csv") => true,
        _ => return Err(SampleError::UnknownFormat { path: display }),
    };
    let io = |source| SampleError::Io {
        path: display.clone(),
        source,
    };
    let encode = |e: &dyn std::fmt::Display| SampleError::Encode {
        path: display.clone(),
        message: e.to_string(),
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut generator = Generator::new(spec, csv);
    let file = File::create(path).map_err(io)?;
    let mut writer = if csv {
        Writer::Csv(
            arrow_csv::WriterBuilder::new()
                .with_header(true)
                .build(BufWriter::new(file)),
        )
    } else {
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        Writer::Parquet(
            ArrowWriter::try_new(file, generator.columns.schema(), Some(properties))
                .map_err(|e| encode(&e))?,
        )
    };
    let mut written = 0;
    while written < spec.rows {
        let n = (spec.rows - written).min(BATCH_ROWS);
        let batch = generator.batch(n);
        match &mut writer {
            Writer::Parquet(w) => w.write(&batch).map_err(|e| encode(&e))?,
            Writer::Csv(w) => w.write(&batch).map_err(|e| encode(&e))?,
        }
        written += n;
    }
    match writer {
        Writer::Parquet(w) => {
            w.close().map_err(|e| encode(&e))?;
        }
        Writer::Csv(w) => {
            use std::io::Write;
            w.into_inner().flush().map_err(io)?;
        }
    }
    Ok(written)
}
