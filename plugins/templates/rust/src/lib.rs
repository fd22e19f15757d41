//! {{name}}: a rechost domain plugin. It reads Snowplow media plays (the table
//! `rechost sample media` writes) and emits one Personalize interaction per valid play; change
//! the manifest and the transform to your domain.

use rechost_plugin_sdk::{
    ColumnRole, ColumnSpecExt, DataType, DatasetKind, DatasetSpec, DropCounter, Input,
    Int64Builder, Manifest, Options, Plugin, Reduction, SourceSpec, TransformOutput, Utf8Builder,
    batch, column, recommender,
};

pub struct Domain;

rechost_plugin_sdk::export_plugin!(Domain);

// Source columns, in manifest order.
const USER_ID: usize = 0;
const MEDIA_IDENTIFIER: usize = 1;
const START_TSTAMP: usize = 2;
const IS_VALID_PLAY: usize = 3;

const MISSING_ID: &str = "USER_ID or ITEM_ID is NULL or empty";

impl Plugin for Domain {
    fn manifest() -> Manifest {
        use DataType::*;
        Manifest {
            name: "{{name}}".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "{{name}}: valid media plays as Watch interactions".into(),
            domain: "VIDEO_ON_DEMAND".into(),
            source: SourceSpec {
                table: "snowplow_media_player_base".into(),
                columns: vec![
                    column("user_identifier", Utf8, true),
                    column("media_identifier", Utf8, true),
                    column("start_tstamp", Timestamp, true),
                    column("is_valid_play", Boolean, true),
                ],
                time_column: "start_tstamp".into(),
            },
            datasets: vec![DatasetSpec {
                name: "recommendations_interactions".into(),
                kind: DatasetKind::Interactions,
                columns: vec![
                    column("USER_ID", Utf8, false).role(ColumnRole::UserId),
                    column("ITEM_ID", Utf8, false).role(ColumnRole::ItemId),
                    column("TIMESTAMP", Int64, false).role(ColumnRole::EventTime),
                    column("EVENT_TYPE", Utf8, false).role(ColumnRole::EventType),
                ],
                reduction: Reduction::Events,
            }],
            recommenders: vec![recommender("Most popular", 1000, Some("Watch"), false)],
            options: vec![],
        }
    }

    fn transform(_options: &Options, input: &Input<'_>) -> Result<TransformOutput, String> {
        let users = input.utf8(USER_ID)?;
        let items = input.utf8(MEDIA_IDENTIFIER)?;
        let start = input.timestamp(START_TSTAMP)?;
        let valid = input.boolean(IS_VALID_PLAY)?;

        let rows = input.rows();
        let mut kept = 0;
        // Output ids are input values: the input's bytes bound them, whatever their length.
        let mut out_users = Utf8Builder::with_capacity(rows, users.value_bytes());
        let mut out_items = Utf8Builder::with_capacity(rows, items.value_bytes());
        let mut out_times = Int64Builder::with_capacity(rows);
        let mut out_types = Utf8Builder::with_capacity(rows, rows * 5);
        let mut dropped = DropCounter::default();
        for row in 0..rows {
            if valid.get(row) != Some(true) {
                continue;
            }
            let user = users.get(row).filter(|u| !u.is_empty());
            let item = items.get(row).filter(|i| !i.is_empty());
            let (Some(user), Some(item)) = (user, item) else {
                dropped.add(MISSING_ID);
                continue;
            };
            let Some(micros) = start.get(row) else {
                continue; // the host's date window never passes a NULL time
            };
            kept += 1;
            out_users.push(Some(user));
            out_items.push(Some(item));
            out_times.push(Some(micros.div_euclid(1_000_000)));
            out_types.push(Some("Watch"));
        }
        let columns = vec![
            out_users.finish(),
            out_items.finish(),
            out_times.finish(),
            out_types.finish(),
        ];
        Ok(TransformOutput {
            datasets: vec![batch(kept, columns)],
            dropped: dropped.finish(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rechost_plugin_sdk::{Batch, BoolBuilder, TimestampBuilder};

    #[test]
    fn valid_plays_become_watch_interactions() {
        let mut users = Utf8Builder::default();
        let mut items = Utf8Builder::default();
        let mut times = TimestampBuilder::default();
        let mut valid = BoolBuilder::default();
        let rows = [
            (Some("u1"), Some("m1"), -1_500_000, Some(true)), // before 1970: floor
            (Some("u2"), Some("m2"), 1_000_000, Some(false)), // not a valid play
            (Some(""), Some("m3"), 2_000_000, Some(true)),    // empty user: dropped
            (Some("u4"), None, 3_000_000, Some(true)),        // NULL item: dropped
            (Some("u5"), Some("m5"), 4_000_000, None),        // NULL flag: not a play
        ];
        for (user, item, micros, play) in rows {
            users.push(user);
            items.push(item);
            times.push(Some(micros));
            valid.push(play);
        }
        let columns = vec![users.finish(), items.finish(), times.finish(), valid.finish()];
        let input = Batch { rows: 5, columns };
        let output = Domain::transform(&Options::default(), &Input::new(&input)).unwrap();

        let batch = &output.datasets[0];
        assert_eq!(batch.rows, 1);
        let out = Input::new(batch);
        assert_eq!(out.utf8(0).unwrap().get(0), Some("u1"));
        assert_eq!(out.utf8(1).unwrap().get(0), Some("m1"));
        assert_eq!(out.int64(2).unwrap().get(0), Some(-2));
        assert_eq!(out.utf8(3).unwrap().get(0), Some("Watch"));
        assert_eq!(output.dropped[0].rows, 2);
    }
}
