"""Snowplow media player plays -> AWS Personalize VIDEO_ON_DEMAND interactions: the Python port
of plugins/media (same manifest, byte-identical datasets).

Every step works on whole columns (masks; selections, coalesce and seconds done by the host's
kernels), never a Python loop per row: that is what keeps it within a small factor of the Rust
plugin.
"""

import rechost_plugin as rp

MISSING_USER = "USER_ID is NULL or empty"
MISSING_ITEM = "ITEM_ID is NULL or empty"

MANIFEST = rp.manifest(
    name="snowplow-media",
    version="0.1.0",
    description="Snowplow media player plays to AWS Personalize VIDEO_ON_DEMAND interactions "
    "(valid plays as Watch events)",
    domain="VIDEO_ON_DEMAND",
    source=rp.source(
        "snowplow_media_player_base",
        [
            # Cast to string by the host whatever its warehouse type.
            rp.column("user_id", "utf8"),
            rp.column("user_identifier", "utf8"),
            rp.column("media_identifier", "utf8"),
            rp.column("start_tstamp", "timestamp"),
            rp.column("is_valid_play", "boolean"),
        ],
        time_column="start_tstamp",
    ),
    datasets=[
        rp.dataset(
            "snowplow_recommendations_media_interactions",
            "interactions",
            [
                rp.column("USER_ID", "utf8", nullable=False, role="user-id"),
                rp.column("ITEM_ID", "utf8", nullable=False, role="item-id"),
                rp.column("TIMESTAMP", "int64", nullable=False, role="event-time"),
                rp.column("EVENT_TYPE", "utf8", nullable=False, role="event-type"),
            ],
        )
    ],
    recommenders=[
        rp.recommender("Because you watched X", 1000, event_type="Watch"),
        rp.recommender("Most popular", 1000, event_type="Watch"),
        rp.recommender("Trending now", 1000),
        rp.recommender("More like X", 1000, needs_items=True),
        rp.recommender("Top picks for you", 1000, needs_items=True),
    ],
)


def transform(input, options):
    # USER_ID = coalesce(user_id, user_identifier)
    users = input.utf8("user_id").coalesce(input.utf8("user_identifier"))
    items = input.utf8("media_identifier")
    start = input.timestamp("start_tstamp")
    plays = input.boolean("is_valid_play").true()
    has_user = users.non_empty()
    has_item = items.non_empty()

    drops = rp.DropCounter()
    drops.add(MISSING_USER, plays & ~has_user)
    drops.add(MISSING_ITEM, plays & has_user & ~has_item)
    # The host's date window never passes a NULL time; such a row is skipped, not counted.
    kept = plays & has_user & has_item & start.valid
    return rp.output(
        rp.batch(
            users.select(kept),
            items.select(kept),
            start.select(kept).seconds(),
            rp.constant_utf8("Watch", kept.count()),
        ),
        dropped=drops,
    )


Plugin = rp.export(MANIFEST, transform)
