//! `readiness-<domain>.html`: the report for a person deciding whether to train. One
//! self-contained page (inline CSS and SVG, no script, nothing fetched), the verdict first.

use minijinja::Environment;
use serde::Serialize;

use super::charts::{self, ChartError, PALETTE};
use super::{Check, DatasetCount, ImportFit, ReadinessReport, RecommenderVerdict, Verdict};
use crate::window::DateWindow;

const TEMPLATE: &str = include_str!("report.html.j2");

/// What produced the datasets.
pub struct Provenance<'a> {
    pub plugin_name: &'a str,
    pub plugin_version: &'a str,
    pub plugin_sha256: &'a str,
    pub window: &'a DateWindow,
}

/// A comparison with a previous run: rows of `[what, previous, now, change]`.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub against: String,
    pub rows: Vec<[String; 4]>,
}

#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("cannot render the readiness page: {0}")]
    Template(#[from] minijinja::Error),
}

/// The key of the page beside the JSON report, e.g. `readiness-ecommerce.html`.
pub fn html_key(domain: &str) -> String {
    format!("readiness-{}.html", domain.to_ascii_lowercase())
}

/// Everything the template shows.
#[derive(Serialize)]
struct Page<'a> {
    domain: &'a str,
    ready: bool,
    headline: &'static str,
    summary: String,
    reasons: Vec<&'a String>,
    cards: Vec<Card>,
    recommenders: &'a [RecommenderVerdict],
    facts: String,
    charts: Vec<Chart>,
    dropped: Vec<(&'a String, &'a u64)>,
    warnings: &'a [String],
    checks: &'a [Check],
    import_fit: Vec<FitRow<'a>>,
    comparison: Option<&'a Comparison>,
    window_start: String,
    window_end: String,
    plugin_name: &'a str,
    plugin_version: &'a str,
    plugin_sha256: &'a str,
    datasets: &'a [DatasetCount],
}

#[derive(Serialize)]
struct FitRow<'a> {
    #[serde(flatten)]
    fit: &'a ImportFit,
    modes: String,
}

#[derive(Serialize)]
struct Card {
    title: &'static str,
    met: bool,
    state: &'static str,
    requirement: String,
}

#[derive(Serialize)]
struct Chart {
    id: &'static str,
    title: &'static str,
    note: String,
    svg: String,
    legend: Vec<Legend>,
}

#[derive(Serialize)]
struct Legend {
    name: String,
    colour: String,
}

fn card(title: &'static str, verdict: &Verdict) -> Card {
    Card {
        title,
        met: verdict.met,
        state: if verdict.met { "met" } else { "not met" },
        requirement: verdict.requirement.clone(),
    }
}

pub fn render(
    report: &ReadinessReport,
    provenance: &Provenance<'_>,
    comparison: Option<&Comparison>,
) -> Result<String, HtmlError> {
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)?;
    let (headline, summary) = headline(report);
    let reasons: Vec<&String> = (report.minimum.problems.iter())
        .chain(&report.import_limits.problems)
        .collect();
    let cards = vec![
        card("Minimum to train", &report.minimum),
        card("Import limits", &report.import_limits),
        card("Recommended volume", &report.recommended),
    ];
    let import_fit: Vec<FitRow> = (report.import_fit.iter())
        .map(|f| FitRow {
            fit: f,
            modes: f.modes(),
        })
        .collect();
    let page = Page {
        domain: &report.domain,
        ready: report.ready,
        headline,
        summary,
        reasons,
        cards,
        recommenders: &report.recommenders,
        facts: facts(report),
        charts: charts(report)?,
        dropped: report.dropped_rows.iter().collect(),
        warnings: &report.warnings,
        checks: &report.checks,
        import_fit,
        comparison,
        window_start: provenance.window.start.to_string(),
        window_end: provenance.window.end.to_string(),
        plugin_name: provenance.plugin_name,
        plugin_version: provenance.plugin_version,
        plugin_sha256: provenance.plugin_sha256,
        datasets: &report.datasets,
    };
    let page = (env.get_template("report.html")?).render(minijinja::value::Serde(&page))?;
    Ok(page)
}

/// The verdict in words: one headline, one sentence.
fn headline(report: &ReadinessReport) -> (&'static str, String) {
    let ready_recommenders = report.recommenders.iter().filter(|r| r.met).count();
    let recommenders = format!(
        "{ready_recommenders} of {} recommenders have the data they need",
        report.recommenders.len()
    );
    if !report.ready {
        let why = match (report.minimum.met, report.import_limits.met) {
            (false, false) => "too little data to train, and an import would fail",
            (false, true) => "too little data: Personalize would refuse to train",
            _ => "an import into Personalize would fail",
        };
        ("Not ready", format!("{why}; {recommenders}."))
    } else if !report.recommended.met {
        (
            "Ready, below the recommended volume",
            format!(
                "Personalize can import and train; results improve with more data; {recommenders}."
            ),
        )
    } else {
        (
            "Ready",
            format!("Personalize can import and train on these datasets; {recommenders}."),
        )
    }
}

fn facts(report: &ReadinessReport) -> String {
    let Some(i) = &report.interactions else {
        return "No interactions dataset is written (the plugin has none, or it is not exported)."
            .into();
    };
    let date = |t: Option<i64>| {
        t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or("-".to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
    };
    format!(
        "{} interactions from {} users ({} with at least 2, {} with 1) on {} items, {} to {} UTC.",
        i.interactions,
        i.distinct_users,
        i.users_with_at_least_2_interactions,
        i.users_with_1_interaction,
        i.distinct_items,
        date(i.min_timestamp),
        date(i.max_timestamp)
    )
}

fn charts(report: &ReadinessReport) -> Result<Vec<Chart>, ChartError> {
    let mut out = Vec::new();
    if let Some(i) = &report.interactions {
        let types: Vec<&String> = i.per_event_type.keys().collect();
        let colours = charts::type_colours(&types);
        let legend: Vec<Legend> = (colours.iter())
            .map(|(name, c)| Legend {
                name: name.clone(),
                colour: charts::hex(c),
            })
            .collect();
        let days = i.per_day.len();
        out.push(Chart {
            id: "days",
            title: "Interactions per day, by event type",
            note: format!("{days} days"),
            svg: charts::days(&i.per_day, &colours)?,
            legend,
        });
        out.push(Chart {
            id: "users",
            title: "Interactions per user",
            note: format!(
                "{} users have a single interaction (in red)",
                i.users_with_1_interaction
            ),
            svg: charts::users(&i.interactions_per_user)?,
            legend: Vec::new(),
        });
        let p = &i.item_popularity;
        out.push(Chart {
            id: "popularity",
            title: "Item popularity and the long tail",
            note: format!(
                "the top 1% of items have {:.0}% of interactions, the top 10% {:.0}%; {} items have a single interaction",
                p.top_1_percent_share * 100.0,
                p.top_10_percent_share * 100.0,
                p.items_with_1_interaction
            ),
            svg: charts::popularity(p)?,
            legend: Vec::new(),
        });
        let mix: Vec<(String, u64, _)> = (i.per_event_type.iter())
            .map(|(t, &n)| (t.clone(), n, colours[t]))
            .collect();
        out.push(Chart {
            id: "mix",
            title: "Event-type mix",
            note: format!("{} event types", mix.len()),
            svg: charts::labelled_bars("event-type mix", &mix)?,
            legend: Vec::new(),
        });
    }
    if report.dropped_rows.is_empty() {
        return Ok(out); // the section says so in words
    }
    let dropped: Vec<(String, u64, _)> = (report.dropped_rows.iter())
        .map(|(reason, &n)| (reason.clone(), n, PALETTE[9]))
        .collect();
    out.push(Chart {
        id: "dropped",
        title: "Rows dropped, by reason",
        note: format!("{} rows", dropped.iter().map(|d| d.1).sum::<u64>()),
        svg: charts::labelled_bars("rows dropped", &dropped)?,
        legend: Vec::new(),
    });
    Ok(out)
}
