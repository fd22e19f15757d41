// The transform on a small sample batch, natively (the SDK is plain JS).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as rp from "rechost-plugin";
import { MISSING_ID, plugin } from "../src/plugin.js";

function column(Builder, values) {
  const builder = new Builder();
  for (const value of values) builder.push(value);
  return builder.finish();
}

test("valid plays become Watch interactions", () => {
  const input = rp.batchOf(
    5,
    column(rp.Utf8Builder, ["u1", "u2", "", "u4", "u5"]),
    column(rp.Utf8Builder, ["m1", "m2", "m3", null, "m5"]),
    column(rp.TimestampBuilder, [-1_500_000, 1_000_000, 2_000_000, 3_000_000, 4_000_000]),
    column(rp.BoolBuilder, [true, false, true, true, null]),
  );
  const output = plugin.transform([], input);

  const out = new rp.Input(output.datasets[0]);
  assert.equal(output.datasets[0].rows, 1);
  assert.deepEqual(out.utf8(0).values(), ["u1"]);
  assert.deepEqual(out.utf8(1).values(), ["m1"]);
  assert.deepEqual(out.int64(2).values(), [-2]); // floor, not BigInt truncation
  assert.deepEqual(out.utf8(3).values(), ["Watch"]);
  assert.deepEqual(output.dropped, [{ reason: MISSING_ID, rows: 2n }]);
});
