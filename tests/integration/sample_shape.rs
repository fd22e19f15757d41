//! `rechost sample`'s data-shape knobs: distinct users and items, id shapes, interaction share
//! and Zipf item popularity show in the file; the classic sample is unchanged.

use std::collections::{HashMap, HashSet};

use crate::harness::*;

fn shaped(dir: &std::path::Path, extra: &[&str]) -> Vec<Vec<String>> {
    let out = dir.join("shaped.csv");
    let args = [
        "sample",
        "ecommerce",
        "--rows",
        "20000",
        "--out",
        &path_arg(&out),
        "--end-date",
        "2024-03-10",
    ];
    rechost(args.iter().copied().chain(extra.iter().copied())).assert_ok();
    read_csv(&out)
}

#[test]
fn knobs_shape_users_items_ids_interactions_and_popularity() {
    let dir = tempfile::tempdir().unwrap();
    let rows = shaped(
        dir.path(),
        &[
            "--users",
            "300",
            "--user-ids",
            "hex64",
            "--logged-in",
            "0",
            "--items",
            "40",
            "--item-ids",
            "uuid",
            "--interactions",
            "50",
            "--item-zipf",
            "1.2",
        ],
    );
    let (header, rows) = (&rows[0], &rows[1..]);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (user, login, item, view, purchase) = (
        col("domain_userid"),
        col("ecommerce_user_id"),
        col("product_id"),
        col("is_product_view"),
        col("is_product_transaction"),
    );
    let users: HashSet<&str> = rows.iter().map(|r| r[user].as_str()).collect();
    assert!(
        users.len() <= 300 && users.len() > 250,
        "{} users",
        users.len()
    );
    assert!(
        users
            .iter()
            .all(|u| u.len() == 64 && u.bytes().all(|b| b.is_ascii_hexdigit()))
    );
    assert!(
        rows.iter().all(|r| r[login].is_empty()),
        "nobody is logged in"
    );

    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in rows.iter().filter(|r| !r[item].is_empty()) {
        *counts.entry(r[item].as_str()).or_default() += 1;
    }
    assert!(counts.len() <= 40);
    assert!(
        counts
            .keys()
            .all(|i| i.len() == 36 && i.matches('-').count() == 4)
    );
    // Zipf 1.2 over 40 items: the top item has 1 / H(40, 1.2) = 31% of the rows.
    let top = *counts.values().max().unwrap() as f64 / rows.len() as f64;
    assert!((0.28..0.34).contains(&top), "top item share {top}");

    let interactions = rows
        .iter()
        .filter(|r| r[view] == "TRUE" || r[purchase] == "TRUE")
        .count() as f64
        / rows.len() as f64;
    assert!((0.47..0.53).contains(&interactions), "{interactions}");
}

#[test]
fn numeric_ids_and_bad_knobs() {
    let dir = tempfile::tempdir().unwrap();
    let rows = shaped(
        dir.path(),
        &[
            "--user-ids",
            "numeric",
            "--logged-in",
            "0",
            "--item-ids",
            "numeric",
        ],
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[1].parse::<u64>().is_ok() && r[5].chars().all(|c| c.is_ascii_digit()))
    );
    let out = path_arg(&dir.path().join("bad.csv"));
    rechost([
        "sample",
        "ecommerce",
        "--rows",
        "10",
        "--out",
        &out,
        "--users",
        "0",
    ])
    .assert_failed_with(1, &["users is 0, expected at least 1"]);
    rechost([
        "sample",
        "ecommerce",
        "--rows",
        "10",
        "--out",
        &out,
        "--item-zipf=-1",
    ])
    .assert_failed_with(1, &["item Zipf exponent is -1"]);
}

#[test]
fn classic_sample_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let rows = shaped(dir.path(), &[]);
    // The first row of the classic sample (seed 42) before the shape knobs existed.
    assert_eq!(
        rows[1].join(","),
        "191ad49b-4188-49f9-a617-0698f7b848a9,\
         5cddd16de90eeb96312443a74e57c442a448b44cf665025e2dfe1c0899b77be4,100778,\
         2024-03-08 17:29:02.975,product_view,1067,Beanies,470.89,TRUE,FALSE,FALSE"
    );
}
