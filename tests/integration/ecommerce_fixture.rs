//! The ecommerce plugin on real Snowplow rows (`../shared/fixtures`), checked against an
//! independent reading of the dataset rules computed here from the raw CSV, and against the
//! fixture's reference numbers (395 interactions: 378 View, 17 Purchase; 19 users, 18 with
//! two or more; 6 items).

use arrow_array::cast::AsArray;
use chrono::NaiveDateTime;
use std::collections::{BTreeMap, HashMap};

use crate::harness::*;

const FIXTURE: &str = "snowplow_ecommerce_product_interactions.csv";
const INTERACTIONS: &str = "snowplow_recommendations_ecommerce_interactions";
const USERS: &str = "snowplow_recommendations_ecommerce_users";
const ITEMS: &str = "snowplow_recommendations_ecommerce_items";

/// A fixture row with SQL NULL semantics (empty = NULL).
struct Row(HashMap<String, String>);

impl Row {
    fn get(&self, column: &str) -> Option<&str> {
        self.0
            .get(column)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn flag(&self, column: &str) -> Option<bool> {
        self.get(column).map(|v| match v {
            "TRUE" => true,
            "FALSE" => false,
            other => panic!("unexpected boolean {other:?}"),
        })
    }

    fn time(&self) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(self.get("derived_tstamp").unwrap(), "%Y-%m-%d %H:%M:%S%.f")
            .unwrap()
    }
}

struct Expected {
    interactions: Vec<Vec<String>>,
    users: Vec<Vec<String>>,
    items: Vec<(String, Option<f64>, Option<String>)>,
}

/// What "latest" compares: event time, then event id.
type Order = (NaiveDateTime, Option<String>);
/// PRICE and CATEGORY_L1.
type ItemAttributes = (Option<f64>, Option<String>);

/// The dataset rules, written directly over the CSV rows.
fn expected(path: &std::path::Path) -> Expected {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<Row> = reader
        .records()
        .map(|r| {
            Row(headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect())
        })
        .collect();
    let mut interactions = Vec::new();
    let mut users: BTreeMap<String, (Order, String)> = BTreeMap::new();
    let mut items: BTreeMap<String, (Order, ItemAttributes)> = BTreeMap::new();
    for row in &rows {
        let (view, transaction) = (
            row.flag("is_product_view"),
            row.flag("is_product_transaction"),
        );
        if view != Some(true) && transaction != Some(true) {
            continue;
        }
        let Some(user) = row.get("ecommerce_user_id").or(row.get("domain_userid")) else {
            continue;
        };
        let Some(item) = row.get("product_id") else {
            continue;
        };
        let time = row.time();
        interactions.push(vec![
            user.to_string(),
            item.to_string(),
            time.and_utc().timestamp().to_string(),
            if view == Some(true) {
                "View"
            } else {
                "Purchase"
            }
            .to_string(),
        ]);
        let order = (time, row.get("event_id").map(str::to_string));
        let guest = row
            .flag("ecommerce_user_is_guest")
            .unwrap_or(row.get("ecommerce_user_id").is_none());
        let guest = if guest { "true" } else { "false" }.to_string();
        if users.get(user).is_none_or(|(o, _)| order > *o) {
            users.insert(user.to_string(), (order.clone(), guest));
        }
        let attributes = (
            row.get("product_price").map(|p| p.parse().unwrap()),
            row.get("product_category").map(|c| c.replace('/', "|")),
        );
        if items.get(item).is_none_or(|(o, _)| order > *o) {
            items.insert(item.to_string(), (order, attributes));
        }
    }
    Expected {
        interactions,
        users: users.into_iter().map(|(u, (_, g))| vec![u, g]).collect(),
        items: items
            .into_iter()
            .map(|(i, (_, (p, c)))| (i, p, c))
            .collect(),
    }
}

#[test]
fn fixture_produces_the_spec_datasets() {
    let Some(fixture) = shared_fixture(FIXTURE) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let run = rechost([
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(&fixture),
        "--out",
        &path_arg(out.path()),
        "--start-date",
        "2022-01-01",
        "--end-date",
        "2022-12-31",
        "--json",
    ]);
    run.assert_ok();
    let summary = run.json();
    let want = expected(&fixture);

    // Interactions: every kept row, in input order.
    let interactions = read_csv(
        &out.path()
            .join(INTERACTIONS)
            .join("personalize-dataset.csv"),
    );
    assert_eq!(
        interactions[0],
        ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"]
    );
    assert_eq!(interactions[1..], want.interactions[..]);

    // Users: one row per user, latest attributes, sorted by id.
    let users = read_csv(&out.path().join(USERS).join("personalize-dataset.csv"));
    assert_eq!(users[0], ["USER_ID", "ECOMMERCE_USER_IS_GUEST"]);
    assert_eq!(users[1..], want.users[..]);

    // Items: one row per item; prices compared as numbers.
    let items = read_csv(&out.path().join(ITEMS).join("personalize-dataset.csv"));
    assert_eq!(items[0], ["ITEM_ID", "PRICE", "CATEGORY_L1"]);
    let got: Vec<(String, Option<f64>, Option<String>)> = items[1..]
        .iter()
        .map(|r| {
            let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
            (
                r[0].clone(),
                opt(&r[1]).map(|p| p.parse().unwrap()),
                opt(&r[2]),
            )
        })
        .collect();
    assert_eq!(got, want.items);

    // The fixture's reference numbers.
    assert_eq!(want.interactions.len(), 395);
    let count = |t: &str| interactions[1..].iter().filter(|r| r[3] == t).count();
    assert_eq!((count("View"), count("Purchase")), (378, 17));
    assert_eq!(users.len() - 1, 19);
    assert_eq!(items.len() - 1, 6);
    assert!(
        got.iter()
            .any(|i| i.2.as_deref() == Some("product|category"))
    );

    let readiness = &summary["readiness"];
    assert_eq!(readiness["interactions"]["interactions"], 395);
    assert_eq!(readiness["interactions"]["distinct_users"], 19);
    assert_eq!(
        readiness["interactions"]["users_with_at_least_2_interactions"],
        18
    );
    assert_eq!(readiness["interactions"]["per_event_type"]["View"], 378);
    assert_eq!(readiness["interactions"]["per_event_type"]["Purchase"], 17);
    assert_eq!(readiness["ready"], false);
    assert_eq!(readiness["minimum"]["met"], false);
    let problems = readiness["minimum"]["problems"].to_string();
    assert!(problems.contains("395 interactions"), "{problems}");

    // The report on disk says the same.
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join("readiness-ecommerce.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["ready"], false);
    assert_eq!(report["interactions"]["interactions"], 395);
    assert_eq!(report["plugin"]["name"], "snowplow-ecommerce");

    // Parquet holds the same rows with proper types.
    for (dataset, csv_rows) in [
        (INTERACTIONS, &interactions),
        (USERS, &users),
        (ITEMS, &items),
    ] {
        let batches = read_parquet(&out.path().join(dataset).join("personalize-dataset.parquet"));
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, csv_rows.len() - 1, "{dataset}");
        let first: Vec<String> = batches
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        let csv_first: Vec<String> = csv_rows[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(first, csv_first, "{dataset}");
    }
    let schema = read_parquet(
        &out.path()
            .join(INTERACTIONS)
            .join("personalize-dataset.parquet"),
    )[0]
    .schema();
    assert_eq!(schema.field(2).data_type(), &arrow_schema::DataType::Int64);
    let schema =
        read_parquet(&out.path().join(ITEMS).join("personalize-dataset.parquet"))[0].schema();
    assert_eq!(
        schema.field(1).data_type(),
        &arrow_schema::DataType::Float64
    );

    // Avro schemas as Personalize wants them.
    let avsc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join(USERS).join("schema.avsc")).unwrap())
            .unwrap();
    assert_eq!(avsc["name"], "Users");
    assert_eq!(avsc["namespace"], "com.amazonaws.personalize.schema");
    assert_eq!(avsc["fields"][1]["categorical"], true);
    assert_eq!(avsc["fields"][1]["type"], "string");
    let avsc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join(ITEMS).join("schema.avsc")).unwrap())
            .unwrap();
    assert_eq!(
        avsc["fields"][2],
        serde_json::json!({"name": "CATEGORY_L1", "type": ["null", "string"], "categorical": true})
    );
}

#[test]
fn category_separator_is_an_option() {
    let Some(fixture) = shared_fixture(FIXTURE) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    rechost([
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(&fixture),
        "--out",
        &path_arg(out.path()),
        "--start-date",
        "2022-01-01",
        "--end-date",
        "2022-12-31",
        "--option",
        "category-separator=e",
        "--quiet",
    ])
    .assert_ok();
    let items = read_csv(&out.path().join(ITEMS).join("personalize-dataset.csv"));
    let categories: Vec<&str> = items[1..].iter().map(|r| r[2].as_str()).collect();
    assert!(categories.contains(&"B|ani|s"), "{categories:?}");
    assert!(categories.contains(&"product/cat|gory"), "{categories:?}");
}

#[test]
fn window_excluding_every_row_writes_empty_datasets() {
    let Some(fixture) = shared_fixture(FIXTURE) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let run = rechost([
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(&fixture),
        "--out",
        &path_arg(out.path()),
        "--start-date",
        "2030-01-01",
        "--end-date",
        "2030-01-31",
        "--json",
    ]);
    run.assert_ok();
    let summary = run.json();
    assert_eq!(summary["rows_read"], 928);
    assert_eq!(summary["rows_outside_window"], 928);
    let interactions = read_csv(
        &out.path()
            .join(INTERACTIONS)
            .join("personalize-dataset.csv"),
    );
    assert_eq!(
        interactions,
        vec![vec!["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"]]
    );
}
