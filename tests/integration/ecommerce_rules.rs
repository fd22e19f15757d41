//! The ecommerce dataset rules on hand-made rows, one per case: SQL three-valued logic, id coalescing and
//! dropping, the guest flag, floor of epoch seconds, and Personalize's CSV escaping.

use crate::harness::*;

const HEADER: &str = "event_id,domain_userid,ecommerce_user_id,product_id,product_category,product_price,derived_tstamp,is_product_view,is_product_transaction,ecommerce_user_is_guest";

fn run_rows(rows: &[&str]) -> (tempfile::TempDir, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.csv");
    std::fs::write(&input, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    let run = rechost([
        "run",
        &path_arg(&guests().ecommerce),
        "--input",
        &path_arg(&input),
        "--out",
        &path_arg(&dir.path().join("out")),
        "--start-date",
        "1969-12-31",
        "--end-date",
        "2024-12-31",
        "--json",
    ]);
    run.assert_ok();
    let summary = run.json();
    (dir, summary)
}

fn dataset(dir: &tempfile::TempDir, name: &str) -> Vec<Vec<String>> {
    read_csv(
        &dir.path()
            .join("out")
            .join(format!("snowplow_recommendations_ecommerce_{name}"))
            .join("personalize-dataset.csv"),
    )
}

#[test]
fn three_valued_logic_coalesce_and_drops() {
    let (dir, summary) = run_rows(&[
        // event, domain user, ecommerce user, product, category, price, time, view, transaction, guest
        "e1,d1,,p1,A/B,1.5,2024-03-02 10:00:00.000,TRUE,,", // TRUE OR NULL: View
        "e2,d2,,p2,,,2024-03-02 10:00:01.000,,TRUE,",       // NULL OR TRUE: Purchase
        "e3,d3,,p3,,,2024-03-02 10:00:02.000,FALSE,,",      // FALSE OR NULL: NULL, dropped
        "e4,d4,,p4,,,2024-03-02 10:00:03.000,,,",           // NULL OR NULL: dropped
        "e5,d5,u5,p5,,,2024-03-02 10:00:04.000,FALSE,TRUE,TRUE", // Purchase by u5 (guest flag set)
        "e6,d6,u6,p6,,,2024-03-02 10:00:05.000,TRUE,TRUE,", // both: View; u6 is no guest
        "e7,,,p7,,,2024-03-02 10:00:06.000,TRUE,FALSE,",    // no user id at all: dropped
        "e8,d8,,,,,2024-03-02 10:00:07.000,TRUE,FALSE,",    // no product id: dropped
        "e9,d9,,p9,,,1969-12-31 23:59:59.500,TRUE,FALSE,",  // before the epoch: floor
        r#"e10,d10,,"a""b\c",,,2024-03-02 10:00:08.000,TRUE,FALSE,"#, // quote and backslash
    ]);
    let interactions = dataset(&dir, "interactions");
    let want: Vec<Vec<String>> = [
        ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"],
        ["d1", "p1", "1709373600", "View"],
        ["d2", "p2", "1709373601", "Purchase"],
        ["u5", "p5", "1709373604", "Purchase"],
        ["u6", "p6", "1709373605", "View"],
        ["d9", "p9", "-1", "View"],
        ["d10", "a\"b\\c", "1709373608", "View"],
    ]
    .iter()
    .map(|r| r.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_same_rows(&interactions, &want);

    let raw = std::fs::read_to_string(
        dir.path()
            .join("out/snowplow_recommendations_ecommerce_interactions/personalize-dataset.csv"),
    )
    .unwrap();
    assert!(raw.contains(r#"d10,"a\"b\\c",1709373608,View"#), "{raw}");

    let users = dataset(&dir, "users");
    let guest = |u: &str| {
        users
            .iter()
            .find(|r| r[0] == u)
            .map(|r| r[1].clone())
            .unwrap()
    };
    assert_eq!(
        guest("d1"),
        "true",
        "no ecommerce user id and no flag: guest"
    );
    assert_eq!(guest("u5"), "true", "the flag wins");
    assert_eq!(
        guest("u6"),
        "false",
        "an ecommerce user id and no flag: not a guest"
    );

    let items = dataset(&dir, "items");
    let item = |i: &str| items.iter().find(|r| r[0] == i).cloned().unwrap();
    assert_eq!(item("p1"), ["p1", "1.5", "A|B"]);
    assert_eq!(
        item("p2"),
        ["p2", "", ""],
        "NULL price and category stay empty"
    );

    assert_eq!(summary["dropped_rows"]["USER_ID is NULL or empty"], 1);
    assert_eq!(summary["dropped_rows"]["ITEM_ID is NULL or empty"], 1);
    assert_eq!(summary["readiness"]["interactions"]["interactions"], 6);
}

#[test]
fn empty_string_ids_from_parquet_are_dropped_not_coalesced() {
    use arrow_array::{
        ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
    };
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ids.parquet");
    let text = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
    let batch = RecordBatch::try_from_iter([
        ("event_id", text(vec![Some("e1"), Some("e2")])),
        ("domain_userid", text(vec![Some("d1"), Some("d2")])),
        // '' is not NULL: coalesce keeps it, and an empty USER_ID is dropped.
        ("ecommerce_user_id", text(vec![Some(""), None])),
        ("product_id", text(vec![Some("p1"), Some("")])),
        ("product_category", text(vec![None, None])),
        (
            "product_price",
            Arc::new(Float64Array::from(vec![None, Some(2.0)])) as ArrayRef,
        ),
        (
            "derived_tstamp",
            Arc::new(TimestampMicrosecondArray::from(vec![
                1_709_373_600_000_000,
                1_709_373_600_000_000,
            ])) as ArrayRef,
        ),
        (
            "is_product_view",
            Arc::new(BooleanArray::from(vec![true, true])) as ArrayRef,
        ),
        (
            "is_product_transaction",
            Arc::new(BooleanArray::from(vec![false, false])) as ArrayRef,
        ),
        (
            "ecommerce_user_is_guest",
            Arc::new(BooleanArray::from(vec![None, None])) as ArrayRef,
        ),
    ])
    .unwrap();
    write_parquet(&path, &batch);
    let run = rechost(
        [
            "run",
            &path_arg(&guests().ecommerce),
            "--input",
            &path_arg(&path),
            "--out",
            &path_arg(&dir.path().join("out")),
            "--json",
        ]
        .into_iter()
        .chain(SAMPLE_WINDOW),
    );
    run.assert_ok();
    let summary = run.json();
    assert_eq!(summary["dropped_rows"]["USER_ID is NULL or empty"], 1);
    assert_eq!(summary["dropped_rows"]["ITEM_ID is NULL or empty"], 1);
    assert_eq!(summary["readiness"]["interactions"]["interactions"], 0);
}
