//! Deterministic synthetic Snowplow-shaped data (`rechost sample`), so anyone can try
//! rechost without a warehouse. The same seed, row count and dates give the same bytes.

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, NaiveDate};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

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
}

const BATCH_ROWS: u64 = 64 * 1024;

const CATEGORIES: &[&str] = &[
    "Clothing/Men/Shirts",
    "Clothing/Women/Dresses",
    "Clothing/Accessories/Beanies",
    "Electronics/Audio/Headphones",
    "Electronics/Phones",
    "Home & Garden/Kitchen",
    "Sports/Outdoor/Camping",
    "Beanies",
    "Books",
    "product/category",
];

/// Picks an index in `0..n` skewed toward small values (a few popular users/items, a long tail).
fn skewed(rng: &mut fastrand::Rng, n: usize) -> usize {
    let x = rng.f64();
    ((x * x * x) * n as f64) as usize % n.max(1)
}

fn uuid(rng: &mut fastrand::Rng) -> String {
    let a = rng.u128(..);
    let hex = format!("{a:032x}");
    format!(
        "{}-{}-4{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        ["8", "9", "a", "b"][rng.usize(..4)],
        &hex[17..20],
        &hex[20..32]
    )
}

fn hex64(rng: &mut fastrand::Rng) -> String {
    format!("{:032x}{:032x}", rng.u128(..), rng.u128(..))
}

/// Column builders that write either Parquet types or the Snowplow CSV export's text forms.
enum Col {
    Text(StringBuilder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Time(TimestampMicrosecondBuilder),
}

struct Columns {
    names: Vec<&'static str>,
    cols: Vec<Col>,
}

impl Columns {
    fn new(csv: bool, spec: &[(&'static str, DataType)]) -> Self {
        let cols = spec
            .iter()
            .map(|(_, t)| match (csv, t) {
                (true, _) | (false, DataType::Utf8) => Col::Text(StringBuilder::new()),
                (false, DataType::Float64) => Col::Float(Float64Builder::new()),
                (false, DataType::Boolean) => Col::Bool(BooleanBuilder::new()),
                (false, _) => Col::Time(TimestampMicrosecondBuilder::new()),
            })
            .collect();
        Self {
            names: spec.iter().map(|(n, _)| *n).collect(),
            cols,
        }
    }

    fn text(&mut self, i: usize, v: Option<&str>) {
        if let Col::Text(b) = &mut self.cols[i] {
            b.append_option(v)
        }
    }

    fn float(&mut self, i: usize, v: Option<f64>) {
        match &mut self.cols[i] {
            Col::Float(b) => b.append_option(v),
            Col::Text(b) => b.append_option(v.map(|v| format!("{v}"))),
            _ => {}
        }
    }

    fn boolean(&mut self, i: usize, v: Option<bool>) {
        match &mut self.cols[i] {
            Col::Bool(b) => b.append_option(v),
            Col::Text(b) => b.append_option(v.map(|v| if v { "TRUE" } else { "FALSE" })),
            _ => {}
        }
    }

    fn time(&mut self, i: usize, micros: i64) {
        match &mut self.cols[i] {
            Col::Time(b) => b.append_value(micros),
            Col::Text(b) => {
                let t = DateTime::from_timestamp_micros(micros).expect("in range");
                b.append_value(t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
            }
            _ => {}
        }
    }

    fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .names
            .iter()
            .zip(&self.cols)
            .map(|(name, col)| {
                let t = match col {
                    Col::Text(_) => DataType::Utf8,
                    Col::Float(_) => DataType::Float64,
                    Col::Bool(_) => DataType::Boolean,
                    Col::Time(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
                };
                Field::new(*name, t, true)
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Col::Text(b) => Arc::new(b.finish()),
                    Col::Float(b) => Arc::new(b.finish()),
                    Col::Bool(b) => Arc::new(b.finish()),
                    Col::Time(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        RecordBatch::try_new(self.schema(), arrays).expect("builders follow the schema")
    }
}

// One writer per call lives on the stack: the variants' size difference does not matter.
#[allow(clippy::large_enum_variant)]
enum Writer {
    Parquet(ArrowWriter<File>),
    Csv(arrow_csv::Writer<BufWriter<File>>),
}

/// Writes `spec.rows` rows to `path` (.parquet or .csv); returns the rows written.
pub fn write(spec: &SampleSpec, path: &Path) -> Result<u64, SampleError> {
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

struct User {
    domain_userid: String,
    /// Logged-in id; `None` for guests.
    user_id: Option<String>,
}

struct Generator {
    domain: Domain,
    rng: fastrand::Rng,
    columns: Columns,
    users: Vec<User>,
    items: Vec<(String, Option<&'static str>, Option<f64>)>,
    first_micros: i64,
    span_micros: i64,
}

impl Generator {
    fn new(spec: &SampleSpec, csv: bool) -> Self {
        use DataType::*;
        let mut rng = fastrand::Rng::with_seed(spec.seed);
        let columns = match spec.domain {
            Domain::Ecommerce => Columns::new(
                csv,
                &[
                    ("event_id", Utf8),
                    ("domain_userid", Utf8),
                    ("ecommerce_user_id", Utf8),
                    ("derived_tstamp", Timestamp(TimeUnit::Microsecond, None)),
                    ("ecommerce_action_type", Utf8),
                    ("product_id", Utf8),
                    ("product_category", Utf8),
                    ("product_price", Float64),
                    ("is_product_view", Boolean),
                    ("is_product_transaction", Boolean),
                    ("ecommerce_user_is_guest", Boolean),
                ],
            ),
            Domain::Media => Columns::new(
                csv,
                &[
                    ("play_id", Utf8),
                    ("user_id", Utf8),
                    ("user_identifier", Utf8),
                    ("media_identifier", Utf8),
                    ("start_tstamp", Timestamp(TimeUnit::Microsecond, None)),
                    ("is_valid_play", Boolean),
                ],
            ),
        };
        let user_count = (spec.rows / 25).clamp(10, 2_000_000) as usize;
        let users = (0..user_count)
            .map(|i| User {
                domain_userid: hex64(&mut rng),
                user_id: (rng.u8(..100) < 60).then(|| format!("{}", 100_000 + i)),
            })
            .collect();
        let item_count = (spec.rows / 100).clamp(12, 200_000) as usize;
        let items = (0..item_count)
            .map(|i| {
                let category =
                    (rng.u8(..100) >= 3).then(|| CATEGORIES[rng.usize(..CATEGORIES.len())]);
                let price = (rng.u8(..100) >= 2).then(|| (rng.u32(100..50_000) as f64) / 100.0);
                match spec.domain {
                    Domain::Ecommerce => (format!("{}", 1000 + i), category, price),
                    Domain::Media => (format!("video-{:05}", i), category, price),
                }
            })
            .collect();
        let days = spec.days.max(1) as i64;
        let last_midnight = spec
            .end_date
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp_micros();
        let day = 86_400_000_000;
        Self {
            domain: spec.domain,
            rng,
            columns,
            users,
            items,
            first_micros: last_midnight - (days - 1) * day,
            span_micros: days * day,
        }
    }

    fn batch(&mut self, rows: u64) -> RecordBatch {
        for _ in 0..rows {
            match self.domain {
                Domain::Ecommerce => self.ecommerce_row(),
                Domain::Media => self.media_row(),
            }
        }
        self.columns.finish()
    }

    fn time(&mut self) -> i64 {
        // Millisecond precision, like Snowplow's derived_tstamp.
        self.first_micros + self.rng.i64(0..self.span_micros) / 1000 * 1000
    }

    fn ecommerce_row(&mut self) {
        let id = uuid(&mut self.rng);
        let user = &self.users[skewed(&mut self.rng, self.users.len())];
        let item = &self.items[skewed(&mut self.rng, self.items.len())];
        let roll = self.rng.u8(..100);
        let (action, view, transaction) = match roll {
            0..=64 => ("product_view", Some(true), Some(false)),
            65..=69 => ("transaction", Some(false), Some(true)),
            70..=79 => ("list_view", Some(false), None),
            80..=89 => ("add_to_cart", Some(false), Some(false)),
            _ => ("list_click", Some(false), Some(false)),
        };
        let guest = match self.rng.u8(..100) {
            0..=9 => None,
            _ => Some(user.user_id.is_none()),
        };
        let (domain_userid, user_id) = (user.domain_userid.clone(), user.user_id.clone());
        let (product_id, category, price) = item.clone();
        // A few broken rows, as real trackers produce: no product id.
        let product_id = (self.rng.u16(..1000) >= 3).then_some(product_id);
        let t = self.time();
        let c = &mut self.columns;
        c.text(0, Some(&id));
        c.text(1, Some(&domain_userid));
        c.text(2, user_id.as_deref());
        c.time(3, t);
        c.text(4, Some(action));
        c.text(5, product_id.as_deref());
        c.text(6, category);
        c.float(7, price);
        c.boolean(8, view);
        c.boolean(9, transaction);
        c.boolean(10, guest);
    }

    fn media_row(&mut self) {
        let id = uuid(&mut self.rng);
        let user = &self.users[skewed(&mut self.rng, self.users.len())];
        let item = &self.items[skewed(&mut self.rng, self.items.len())];
        let valid = match self.rng.u8(..100) {
            0..=79 => Some(true),
            80..=94 => Some(false),
            _ => None,
        };
        let (user_identifier, user_id) = (user.domain_userid.clone(), user.user_id.clone());
        // A few plays tracked without any user id.
        let (user_identifier, user_id) = match self.rng.u16(..1000) {
            0..=2 => (None, None),
            _ => (Some(user_identifier), user_id),
        };
        let media = item.0.clone();
        let t = self.time();
        let c = &mut self.columns;
        c.text(0, Some(&id));
        c.text(1, user_id.as_deref());
        c.text(2, user_identifier.as_deref());
        c.text(3, Some(&media));
        c.time(4, t);
        c.boolean(5, valid);
    }
}
