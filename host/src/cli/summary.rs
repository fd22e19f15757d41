//! The run summary as a person reads it.

use rechost::readiness::ReadinessReport;
use rechost::run::RunSummary;

/// The summary printed after a run (`--json` prints the structure instead).
pub fn describe(s: &RunSummary) -> String {
    let mut text = String::new();
    let mut line = |t: String| {
        text.push_str(&t);
        text.push('\n');
    };
    line(format!(
        "{} {} ({}), window {} to {}",
        s.plugin.name, s.plugin.version, s.plugin.domain, s.window.start, s.window.end
    ));
    let skipped = match s.rows_skipped {
        0 => String::new(),
        rows => format!(" ({rows} of them not read: their Parquet row groups lie outside it)"),
    };
    line(format!(
        "input      {}, {} rows read, {} outside the window{skipped}, {} transformed",
        s.source, s.rows_read, s.rows_outside_window, s.rows_transformed
    ));
    if s.dropped_rows.is_empty() {
        line("dropped    none".into());
    } else {
        for (i, (reason, rows)) in s.dropped_rows.iter().enumerate() {
            let label = if i == 0 { "dropped" } else { "" };
            line(format!("{label:<10} {rows} rows: {reason}"));
        }
    }
    line("datasets".into());
    let width = s.datasets.iter().map(|d| d.name.len()).max().unwrap_or(0);
    for d in &s.datasets {
        line(format!(
            "  {:<width$}  {:>10} rows  {}",
            d.name, d.rows_written, d.location
        ));
    }
    readiness_lines(&s.readiness, &mut line);
    line(format!("report     {}", s.readiness_location));
    line(format!(
        "           {}",
        s.readiness_location.trim_end_matches(".json").to_string() + ".html"
    ));
    if !s.plugin_log.is_empty() {
        line(format!("plugin output:\n{}", s.plugin_log.trim_end()));
    }
    line(format!("done in {:.2} s", s.elapsed_seconds));
    text
}

/// The readiness part of the summary: interactions, the verdict and why, the recommenders.
fn readiness_lines(r: &ReadinessReport, line: &mut impl FnMut(String)) {
    if let Some(i) = &r.interactions {
        let types: Vec<String> = i
            .per_event_type
            .iter()
            .map(|(t, n)| format!("{n} {t}"))
            .collect();
        line(format!(
            "interactions {} ({}) from {} users, {} with >= 2; {} items",
            i.interactions,
            types.join(", "),
            i.distinct_users,
            i.users_with_at_least_2_interactions,
            i.distinct_items
        ));
    }
    if r.ready {
        line("readiness  READY: Personalize can import and train on these datasets".into());
    } else {
        line("readiness  NOT READY: Personalize would refuse these datasets".into());
    }
    for p in r.minimum.problems.iter().chain(&r.import_limits.problems) {
        line(format!("           - {p}"));
    }
    for w in &r.warnings {
        line(format!("           warning: {w}"));
    }
    if r.ready && !r.recommended.met {
        line(format!(
            "           below the recommended {}",
            r.recommended.requirement
        ));
    }
    if !r.recommenders.is_empty() {
        line("recommenders".into());
        for rec in &r.recommenders {
            let mark = if rec.met { "ok " } else { "-- " };
            line(format!(
                "  {mark}{:<36} {} (have {})",
                rec.name, rec.requirement, rec.have
            ));
        }
    }
}
