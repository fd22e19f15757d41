//! Where a run's datasets go (a local folder or an S3 prefix) and the progress shown while it
//! writes them.

use indicatif::{ProgressBar, ProgressStyle};

use rechost::run::Progress;
use rechost::sink::s3::S3Settings;
use rechost::sink::{Destination, LocalDir, S3Dir};

/// Where the datasets go.
pub enum Output {
    Local(LocalDir),
    S3(S3Dir),
}

impl Output {
    /// `out` (a folder or `s3://bucket/prefix`), locked for this run when local.
    pub fn open(
        out: &str,
        s3_endpoint: Option<String>,
        part_size_mib: u64,
    ) -> anyhow::Result<Self> {
        if out.starts_with("s3://") {
            Self::s3(out, s3_endpoint, part_size_mib)
        } else {
            Ok(Output::Local(LocalDir::open(out)?))
        }
    }

    /// The local output folder (never read back as input).
    pub fn local_root(&self) -> Option<&std::path::Path> {
        match self {
            Output::Local(dir) => Some(dir.root()),
            Output::S3(_) => None,
        }
    }

    pub fn s3(url: &str, endpoint: Option<String>, part_size_mib: u64) -> anyhow::Result<Self> {
        let settings = S3Settings {
            endpoint,
            part_size: (part_size_mib << 20) as usize,
        };
        Ok(Output::S3(S3Dir::connect(url, &settings)?))
    }

    pub fn destination(&self) -> &dyn Destination {
        match self {
            Output::Local(dir) => dir,
            Output::S3(dir) => dir,
        }
    }

    pub fn bytes_uploaded(&self) -> Option<u64> {
        match self {
            Output::Local(_) => None,
            Output::S3(dir) => Some(dir.bytes_uploaded()),
        }
    }
}

/// The progress bar: a spinner, then a bar once the source knows its row count.
pub fn progress_bar(hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {human_pos} rows  {per_sec}  {elapsed}  {msg}")
            .expect("valid template"),
    )
}

pub fn show_progress(bar: &ProgressBar, output: &Output, p: Progress) {
    if let Some(total) = p.rows_total.filter(|&t| bar.length() != Some(t)) {
        bar.set_length(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {human_pos}/{human_len} rows  {per_sec}  eta {eta}  {msg}",
            )
            .expect("valid template"),
        );
    }
    bar.set_position(p.rows_read);
    if let Some(bytes) = output.bytes_uploaded() {
        bar.set_message(format!("{} uploaded", indicatif::HumanBytes(bytes)));
    }
}
