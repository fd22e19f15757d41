// The SDK's readers, masks and builders, run natively (the same code runs in the component).

import assert from "node:assert/strict";
import { test } from "node:test";

import * as rp from "../src/index.js";
import * as kernels from "../src/kernels/reference.js";

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
  assert.deepEqual(Array.from(rp.constantUtf8("", 2).values.val.offsets), Array(12).fill(0));
  assert.throws(() => new rp.Int64Builder().push(1.5), /int64 output row 0: 1.5 is not a safe integer/);
  assert.throws(() => rp.batch(watch, i), /different lengths: 5, 3/);
});

test("buffers are bytes: unaligned ones are read through a copy, outputs are views", () => {
  const ints = new rp.Int64Builder().push(-3).push(2 ** 40).push(7).finish();
  const floats = new rp.Float64Builder().push(0.5).push(-2).push(1e300).finish();
  const text = utf8(["ab", null, "é"]);
  assert.ok(ints.values.val instanceof Uint8Array && text.values.val.offsets instanceof Uint8Array);
  // Each buffer moved to an odd byte offset, as a host could hand it over.
  const shifted = (bytes) => new Uint8Array([9, ...bytes]).subarray(1);
  const input = new rp.Input({
    rows: 3,
    columns: [
      { values: { tag: "int64", val: shifted(ints.values.val) } },
      { values: { tag: "float64", val: shifted(floats.values.val) } },
      { validity: text.validity, values: { tag: "utf8", val: {
        offsets: shifted(text.values.val.offsets), data: shifted(text.values.val.data) } } },
    ],
  }, ["i", "f", "s"]);
  assert.deepEqual(input.int64("i").values(), [-3, 2 ** 40, 7]);
  assert.deepEqual(input.float64("f").values(), [0.5, -2, 1e300]);
  assert.deepEqual(input.utf8("s").values(), ["ab", null, "é"]);
  const odd = rp.Mask.fromValues([1, 0, 1]);
  assert.deepEqual(input.utf8("s").select(odd).values(), ["ab", "é"]);
  assert.deepEqual(input.int64("i").select(odd).values(), [-3, 7]);
  const bad = { values: { tag: "int64", val: new Uint8Array(12) } };
  assert.throws(() => new rp.Input({ rows: 1, columns: [bad] }).int64(0), /12 bytes, not a whole number of 8-byte/);
});

test("reference kernels refuse malformed arguments as the host does, naming them", () => {
  const offsets = (...o) => new Uint8Array(Int32Array.from(o).buffer);
  const data = new Uint8Array(3);
  assert.throws(() => kernels.filterUtf8({ offsets: offsets(0, 2, 1), data }, new Uint8Array(1)),
    /rechost kernel filter-utf8: values.offsets are negative or decreasing/);
  assert.throws(() => kernels.filterUtf8({ offsets: offsets(0, 4), data }, new Uint8Array(1)),
    /values.offsets reach byte 4 but the data has 3 bytes/);
  assert.throws(() => kernels.filterUtf8({ offsets: new Uint8Array(0), data }, new Uint8Array(1)),
    /values.offsets is empty/);
  assert.throws(() => kernels.filterBits(new Uint8Array(1), 9, new Uint8Array(2)),
    /filter-bits: bits has 1 bytes, 9 rows need 2/);
  assert.throws(() => kernels.filterFixed64(new Uint8Array(7), new Uint8Array(1)), /filter-fixed64: values has 7 bytes/);
  assert.throws(() => kernels.chooseUtf8(new Uint8Array(1), { offsets: offsets(0, 1), data },
    { offsets: offsets(0), data }), /choose-utf8: first has 1 rows, second 0/);
  assert.throws(() => kernels.floorDivide(new Uint8Array(8), 0n), /floor-divide: divisor is 0/);
  // Offsets need not start at 0; results' do.
  const picked = kernels.filterUtf8({ offsets: offsets(1, 2, 3), data: Uint8Array.from([7, 8, 9]) }, Uint8Array.of(2));
  assert.deepEqual([Array.from(new Int32Array(picked.offsets.slice().buffer)), Array.from(picked.data)], [[0, 1], [9]]);
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
