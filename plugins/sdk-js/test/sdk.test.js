// The SDK's readers, masks and builders, run natively (the same code runs in the component).

import assert from "node:assert/strict";
import { test } from "node:test";

import * as rp from "../src/index.js";

/** A WIT utf8 column of `values` (null = NULL). */
function utf8(values) {
  const b = new rp.Utf8Builder();
  for (const v of values) b.push(v);
  return b.finish();
}

function batchOf(...columns) {
  return { rows: columns.length ? rp.batch(...columns).rows : 0, columns };
}

test("utf8 reader: NULL vs empty, Unicode, selection and coalesce", () => {
  const a = utf8(["x", null, "", "çé", null, "z"]);
  const b = utf8(["A", "B", "C", null, null, "F"]);
  const input = new rp.Input(batchOf(a, b), ["a", "B"]);
  const ca = input.utf8("A");
  assert.deepEqual(ca.values(), ["x", null, "", "çé", null, "z"]);
  assert.equal(ca.get(3), "çé");
  assert.deepEqual([...Array(6).keys()].map((i) => ca.nonEmpty().get(i)), [true, false, false, true, false, true]);
  const merged = ca.coalesce(input.utf8("b"));
  assert.deepEqual(merged.values(), ["x", "B", "", "çé", null, "z"]);
  const picked = merged.select(rp.Mask.fromValues([1, 1, 0, 1, 1, 0]));
  assert.deepEqual(picked.values(), ["x", "B", "çé", null]);
  const round = new rp.Input(batchOf(picked.finish()), ["p"]).utf8(0);
  assert.deepEqual(round.values(), ["x", "B", "çé", null]);
});

test("timestamps floor to seconds before 1970 and beyond 2^53 microseconds", () => {
  const micros = [0n, -1n, -1_000_000n, -1_000_001n, 1_999_999n, -(2n ** 62n) - 7n, 2n ** 62n + 3n, 1_700_000_000_123_456n];
  const b = new rp.TimestampBuilder();
  for (const m of micros) b.push(m);
  b.push(null);
  const column = new rp.Input(batchOf(b.finish()), ["t"]).timestamp("t");
  const floor = (m) => (m / 1_000_000n) - (m % 1_000_000n < 0n ? 1n : 0n);
  const seconds = column.seconds();
  assert.deepEqual([...Array(micros.length).keys()].map((i) => seconds.getBigInt(i)), micros.map(floor));
  assert.equal(seconds.get(micros.length), null);
  assert.equal(column.get(2), -1_000_000);
});

test("booleans: TRUE, FALSE and NULL masks", () => {
  const b = new rp.BoolBuilder();
  for (const v of [true, false, null, true, ...Array(40).fill(false), true]) b.push(v);
  const col = new rp.Input(batchOf(b.finish()), ["f"]).boolean(0);
  assert.equal(col.rows, 45);
  assert.equal(col.isTrue().count(), 3);
  assert.equal(col.isFalse().count(), 41);
  assert.deepEqual(Array.from(col.isTrue().indices()), [0, 3, 44]);
  assert.deepEqual(col.select(col.valid).values().slice(0, 3), [true, false, true]);
});

test("masks: not() keeps rows past the end clear; indices of a full word", () => {
  const m = rp.Mask.none(33).not();
  assert.equal(m.count(), 33);
  assert.equal(m.indices().length, 33);
  assert.equal(m.and(rp.Mask.fromValues([...Array(33).keys()].map((i) => i % 2))).count(), 16);
  assert.throws(() => m.and(rp.Mask.all(32)), /masks of 33 and 32 rows/);
});

test("builders: int64 and float64 with NULLs, constant strings, bad values named", () => {
  const i = new rp.Int64Builder().push(-5).push(null).push(2 ** 40).finish();
  const col = new rp.Input(batchOf(i), ["i"]).int64(0);
  assert.deepEqual(col.values(), [-5, null, 2 ** 40]);
  const f = new rp.Float64Builder().push(1.5).push(null).finish();
  assert.deepEqual(new rp.Input(batchOf(f), ["f"]).float64(0).values(), [1.5, null]);
  const watch = rp.constantUtf8("Watch", 5);
  assert.deepEqual(new rp.Input(batchOf(watch), ["w"]).utf8(0).values(), Array(5).fill("Watch"));
  assert.deepEqual(Array.from(rp.constantUtf8("", 2).values.val.offsets), [0, 0, 0]);
  assert.throws(() => new rp.Int64Builder().push(1.5), /int64 output row 0: 1.5 is not a safe integer/);
  assert.throws(() => rp.batch(watch, i), /different lengths: 5, 3/);
});

test("exportPlugin: errors become one-line results, column lookups name the columns", () => {
  const manifest = rp.manifest({
    name: "t", version: "0.1.0", domain: "TEST",
    source: rp.source("tbl", [rp.column("a", "utf8"), rp.column("ts", "timestamp")], "ts"),
    datasets: [rp.dataset("d", "other", [rp.column("A", "utf8")])],
  });
  const plugin = rp.exportPlugin(manifest, (input) => input.utf8("missing"));
  assert.equal(plugin.describe(), manifest);
  assert.throws(
    () => plugin.transform([], batchOf(utf8(["x"]), utf8(["y"]))),
    (e) => e.payload.startsWith('Error: input has no column "missing" (source columns: a, ts)'),
  );
  assert.throws(() => rp.column("x", "text"), /data type "text" is not one of: utf8, int64/);
  assert.throws(() => rp.manifest({ ...manifest, domain: "A B" }), /domain "A B" must be letters/);
});
