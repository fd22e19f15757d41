// Property tests: the kernels and the column operations built on them give what a plain
// row-by-row reading gives, on random columns and masks spanning several 32-row words.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";

import * as rp from "../src/index.js";
import * as kernels from "../src/kernels/reference.js";

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
      // The same mask selects from a second column.
      assert.deepEqual(input.utf8("b").select(mask).values(), b.filter((_, i) => keep[i]));
      // What a plugin returns reads back the same.
      const back = new rp.Input({ rows: picked.rows, columns: [picked.finish()] }, ["p"]);
      assert.deepEqual(back.utf8(0).values(), picked.values());
    }),
    { numRuns: 300 },
  );
});

// The kernels the SDK calls (the host's inside a component, these under node), each against a
// reading of its arguments one row at a time.

const bitsOf = (flags) => rp.Mask.fromValues(flags).toBitmap();
const stringsOf = (values) => utf8(values).values.val;
const rowsOfStrings = ({ offsets, data }) => {
  const ends = new Int32Array(offsets.slice().buffer);
  return [...Array(ends.length - 1).keys()].map((i) => new TextDecoder().decode(data.subarray(ends[i], ends[i + 1])));
};
const int64s = fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 100 });

test("reference kernels: filter and choose equal a row-by-row reading", () => {
  fc.assert(
    fc.property(columnsAndMask, int64s, ([a, b, keep], numbers) => {
      const A = a.map((x) => x ?? ""), B = b.map((x) => x ?? "");
      const kept = (values) => values.filter((_, i) => keep[i]);
      assert.deepEqual(rowsOfStrings(kernels.filterUtf8(stringsOf(A), bitsOf(keep))), kept(A));
      const pick = a.map((x) => x !== null);
      const chosen = kernels.chooseUtf8(bitsOf(pick), stringsOf(A), stringsOf(B));
      assert.deepEqual(rowsOfStrings(chosen), A.map((x, i) => (pick[i] ? x : B[i])));
      const bits = kernels.filterBits(bitsOf(pick), a.length, bitsOf(keep));
      assert.deepEqual(bits, bitsOf(kept(pick)));
      const flags = numbers.map((n) => n % 3n === 0n);
      const fixed = kernels.filterFixed64(new Uint8Array(BigInt64Array.from(numbers).buffer), bitsOf(flags));
      assert.deepEqual([...new BigInt64Array(fixed.buffer)], numbers.filter((_, i) => flags[i]));
    }),
    { numRuns: 300 },
  );
});

test("select of every column type equals a row-by-row reading, validity included", () => {
  const row = fc.record({
    i: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
    f: fc.option(fc.double({ noNaN: true }), { nil: null }),
    b: fc.option(fc.boolean(), { nil: null }),
    keep: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(row, { maxLength: 100 }), (rows) => {
      const build = (Builder, key) => {
        const builder = new Builder();
        for (const r of rows) builder.push(r[key]);
        return builder.finish();
      };
      const input = new rp.Input({
        rows: rows.length,
        columns: [build(rp.Int64Builder, "i"), build(rp.TimestampBuilder, "i"),
          build(rp.Float64Builder, "f"), build(rp.BoolBuilder, "b")],
      }, ["i", "t", "f", "b"]);
      const mask = rp.Mask.fromValues(rows.map((r) => r.keep));
      const kept = rows.filter((r) => r.keep);
      const i = input.int64("i").select(mask);
      assert.deepEqual([...Array(i.rows).keys()].map((k) => i.getBigInt(k)), kept.map((r) => r.i));
      const t = input.timestamp("t").select(mask);
      assert.ok(t instanceof rp.TimestampColumn);
      assert.deepEqual([...Array(t.rows).keys()].map((k) => t.getBigInt(k)), kept.map((r) => r.i));
      assert.deepEqual(input.float64("f").select(mask).values(), kept.map((r) => r.f));
      assert.deepEqual(input.boolean("b").select(mask).values(), kept.map((r) => r.b));
      // A selection without NULLs carries no validity bitmap.
      assert.equal(input.boolean("b").select(input.boolean("b").valid).validity, undefined);
    }),
    { numRuns: 300 },
  );
});

// Around ±2^31 seconds, and anywhere in the int64 range.
const LIMIT = 2n ** 31n * 1_000_000n;
const micros = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.bigInt({ min: -LIMIT - 3_000_000n, max: -LIMIT + 3_000_000n }),
  fc.bigInt({ min: LIMIT - 3_000_000n, max: LIMIT + 3_000_000n }),
  fc.bigInt({ min: -16n * LIMIT, max: 16n * LIMIT }),
  fc.bigInt({ min: -5_000_000n, max: 5_000_000n }),
);

test("seconds() floors every int64 of microseconds", () => {
  // Floor as the Euclidean quotient: subtract the non-negative remainder, then divide exactly.
  const floor = (m) => (m - (((m % 1_000_000n) + 1_000_000n) % 1_000_000n)) / 1_000_000n;
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
