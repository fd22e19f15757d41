// Property tests: the column operations that work a run of rows at a time give what a plain
// row-by-row reading gives, on random columns and masks spanning several 32-row words.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";

import * as rp from "../src/index.js";

/** Few short values, so runs of NULL, empty and equal values are common. */
const text = fc.option(fc.constantFrom("", "a", "b", "é", "ab"), { nil: null });

function utf8(values) {
  const b = new rp.Utf8Builder();
  for (const v of values) b.push(v);
  return b.finish();
}

const columnsAndMask = fc.integer({ min: 0, max: 100 }).chain((rows) =>
  fc.tuple(
    fc.array(text, { minLength: rows, maxLength: rows }),
    fc.array(text, { minLength: rows, maxLength: rows }),
    fc.array(fc.boolean(), { minLength: rows, maxLength: rows }),
  ),
);

test("coalesce and select equal a row-by-row reading", () => {
  fc.assert(
    fc.property(columnsAndMask, ([a, b, keep]) => {
      const input = new rp.Input({ rows: a.length, columns: [utf8(a), utf8(b)] }, ["a", "b"]);
      const merged = input.utf8("a").coalesce(input.utf8("b"));
      const expected = a.map((x, i) => x ?? b[i]);
      assert.deepEqual(merged.values(), expected);
      const mask = rp.Mask.fromValues(keep);
      const picked = merged.select(mask);
      assert.deepEqual(picked.values(), expected.filter((_, i) => keep[i]));
      // The mask's runs are computed once and reused for a second column.
      assert.deepEqual(input.utf8("b").select(mask).values(), b.filter((_, i) => keep[i]));
      // What a plugin returns reads back the same.
      const back = new rp.Input({ rows: picked.rows, columns: [picked.finish()] }, ["p"]);
      assert.deepEqual(back.utf8(0).values(), picked.values());
    }),
    { numRuns: 300 },
  );
});

test("mask runs cover exactly the selected rows", () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { maxLength: 140 }), (keep) => {
      const { starts, ends } = rp.Mask.fromValues(keep).runs();
      const rows = [];
      for (let k = 0; k < starts.length; k++) {
        assert.ok(starts[k] < ends[k] && (k === 0 || ends[k - 1] < starts[k]));
        for (let row = starts[k]; row < ends[k]; row++) rows.push(row);
      }
      assert.deepEqual(rows, keep.flatMap((kept, i) => (kept ? [i] : [])));
    }),
    { numRuns: 500 },
  );
});

// Around the fast path's limit (±2^31 seconds), and anywhere in the int64 range.
const LIMIT = 2n ** 31n * 1_000_000n;
const micros = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.bigInt({ min: -LIMIT - 3_000_000n, max: -LIMIT + 3_000_000n }),
  fc.bigInt({ min: LIMIT - 3_000_000n, max: LIMIT + 3_000_000n }),
  fc.bigInt({ min: -16n * LIMIT, max: 16n * LIMIT }),
  fc.bigInt({ min: -5_000_000n, max: 5_000_000n }),
);

test("seconds() floors every int64 of microseconds", () => {
  const floor = (m) => m / 1_000_000n - (m % 1_000_000n < 0n ? 1n : 0n);
  fc.assert(
    fc.property(fc.array(micros, { maxLength: 40 }), (values) => {
      const b = new rp.TimestampBuilder();
      for (const m of values) b.push(m);
      const column = new rp.Input({ rows: values.length, columns: [b.finish()] }, ["t"]);
      const seconds = column.timestamp(0).seconds();
      assert.deepEqual(values.map((_, i) => seconds.getBigInt(i)), values.map(floor));
    }),
    { numRuns: 300 },
  );
});

test("constant strings: any sequence of row counts (the offsets are reused between calls)", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom("", "Watch", "é"), fc.nat(70))), (calls) => {
      for (const [value, rows] of calls) {
        const column = new rp.Input({ rows, columns: [rp.constantUtf8(value, rows)] }, ["c"]);
        assert.deepEqual(column.utf8(0).values(), Array(rows).fill(value));
      }
    }),
    { numRuns: 200 },
  );
});
