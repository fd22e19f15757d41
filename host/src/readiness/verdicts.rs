//! The report's verdicts and warnings, from the statistics gathered during the run.

use std::collections::BTreeMap;

use super::limits::{self, Check, ImportFit};
use super::{
    DatasetCount, InteractionSummary, MAX_EVENT_TYPES, MIN_INTERACTIONS, MIN_USERS_WITH_TWO,
    RECOMMENDED_INTERACTIONS, RECOMMENDED_USERS, RecommenderVerdict, Verdict,
};
use crate::manifest::{DatasetKind, Manifest};

/// The statistics of a domain without interactions.
pub fn empty_summary() -> InteractionSummary {
    InteractionSummary {
        dataset: String::new(),
        interactions: 0,
        distinct_users: 0,
        users_with_at_least_2_interactions: 0,
        distinct_items: 0,
        per_event_type: BTreeMap::new(),
        min_timestamp: None,
        max_timestamp: None,
        per_day: Vec::new(),
        interactions_per_user: Vec::new(),
        users_with_1_interaction: 0,
        item_popularity: Default::default(),
    }
}

pub fn minimum(stats: &InteractionSummary, has_interactions: bool) -> Verdict {
    let mut problems = Vec::new();
    if !has_interactions {
        problems.push(
            "no interactions dataset is written (the plugin has none, or it is not exported)"
                .to_string(),
        );
    }
    if stats.interactions < MIN_INTERACTIONS {
        problems.push(format!(
            "{} interactions, Personalize needs at least {MIN_INTERACTIONS}",
            stats.interactions
        ));
    }
    let with_two = stats.users_with_at_least_2_interactions;
    if with_two < MIN_USERS_WITH_TWO {
        problems.push(format!(
            "{with_two} users with at least 2 interactions, Personalize needs at least {MIN_USERS_WITH_TWO}"
        ));
    }
    Verdict {
        met: problems.is_empty(),
        requirement: format!(
            ">= {MIN_INTERACTIONS} interactions and >= {MIN_USERS_WITH_TWO} users with >= 2 interactions"
        ),
        problems,
    }
}

pub fn recommended(stats: &InteractionSummary) -> Verdict {
    let mut problems = Vec::new();
    if stats.interactions < RECOMMENDED_INTERACTIONS {
        problems.push(format!(
            "{} interactions, {RECOMMENDED_INTERACTIONS} recommended",
            stats.interactions
        ));
    }
    if stats.distinct_users < RECOMMENDED_USERS {
        problems.push(format!(
            "{} users, {RECOMMENDED_USERS} recommended",
            stats.distinct_users
        ));
    }
    Verdict {
        met: problems.is_empty(),
        requirement: format!(
            ">= {RECOMMENDED_INTERACTIONS} interactions from >= {RECOMMENDED_USERS} users"
        ),
        problems,
    }
}

pub fn recommenders(
    manifest: &Manifest,
    stats: &InteractionSummary,
    has_items: bool,
) -> Vec<RecommenderVerdict> {
    (manifest.recommenders.iter())
        .map(|r| {
            let have = match &r.event_type {
                Some(t) => stats.per_event_type.get(t).copied().unwrap_or(0),
                None => stats.interactions,
            };
            let of = (r.event_type.as_ref()).map_or("interactions".to_string(), |t| {
                format!("`{t}` interactions")
            });
            let mut requirement = format!(">= {} {of}", r.min_interactions);
            if r.needs_items {
                requirement.push_str(" and an Items dataset");
            }
            RecommenderVerdict {
                name: r.name.clone(),
                met: have >= r.min_interactions && (!r.needs_items || has_items),
                requirement,
                have,
            }
        })
        .collect()
}

/// The row-level rules (id lengths, quotes, categorical lengths), one check each.
pub fn row_checks(violations: &BTreeMap<String, u64>) -> Vec<Check> {
    let rules = [
        format!("USER_ID longer than {} characters", limits::MAX_ID_CHARS),
        format!("ITEM_ID longer than {} characters", limits::MAX_ID_CHARS),
        "USER_ID containing a `\"`".to_string(),
        "ITEM_ID containing a `\"`".to_string(),
    ];
    rules
        .into_iter()
        .map(|rule| {
            let rows = violations.get(&rule).copied().unwrap_or(0);
            Check {
                rule: format!("no {rule}"),
                passed: rows == 0,
                detail: if rows == 0 {
                    String::new()
                } else {
                    format!("{rows} rows")
                },
            }
        })
        .collect()
}

pub fn import_limits(violations: &BTreeMap<String, u64>, checks: &[Check]) -> Verdict {
    let mut problems: Vec<String> = (violations.iter())
        .map(|(what, rows)| format!("{rows} rows with {what}"))
        .collect();
    // Row-level rules are already in `violations`; the rest come from the checks.
    let row_rules = row_checks(&BTreeMap::new());
    for check in checks.iter().filter(|c| !c.passed) {
        let is_row_rule = row_rules.iter().any(|r| r.rule == check.rule);
        let already = check.rule.contains("categorical values <=");
        if !is_row_rule && !already {
            problems.push(format!("{}: {}", check.rule, check.detail));
        }
    }
    Verdict {
        met: problems.is_empty(),
        requirement: format!(
            "ids <= {} characters without `\"`, categorical values <= {} characters, <= {MAX_EVENT_TYPES} event types (with metadata columns), metadata column counts",
            limits::MAX_ID_CHARS,
            limits::MAX_CATEGORICAL_CHARS
        ),
        problems,
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Observations a person deciding to train should see; none stops an import.
pub fn warnings(
    stats: &InteractionSummary,
    datasets: &[DatasetCount],
    fits: &[ImportFit],
) -> Vec<String> {
    let mut warnings = Vec::new();
    if stats.distinct_users > 0 {
        let single = stats.users_with_1_interaction;
        let share = single as f64 / stats.distinct_users as f64;
        if share >= 0.5 {
            warnings.push(format!(
                "{single} of {} users ({}) have a single interaction: they teach the model little",
                stats.distinct_users,
                percent(share)
            ));
        }
    }
    let popularity = &stats.item_popularity;
    if stats.distinct_items >= 100 && popularity.top_1_percent_share >= 0.5 {
        warnings.push(format!(
            "the top 1% of items have {} of all interactions: recommendations will lean on a few popular items",
            percent(popularity.top_1_percent_share)
        ));
    }
    for (event_type, &n) in &stats.per_event_type {
        if n < limits::MIN_INTERACTIONS_AFTER_FILTER {
            warnings.push(format!(
                "only {n} `{event_type}` interactions: a solution trained on `{event_type}` alone needs at least {}",
                limits::MIN_INTERACTIONS_AFTER_FILTER
            ));
        }
    }
    if stats.per_day.len() == 1 {
        warnings.push("all interactions fall on a single day".to_string());
    }
    if stats.distinct_items > limits::MAX_TRAINING_ITEMS {
        warnings.push(format!(
            "{} items: training considers at most {} ({} with the v2 recipes)",
            stats.distinct_items,
            limits::MAX_TRAINING_ITEMS,
            limits::MAX_TRAINING_ITEMS_V2
        ));
    }
    if stats.interactions > limits::MAX_TRAINING_INTERACTIONS {
        warnings.push(format!(
            "{} interactions: training considers the most recent {} (more with the v2 recipes)",
            stats.interactions,
            limits::MAX_TRAINING_INTERACTIONS
        ));
    }
    for d in datasets
        .iter()
        .filter(|d| d.kind == DatasetKind::Items && d.rows > limits::MAX_TRAINING_ITEMS)
    {
        warnings.push(format!(
            "{}: {} items, training considers at most {}",
            d.name,
            d.rows,
            limits::MAX_TRAINING_ITEMS
        ));
    }
    for fit in fits.iter().filter(|f| !f.full) {
        warnings.push(format!(
            "{}: {} bytes of CSV is more than one FULL import job takes; import it as: {}",
            fit.dataset,
            fit.csv_bytes,
            fit.modes()
        ));
    }
    warnings
}
