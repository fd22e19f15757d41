//! What the manifest must say for Personalize to use the datasets (the host's load check
//! already refused unsafe or inconsistent names).

use super::Finding;
use crate::manifest::{ColumnRole, DataType, DatasetKind, DatasetSpec, Manifest, Reduction};

pub(super) fn manifest_rules(manifest: &Manifest) -> Vec<Finding> {
    let mut findings = vec![Finding::pass(
        "manifest: names valid for every warehouse, keys and reductions consistent",
    )];
    let interactions: Vec<&DatasetSpec> = (manifest.datasets.iter())
        .filter(|d| d.kind == DatasetKind::Interactions)
        .collect();
    if interactions.is_empty() {
        findings.push(Finding::fail(
            "manifest: an interactions dataset",
            "no dataset has kind `interactions`",
            "Personalize trains on interactions: declare one dataset of kind interactions",
        ));
    }
    for dataset in &manifest.datasets {
        findings.push(dataset_rule(dataset));
    }
    let has_event_type = interactions
        .iter()
        .any(|d| role_column(d, ColumnRole::EventType).is_some());
    for recommender in &manifest.recommenders {
        let check = format!("manifest: recommender {}", recommender.name);
        if recommender.event_type.is_some() && !has_event_type {
            findings.push(Finding::fail(
                check,
                "it counts interactions of one event type, but no interactions column has the \
                 event-type role",
                "give the EVENT_TYPE column the event-type role",
            ));
        } else {
            findings.push(Finding::pass(check));
        }
    }
    findings
}

fn role_column(dataset: &DatasetSpec, role: ColumnRole) -> Option<&crate::manifest::ColumnSpec> {
    dataset.columns.iter().find(|c| c.role == Some(role))
}

fn dataset_rule(dataset: &DatasetSpec) -> Finding {
    let check = format!("manifest: dataset {}", dataset.name);
    let categorical_not_text =
        (dataset.columns.iter()).find(|c| c.categorical && c.data_type != DataType::Utf8);
    if let Some(column) = categorical_not_text {
        return Finding::fail(
            check,
            format!("column {} is categorical but not utf8", column.name),
            "Personalize's categorical fields are strings: make it utf8",
        );
    }
    let problem = match dataset.kind {
        DatasetKind::Interactions => interactions_problem(dataset),
        DatasetKind::Users => entity_problem(dataset, ColumnRole::UserId, "USER_ID"),
        DatasetKind::Items => entity_problem(dataset, ColumnRole::ItemId, "ITEM_ID"),
        DatasetKind::Other => None,
    };
    match problem {
        Some((problem, hint)) => Finding::fail(check, problem, hint),
        None => Finding::pass(check),
    }
}

fn interactions_problem(dataset: &DatasetSpec) -> Option<(String, &'static str)> {
    for (role, name) in [
        (ColumnRole::UserId, "user-id"),
        (ColumnRole::ItemId, "item-id"),
        (ColumnRole::EventTime, "event-time"),
    ] {
        if role_column(dataset, role).is_none() {
            return Some((
                format!("no column has the {name} role"),
                "an interactions dataset needs user-id, item-id and event-time columns \
                 (USER_ID, ITEM_ID, TIMESTAMP): readiness and Personalize read them by role",
            ));
        }
    }
    let time = role_column(dataset, ColumnRole::EventTime).expect("checked above");
    if time.data_type != DataType::Int64 {
        return Some((
            format!(
                "event-time column {} is {}",
                time.name,
                time.data_type.name()
            ),
            "Personalize's TIMESTAMP is whole seconds since the epoch: int64",
        ));
    }
    None
}

fn entity_problem(
    dataset: &DatasetSpec,
    role: ColumnRole,
    usual: &str,
) -> Option<(String, &'static str)> {
    let Reduction::Entity { key, .. } = &dataset.reduction else {
        return Some((
            "it is not reduced to one row per key".into(),
            "Personalize wants unique ids: declare an entity reduction keyed by the id column",
        ));
    };
    let key_has_role = (dataset.columns.iter()).any(|c| &c.name == key && c.role == Some(role));
    if !key_has_role {
        return Some((
            format!("its key {key} does not have the {} role", role.name()),
            if usual == "USER_ID" {
                "key a users dataset by its USER_ID column, with the user-id role"
            } else {
                "key an items dataset by its ITEM_ID column, with the item-id role"
            },
        ));
    }
    let metadata = (dataset.columns.iter()).filter(|c| c.name != *key).count();
    if metadata == 0 {
        return Some((
            "it has no metadata column".into(),
            "Personalize requires at least one categorical string or numeric metadata field \
             besides the id",
        ));
    }
    None
}
