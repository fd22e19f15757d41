// Snowplow media player plays -> AWS Personalize VIDEO_ON_DEMAND interactions: the JavaScript
// port of plugins/media (same manifest, byte-identical datasets).
//
// Every step works on whole columns (masks; selections the host runs natively), never a
// function call per row: the JS engine inside a component is an interpreter.

import * as rp from "rechost-plugin";

const MISSING_USER = "USER_ID is NULL or empty";
const MISSING_ITEM = "ITEM_ID is NULL or empty";

const MANIFEST = rp.manifest({
  name: "snowplow-media",
  version: "0.1.0",
  description:
    "Snowplow media player plays to AWS Personalize VIDEO_ON_DEMAND interactions " +
    "(valid plays as Watch events)",
  domain: "VIDEO_ON_DEMAND",
  source: rp.source(
    "snowplow_media_player_base",
    [
      // Cast to string by the host whatever its warehouse type.
      rp.column("user_id", "utf8"),
      rp.column("user_identifier", "utf8"),
      rp.column("media_identifier", "utf8"),
      rp.column("start_tstamp", "timestamp"),
      rp.column("is_valid_play", "boolean"),
    ],
    "start_tstamp",
  ),
  datasets: [
    rp.dataset("snowplow_recommendations_media_interactions", "interactions", [
      rp.column("USER_ID", "utf8", { nullable: false, role: "user-id" }),
      rp.column("ITEM_ID", "utf8", { nullable: false, role: "item-id" }),
      rp.column("TIMESTAMP", "int64", { nullable: false, role: "event-time" }),
      rp.column("EVENT_TYPE", "utf8", { nullable: false, role: "event-type" }),
    ]),
  ],
  recommenders: [
    rp.recommender("Because you watched X", 1000, { eventType: "Watch" }),
    rp.recommender("Most popular", 1000, { eventType: "Watch" }),
    rp.recommender("Trending now", 1000),
    rp.recommender("More like X", 1000, { needsItems: true }),
    rp.recommender("Top picks for you", 1000, { needsItems: true }),
  ],
});

/** @type {import("rechost-plugin").Transform} */
function transform(input) {
  // USER_ID = coalesce(user_id, user_identifier)
  const users = input.utf8("user_id").coalesce(input.utf8("user_identifier"));
  const items = input.utf8("media_identifier");
  const start = input.timestamp("start_tstamp");
  const plays = input.boolean("is_valid_play").isTrue();
  const hasUser = users.nonEmpty();
  const hasItem = items.nonEmpty();

  const drops = new rp.DropCounter();
  drops.add(MISSING_USER, plays.andNot(hasUser));
  drops.add(MISSING_ITEM, plays.and(hasUser).andNot(hasItem));
  // The host's date window never passes a NULL time; such a row is skipped, not counted.
  const kept = plays.and(hasUser).and(hasItem).and(start.valid);
  return rp.output(
    rp.batch(
      users.select(kept),
      items.select(kept),
      start.select(kept).seconds(),
      rp.constantUtf8("Watch", kept.count()),
    ),
    drops,
  );
}

export const plugin = rp.exportPlugin(MANIFEST, transform);
