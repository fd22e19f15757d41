// {{name}}: a rechost domain plugin. It reads Snowplow media plays (the table
// `rechost sample media` writes) and emits one Personalize interaction per valid play; change
// the manifest and the transform to your domain.
//
// The transform works a column at a time (masks, selections): a JS loop per row is several
// times slower inside the component, whose JS engine is an interpreter.

import * as rp from "rechost-plugin";

export const MISSING_ID = "USER_ID or ITEM_ID is NULL or empty";

const MANIFEST = rp.manifest({
  name: "{{name}}",
  version: "0.1.0",
  description: "{{name}}: valid media plays as Watch interactions",
  domain: "VIDEO_ON_DEMAND",
  source: rp.source(
    "snowplow_media_player_base",
    [
      rp.column("user_identifier", "utf8"),
      rp.column("media_identifier", "utf8"),
      rp.column("start_tstamp", "timestamp"),
      rp.column("is_valid_play", "boolean"),
    ],
    "start_tstamp",
  ),
  datasets: [
    rp.dataset("recommendations_interactions", "interactions", [
      rp.column("USER_ID", "utf8", { nullable: false, role: "user-id" }),
      rp.column("ITEM_ID", "utf8", { nullable: false, role: "item-id" }),
      rp.column("TIMESTAMP", "int64", { nullable: false, role: "event-time" }),
      rp.column("EVENT_TYPE", "utf8", { nullable: false, role: "event-type" }),
    ]),
  ],
  recommenders: [rp.recommender("Most popular", 1000, { eventType: "Watch" })],
});

/** @type {import("rechost-plugin").Transform} */
function transform(input) {
  const users = input.utf8("user_identifier");
  const items = input.utf8("media_identifier");
  const start = input.timestamp("start_tstamp");
  const plays = input.boolean("is_valid_play").isTrue();
  const hasIds = users.nonEmpty().and(items.nonEmpty()); // neither NULL nor empty

  const drops = new rp.DropCounter().add(MISSING_ID, plays.andNot(hasIds));
  const kept = plays.and(hasIds).and(start.valid); // the host never passes a NULL time anyway
  return rp.output(
    rp.batch(
      users.select(kept),
      items.select(kept),
      start.select(kept).seconds(), // floored, also before 1970
      rp.constantUtf8("Watch", kept.count()),
    ),
    drops,
  );
}

export const plugin = rp.exportPlugin(MANIFEST, transform);
