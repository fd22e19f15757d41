//! A test-only plugin for hostile manifests. Every string of its manifest is a unique
//! 64-byte placeholder that is valid as it stands; a test replaces one placeholder in the
//! `.wasm` bytes with hostile text of the same length (newlines and `DROP TABLE`, quotes,
//! `../`, terminal escapes) and checks that the host refuses the plugin at load, naming the
//! field. Its transform copies `id` and `ts` (as epoch seconds) like `misbehave` with `mode=ok`.

use rechost_plugin_sdk::{
    DataType, DatasetKind, DatasetSpec, Input, Int64Builder, Manifest, OptionSpec, Options, Plugin,
    RecommenderSpec, Reduction, SourceSpec, TransformOutput, Utf8Builder, batch, column,
};

pub struct Hostile;

rechost_plugin_sdk::export_plugin!(Hostile);

/// The placeholders, one per manifest string (tests name them by their prefix).
pub const NAME: &str = "PH_NAME_________________________________________________________";
pub const VERSION: &str = "PH_VERSION______________________________________________________";
pub const DESCRIPTION: &str = "PH_DESCRIPTION__________________________________________________";
pub const DOMAIN: &str = "PH_DOMAIN_______________________________________________________";
pub const TABLE: &str = "PH_TABLE________________________________________________________";
pub const SOURCE_COLUMN: &str = "PH_SOURCE_COLUMN________________________________________________";
pub const DATASET: &str = "PH_DATASET______________________________________________________";
pub const OUTPUT_COLUMN: &str = "PH_OUTPUT_COLUMN________________________________________________";
pub const OPTION: &str = "PH_OPTION_______________________________________________________";
pub const OPTION_TEXT: &str = "PH_OPTION_TEXT__________________________________________________";
pub const RECOMMENDER: &str = "PH_RECOMMENDER__________________________________________________";
pub const EVENT_TYPE: &str = "PH_EVENT_TYPE___________________________________________________";

impl Plugin for Hostile {
    fn manifest() -> Manifest {
        Manifest {
            name: NAME.into(),
            version: VERSION.into(),
            description: DESCRIPTION.into(),
            domain: DOMAIN.into(),
            source: SourceSpec {
                table: TABLE.into(),
                columns: vec![
                    column(SOURCE_COLUMN, DataType::Utf8, true),
                    column("ts", DataType::Timestamp, true),
                ],
                time_column: "ts".into(),
            },
            datasets: vec![DatasetSpec {
                name: DATASET.into(),
                kind: DatasetKind::Interactions,
                columns: vec![
                    column(OUTPUT_COLUMN, DataType::Utf8, false),
                    column("SECONDS", DataType::Int64, true),
                ],
                reduction: Reduction::Events,
            }],
            recommenders: vec![RecommenderSpec {
                name: RECOMMENDER.into(),
                min_interactions: 1000,
                event_type: Some(EVENT_TYPE.into()),
                needs_items: false,
            }],
            options: vec![OptionSpec {
                name: OPTION.into(),
                description: OPTION_TEXT.into(),
                default_value: "x".into(),
            }],
        }
    }

    fn transform(_options: &Options, input: &Input<'_>) -> Result<TransformOutput, String> {
        let rows = input.rows();
        let ids = input.utf8(0)?;
        let ts = input.timestamp(1)?;
        let mut id_out = Utf8Builder::with_capacity(rows, rows * 8);
        let mut seconds = Int64Builder::with_capacity(rows);
        for row in 0..rows {
            id_out.push(Some(ids.get(row).unwrap_or("")));
            seconds.push(ts.get(row).map(|t| t.div_euclid(1_000_000)));
        }
        Ok(TransformOutput {
            datasets: vec![batch(rows, vec![id_out.finish(), seconds.finish()])],
            dropped: vec![],
        })
    }
}
