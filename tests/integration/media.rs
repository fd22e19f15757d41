//! The media plugin: valid plays become Watch interactions, checked against a
//! reading of the rules computed here from the same input.

use chrono::NaiveDateTime;

use crate::harness::*;

const INTERACTIONS: &str = "snowplow_recommendations_media_interactions";

#[test]
fn valid_plays_become_watch_interactions() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("plays.csv");
    sample("media", 5_000, &input);
    let out = dir.path().join("out");
    let run = rechost(
        [
            "run",
            &path_arg(&guests().media),
            "--input",
            &path_arg(&input),
            "--out",
            &path_arg(&out),
            "--json",
        ]
        .into_iter()
        .chain(SAMPLE_WINDOW),
    );
    run.assert_ok();

    // Expected rows straight from the input CSV: is_valid_play = TRUE, coalesce(user_id,
    // user_identifier), media_identifier, floor(epoch seconds), 'Watch'.
    let mut reader = csv::Reader::from_path(&input).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (user_id, user_identifier, media, start, valid) = (
        col("user_id"),
        col("user_identifier"),
        col("media_identifier"),
        col("start_tstamp"),
        col("is_valid_play"),
    );
    let mut want = vec![vec![
        "USER_ID".to_string(),
        "ITEM_ID".into(),
        "TIMESTAMP".into(),
        "EVENT_TYPE".into(),
    ]];
    let (mut invalid, mut without_user) = (0, 0u64);
    for record in reader.records() {
        let r = record.unwrap();
        if &r[valid] != "TRUE" {
            invalid += 1;
            continue;
        }
        let user = if r[user_id].is_empty() {
            &r[user_identifier]
        } else {
            &r[user_id]
        };
        if user.is_empty() {
            without_user += 1;
            continue;
        }
        let time = NaiveDateTime::parse_from_str(&r[start], "%Y-%m-%d %H:%M:%S%.f").unwrap();
        want.push(vec![
            user.to_string(),
            r[media].to_string(),
            time.and_utc().timestamp().to_string(),
            "Watch".into(),
        ]);
    }
    assert!(
        invalid > 0 && want.len() > 1000,
        "sample should mix valid and invalid plays"
    );
    let got = read_csv(&out.join(INTERACTIONS).join("personalize-dataset.csv"));
    assert_same_rows(&got, &want);

    let summary = run.json();
    assert!(
        without_user > 0,
        "sample should contain plays without a user"
    );
    assert_eq!(
        summary["dropped_rows"]["USER_ID is NULL or empty"],
        without_user
    );
    assert_eq!(summary["readiness"]["domain"], "VIDEO_ON_DEMAND");
    let recommenders = summary["readiness"]["recommenders"].as_array().unwrap();
    let more_like_x = recommenders
        .iter()
        .find(|r| r["name"] == "More like X")
        .unwrap();
    assert_eq!(
        more_like_x["met"], false,
        "needs an Items dataset the media plugin does not make"
    );
    let trending = recommenders
        .iter()
        .find(|r| r["name"] == "Trending now")
        .unwrap();
    assert_eq!(trending["met"], true);
    assert!(out.join("readiness-video_on_demand.json").exists());
}
