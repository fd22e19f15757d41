// The contract's kernels (rechost:plugin/kernels@0.2.0) in plain JS, one row at a time: what
// the SDK calls when it runs natively under node (its tests, a plugin's tests). Inside a
// component the host runs them (./host.js): same signatures, bytes in and out, and the same
// refusal of a malformed argument (here an exception, there a trap).

import { typedView } from "../bytes.js";

function refuse(kernel, problem) {
  throw new RangeError(`rechost kernel ${kernel}: ${problem}`);
}

function bit(bytes, row) {
  return (bytes[row >>> 3] >>> (row & 7)) & 1;
}

function checkBits(kernel, bytes, rows, what) {
  const need = Math.ceil(rows / 8);
  if (!(bytes instanceof Uint8Array)) refuse(kernel, `${what} is not a Uint8Array`);
  if (bytes.length < need) refuse(kernel, `${what} has ${bytes.length} bytes, ${rows} rows need ${need}`);
}

function values64(kernel, bytes, what) {
  if (!(bytes instanceof Uint8Array)) refuse(kernel, `${what} is not a Uint8Array`);
  if (bytes.length % 8 !== 0) {
    refuse(kernel, `${what} has ${bytes.length} bytes, not a whole number of 8-byte values`);
  }
  return typedView(bytes, BigInt64Array, what);
}

/** The offsets of a utf8-values record, checked as the host checks them. */
function strings(kernel, values, what) {
  const { offsets: bytes, data } = values;
  if (!(bytes instanceof Uint8Array) || !(data instanceof Uint8Array)) {
    refuse(kernel, `${what}.offsets and ${what}.data must be Uint8Arrays`);
  }
  if (bytes.length < 4) refuse(kernel, `${what}.offsets is empty: rows + 1 offsets are needed`);
  if (bytes.length % 4 !== 0) {
    refuse(kernel, `${what}.offsets has ${bytes.length} bytes, not a whole number of 4-byte values`);
  }
  const offsets = typedView(bytes, Int32Array, `${what}.offsets`);
  const rows = offsets.length - 1;
  for (let i = 0; i < rows; i++) {
    if (offsets[i] < 0 || offsets[i + 1] < offsets[i]) {
      refuse(kernel, `${what}.offsets are negative or decreasing`);
    }
  }
  if (offsets[rows] > data.length) {
    refuse(kernel, `${what}.offsets reach byte ${offsets[rows]} but the data has ${data.length} bytes`);
  }
  return { offsets, data, rows };
}

/** Strings appended one at a time, offsets from 0. */
class StringsOut {
  constructor(rows, bytes) {
    this.offsets = new Int32Array(rows + 1);
    this.data = new Uint8Array(bytes);
    this.rows = 0;
  }
  push(source, row) {
    const value = source.data.subarray(source.offsets[row], source.offsets[row + 1]);
    const end = this.offsets[this.rows];
    this.data.set(value, end);
    this.offsets[++this.rows] = end + value.length;
  }
  finish() {
    const end = this.offsets[this.rows];
    return {
      offsets: new Uint8Array(this.offsets.buffer, 0, 4 * (this.rows + 1)),
      data: this.data.slice(0, end),
    };
  }
}

/** The strings whose bit is set in `keep`, in row order. */
export function filterUtf8(values, keep) {
  const input = strings("filter-utf8", values, "values");
  checkBits("filter-utf8", keep, input.rows, "keep");
  let rows = 0;
  for (let row = 0; row < input.rows; row++) rows += bit(keep, row);
  const out = new StringsOut(rows, input.data.length);
  for (let row = 0; row < input.rows; row++) {
    if (bit(keep, row)) out.push(input, row);
  }
  return out.finish();
}

/** The 8-byte values whose bit is set in `keep`, in row order. */
export function filterFixed64(values, keep) {
  const input = values64("filter-fixed64", values, "values");
  checkBits("filter-fixed64", keep, input.length, "keep");
  const kept = [];
  for (let row = 0; row < input.length; row++) {
    if (bit(keep, row)) kept.push(input[row]);
  }
  return new Uint8Array(BigInt64Array.from(kept).buffer);
}

/** The bits of `rows` rows whose bit is set in `keep`, packed again (bits past the end 0). */
export function filterBits(bits, rows, keep) {
  checkBits("filter-bits", bits, rows, "bits");
  checkBits("filter-bits", keep, rows, "keep");
  const kept = [];
  for (let row = 0; row < rows; row++) {
    if (bit(keep, row)) kept.push(bit(bits, row));
  }
  const out = new Uint8Array(Math.ceil(kept.length / 8));
  kept.forEach((b, j) => {
    out[j >>> 3] |= b << (j & 7);
  });
  return out;
}

/** Row i of `first` where bit i of `pick` is set, else row i of `second`. */
export function chooseUtf8(pick, first, second) {
  const a = strings("choose-utf8", first, "first");
  const b = strings("choose-utf8", second, "second");
  if (a.rows !== b.rows) refuse("choose-utf8", `first has ${a.rows} rows, second ${b.rows}`);
  checkBits("choose-utf8", pick, a.rows, "pick");
  const out = new StringsOut(a.rows, a.data.length + b.data.length);
  for (let row = 0; row < a.rows; row++) out.push(bit(pick, row) ? a : b, row);
  return out.finish();
}

/** Every little-endian s64 divided by `divisor` (a BigInt > 0), rounded toward -infinity. */
export function floorDivide(values, divisor) {
  if (typeof divisor !== "bigint" || divisor <= 0n) {
    refuse("floor-divide", `divisor is ${divisor}; it must be a positive BigInt`);
  }
  const input = values64("floor-divide", values, "values");
  const out = new BigInt64Array(input.length);
  for (let i = 0; i < input.length; i++) {
    // BigInt division truncates toward zero: a negative value with a remainder steps down.
    const v = input[i];
    out[i] = v / divisor - (v % divisor < 0n ? 1n : 0n);
  }
  return new Uint8Array(out.buffer);
}
