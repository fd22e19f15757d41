//! The end of a project run: how each domain ended, one table across domains (or JSON), and
//! the exit code, the worst domain's.

use serde::Serialize;
use std::io::Write;

use rechost::run::RunSummary;

/// How one domain ended.
#[derive(Serialize)]
pub struct DomainOutcome {
    pub domain: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<RunSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    // Ordered from best to worst: the run's exit code is the worst domain's.
    Ready,
    NotReady,
    Failed,
    Interrupted,
}

impl Status {
    pub fn exit_code(self, require_ready: bool) -> u8 {
        match self {
            Status::Ready => 0,
            Status::NotReady if require_ready => 3,
            Status::NotReady => 0,
            Status::Failed => 1,
            Status::Interrupted => 130,
        }
    }
}

/// The summary table across domains (or JSON), and every domain's error.
pub fn report(
    outcomes: &[DomainOutcome],
    out: &str,
    json: bool,
    quiet: bool,
    uploaded: Option<u64>,
) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(
            &mut stdout,
            &serde_json::json!({ "out": out, "domains": outcomes }),
        )?;
        writeln!(stdout)?;
    } else if !quiet {
        write!(stdout, "{}", table(outcomes))?;
        if let Some(bytes) = uploaded {
            writeln!(stdout, "uploaded {}", indicatif::HumanBytes(bytes))?;
        }
    }
    for outcome in outcomes {
        if let Some(error) = &outcome.error {
            eprintln!("error: {error}");
        }
    }
    Ok(())
}

fn table(outcomes: &[DomainOutcome]) -> String {
    let mut rows = vec![[
        "domain".to_string(),
        "status".into(),
        "dataset".into(),
        "rows".into(),
        "location".into(),
    ]];
    for o in outcomes {
        let status = match o.status {
            Status::Ready => "READY",
            Status::NotReady => "NOT READY",
            Status::Failed => "FAILED",
            Status::Interrupted => "INTERRUPTED",
        };
        let datasets = o.summary.iter().flat_map(|s| {
            let report = [s.readiness_location.clone()];
            (s.datasets.iter())
                .map(|d| {
                    (
                        d.name.clone(),
                        d.rows_written.to_string(),
                        d.location.clone(),
                    )
                })
                .chain(report.map(|l| ("readiness report".to_string(), String::new(), l)))
        });
        let mut first = true;
        for (dataset, rows_written, location) in datasets {
            let label = if first { status } else { "" };
            rows.push([
                o.domain.clone(),
                label.into(),
                dataset,
                rows_written,
                location,
            ]);
            first = false;
        }
        if first {
            rows.push([
                o.domain.clone(),
                status.into(),
                "-".into(),
                String::new(),
                String::new(),
            ]);
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in rows {
        let line = format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}
