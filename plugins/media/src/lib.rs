//! Snowplow media player plays -> AWS Personalize VIDEO_ON_DEMAND interactions: every valid
//! play (`is_valid_play = TRUE`) becomes a `Watch` by `coalesce(user_id, user_identifier)`.

use rechost_plugin_sdk::{
    ColumnRole, ColumnSpecExt, DataType, DatasetKind, DatasetSpec, DropCounter, Input,
    Int64Builder, Manifest, Options, Plugin, Reduction, SourceSpec, TransformOutput, Utf8Builder,
    batch, column, recommender,
};

pub struct Media;

rechost_plugin_sdk::export_plugin!(Media);

// Source columns, in manifest order.
const USER_ID: usize = 0;
const USER_IDENTIFIER: usize = 1;
const MEDIA_IDENTIFIER: usize = 2;
const START_TSTAMP: usize = 3;
const IS_VALID_PLAY: usize = 4;

const MISSING_USER: &str = "USER_ID is NULL or empty";
const MISSING_ITEM: &str = "ITEM_ID is NULL or empty";

impl Plugin for Media {
    fn manifest() -> Manifest {
        use DataType::*;
        Manifest {
            name: "snowplow-media".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Snowplow media player plays to AWS Personalize VIDEO_ON_DEMAND \
                          interactions (valid plays as Watch events)"
                .into(),
            domain: "VIDEO_ON_DEMAND".into(),
            source: SourceSpec {
                table: "snowplow_media_player_base".into(),
                // Only the columns the rules read: the warehouse scans and sends no more (the
                // table's play_id, a UUID per row, is its largest column).
                columns: vec![
                    // Cast to string by the host whatever its warehouse type.
                    column("user_id", Utf8, true),
                    column("user_identifier", Utf8, true),
                    column("media_identifier", Utf8, true),
                    column("start_tstamp", Timestamp, true),
                    column("is_valid_play", Boolean, true),
                ],
                time_column: "start_tstamp".into(),
            },
            datasets: vec![DatasetSpec {
                name: "snowplow_recommendations_media_interactions".into(),
                kind: DatasetKind::Interactions,
                columns: vec![
                    column("USER_ID", Utf8, false).role(ColumnRole::UserId),
                    column("ITEM_ID", Utf8, false).role(ColumnRole::ItemId),
                    column("TIMESTAMP", Int64, false).role(ColumnRole::EventTime),
                    column("EVENT_TYPE", Utf8, false).role(ColumnRole::EventType),
                ],
                reduction: Reduction::Events,
            }],
            recommenders: vec![
                recommender("Because you watched X", 1000, Some("Watch"), false),
                recommender("Most popular", 1000, Some("Watch"), false),
                recommender("Trending now", 1000, None, false),
                recommender("More like X", 1000, None, true),
                recommender("Top picks for you", 1000, None, true),
            ],
            options: vec![],
        }
    }

    fn transform(_options: &Options, input: &Input<'_>) -> Result<TransformOutput, String> {
        let user_id = input.utf8(USER_ID)?;
        let user_identifier = input.utf8(USER_IDENTIFIER)?;
        let media_identifier = input.utf8(MEDIA_IDENTIFIER)?;
        let start_tstamp = input.timestamp(START_TSTAMP)?;
        let is_valid_play = input.boolean(IS_VALID_PLAY)?;

        let rows = input.rows();
        let mut kept = 0;
        // Output ids are input values: the input's bytes bound them, whatever their length.
        let user_bytes = user_id.value_bytes() + user_identifier.value_bytes();
        let mut users = Utf8Builder::with_capacity(rows, user_bytes);
        let mut items = Utf8Builder::with_capacity(rows, media_identifier.value_bytes());
        let mut timestamps = Int64Builder::with_capacity(rows);
        let mut event_types = Utf8Builder::with_capacity(rows, rows * 5);
        let mut dropped = DropCounter::default();

        for row in 0..rows {
            if is_valid_play.get(row) != Some(true) {
                continue;
            }
            let user = user_id.get(row).or_else(|| user_identifier.get(row));
            let Some(user) = user.filter(|u| !u.is_empty()) else {
                dropped.add(MISSING_USER);
                continue;
            };
            let Some(item) = media_identifier.get(row).filter(|i| !i.is_empty()) else {
                dropped.add(MISSING_ITEM);
                continue;
            };
            let Some(micros) = start_tstamp.get(row) else {
                continue; // the host's date window never passes a NULL time
            };
            kept += 1;
            users.push(Some(user));
            items.push(Some(item));
            timestamps.push(Some(micros.div_euclid(1_000_000)));
            event_types.push(Some("Watch"));
        }

        Ok(TransformOutput {
            datasets: vec![batch(
                kept,
                vec![
                    users.finish(),
                    items.finish(),
                    timestamps.finish(),
                    event_types.finish(),
                ],
            )],
            dropped: dropped.finish(),
        })
    }
}
