"""{{name}}: a rechost domain plugin. It reads Snowplow media plays (the table
`rechost sample media` writes) and emits one Personalize interaction per valid play; change the
manifest and the transform to your domain.

The transform works a column at a time (masks, selections): a Python loop per row would be
several times slower inside the component.
"""

import rechost_plugin as rp

MISSING_ID = "USER_ID or ITEM_ID is NULL or empty"

MANIFEST = rp.manifest(
    name="{{name}}",
    version="0.1.0",
    description="{{name}}: valid media plays as Watch interactions",
    domain="VIDEO_ON_DEMAND",
    source=rp.source(
        "snowplow_media_player_base",
        [
            rp.column("user_identifier", "utf8"),
            rp.column("media_identifier", "utf8"),
            rp.column("start_tstamp", "timestamp"),
            rp.column("is_valid_play", "boolean"),
        ],
        time_column="start_tstamp",
    ),
    datasets=[
        rp.dataset(
            "recommendations_interactions",
            "interactions",
            [
                rp.column("USER_ID", "utf8", nullable=False, role="user-id"),
                rp.column("ITEM_ID", "utf8", nullable=False, role="item-id"),
                rp.column("TIMESTAMP", "int64", nullable=False, role="event-time"),
                rp.column("EVENT_TYPE", "utf8", nullable=False, role="event-type"),
            ],
        )
    ],
    recommenders=[rp.recommender("Most popular", 1000, event_type="Watch")],
)


def transform(input, options):
    users = input.utf8("user_identifier")
    items = input.utf8("media_identifier")
    start = input.timestamp("start_tstamp")
    plays = input.boolean("is_valid_play").true()
    has_ids = users.non_empty() & items.non_empty()  # neither NULL nor empty

    drops = rp.DropCounter()
    drops.add(MISSING_ID, plays & ~has_ids)
    kept = plays & has_ids & start.valid  # the host never passes a NULL time anyway
    return rp.output(
        rp.batch(
            users.select(kept),
            items.select(kept),
            start.select(kept).seconds(),  # floored, also before 1970
            rp.constant_utf8("Watch", kept.count()),
        ),
        dropped=drops,
    )


Plugin = rp.export(MANIFEST, transform)
