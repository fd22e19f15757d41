// Builders for output columns in the contract's layout, growing typed arrays (no per-value
// objects) handed out as bytes. For large outputs prefer selecting input columns
// (`column.select(mask)`), which the host's kernel does natively in a component.

import { bytesOf } from "./bytes.js";
import { Mask } from "./mask.js";
import { remember } from "./rows.js";

const encoder = new TextEncoder();
const TWO32 = 4294967296;

function grow(array, needed) {
  if (needed <= array.length) return array;
  const bigger = new array.constructor(Math.max(needed, array.length * 2, 16));
  bigger.set(array);
  return bigger;
}

class Validity {
  constructor() {
    this.mask = null; // allocated at the first NULL
    this.rows = 0;
  }
  push(valid) {
    if (!valid && this.mask === null) {
      this.mask = Mask.all(this.rows);
    }
    if (this.mask !== null) {
      const words = grow(this.mask.words, (this.rows >>> 5) + 1);
      if (valid) words[this.rows >>> 5] |= 1 << (this.rows & 31);
      this.mask = new Mask(words, this.rows + 1);
    }
    this.rows++;
  }
  finish() {
    if (this.mask === null) return undefined;
    return new Mask(this.mask.words, this.rows).toBitmap();
  }
}

export class Utf8Builder {
  constructor() {
    this.offsets = new Int32Array(17);
    this.data = new Uint8Array(64);
    this.rows = 0;
    this.validity = new Validity();
  }

  /** Appends a string (or UTF-8 bytes), or null for NULL. */
  push(value) {
    let end = this.offsets[this.rows];
    if (value !== null && value !== undefined) {
      const bytes = typeof value === "string" ? encoder.encode(value) : value;
      if (!(bytes instanceof Uint8Array)) {
        throw new TypeError(`utf8 output row ${this.rows}: ${String(value)} is not a string`);
      }
      this.data = grow(this.data, end + bytes.length);
      this.data.set(bytes, end);
      end += bytes.length;
    }
    this.offsets = grow(this.offsets, this.rows + 2);
    this.offsets[++this.rows] = end;
    this.validity.push(value !== null && value !== undefined);
    return this;
  }

  finish() {
    const offsets = this.offsets.slice(0, this.rows + 1);
    const data = this.data.slice(0, offsets[this.rows]);
    const val = { offsets: bytesOf(offsets), data };
    const column = { validity: this.validity.finish(), values: { tag: "utf8", val } };
    return remember(column, this.rows);
  }
}

class Int64LikeBuilder {
  constructor(tag) {
    this.tag = tag;
    this.halves = new Int32Array(32);
    this.rows = 0;
    this.validity = new Validity();
  }

  /** Appends a Number (an integer within ±2^53), a BigInt, or null for NULL. */
  push(value) {
    this.halves = grow(this.halves, 2 * this.rows + 2);
    const present = value !== null && value !== undefined;
    if (typeof value === "bigint") {
      const big = BigInt.asIntN(64, value);
      if (big !== value) throw new RangeError(`${this.tag} output row ${this.rows}: ${value} is out of range`);
      new BigInt64Array(this.halves.buffer, 8 * this.rows, 1)[0] = big;
    } else if (present) {
      if (!Number.isSafeInteger(value)) {
        throw new TypeError(`${this.tag} output row ${this.rows}: ${value} is not a safe integer (use a BigInt)`);
      }
      const hi = Math.floor(value / TWO32);
      this.halves[2 * this.rows] = value - hi * TWO32;
      this.halves[2 * this.rows + 1] = hi;
    }
    this.validity.push(present);
    this.rows++;
    return this;
  }

  finish() {
    const values = new Uint8Array(this.halves.buffer.slice(0, 8 * this.rows));
    return remember({ validity: this.validity.finish(), values: { tag: this.tag, val: values } }, this.rows);
  }
}

export class Int64Builder extends Int64LikeBuilder {
  constructor() {
    super("int64");
  }
}

/** Microseconds since the Unix epoch, UTC. */
export class TimestampBuilder extends Int64LikeBuilder {
  constructor() {
    super("timestamp");
  }
}

export class Float64Builder {
  constructor() {
    this.values = new Float64Array(16);
    this.rows = 0;
    this.validity = new Validity();
  }

  push(value) {
    const present = value !== null && value !== undefined;
    if (present && typeof value !== "number") {
      throw new TypeError(`float64 output row ${this.rows}: ${String(value)} is not a number`);
    }
    this.values = grow(this.values, this.rows + 1);
    this.values[this.rows++] = present ? value : 0;
    this.validity.push(present);
    return this;
  }

  finish() {
    const values = bytesOf(this.values.slice(0, this.rows));
    return remember({ validity: this.validity.finish(), values: { tag: "float64", val: values } }, this.rows);
  }
}

export class BoolBuilder {
  constructor() {
    this.bits = new Mask(new Uint32Array(1), 0);
    this.validity = new Validity();
  }

  push(value) {
    const row = this.bits.rows;
    const words = grow(this.bits.words, (row >>> 5) + 1);
    if (value === true) words[row >>> 5] |= 1 << (row & 31);
    else if (value !== false && value !== null && value !== undefined) {
      throw new TypeError(`boolean output row ${row}: ${String(value)} is not a boolean`);
    }
    this.bits = new Mask(words, row + 1);
    this.validity.push(value !== null && value !== undefined);
    return this;
  }

  finish() {
    const rows = this.bits.rows;
    return remember({ validity: this.validity.finish(), values: { tag: "boolean", val: this.bits.toBitmap() } }, rows);
  }
}

// Offsets 0, w, 2w, ... for each value width w, as long as the longest asked for so far: the
// next batch's constant column copies a prefix natively instead of looping over its rows.
const constantOffsets = new Map();

function offsetsOfWidth(width, rows) {
  let offsets = constantOffsets.get(width);
  if (offsets === undefined || offsets.length < rows + 1) {
    offsets = new Int32Array(rows + 1);
    for (let i = 1; i <= rows; i++) offsets[i] = i * width;
    constantOffsets.set(width, offsets);
  }
  return offsets.slice(0, rows + 1);
}

/** `rows` copies of one string, without a builder. */
export function constantUtf8(value, rows) {
  const bytes = encoder.encode(value);
  const offsets = offsetsOfWidth(bytes.length, rows);
  const data = new Uint8Array(bytes.length * rows);
  if (bytes.length > 0 && rows > 0) {
    // Doubling copies: log2(rows) native copies instead of one per row.
    data.set(bytes, 0);
    for (let filled = bytes.length; filled < data.length; filled *= 2) {
      data.copyWithin(filled, 0, Math.min(filled, data.length - filled));
    }
  }
  const val = { offsets: bytesOf(offsets), data };
  return remember({ validity: undefined, values: { tag: "utf8", val } }, rows);
}
