// Typed readers over the input batch's columns. Each method works on a whole column with typed
// arrays (bulk `set`/`subarray` copies of consecutive rows, masks 32 rows per word): the engine
// inside a component interprets JS, so per-row calls and allocations are what cost.

import { Mask } from "./mask.js";
import { remember } from "./rows.js";

const TWO32 = 4294967296;
const decoder = new TextDecoder();

/** The input batch: columns by position or (case-insensitive) source column name. */
export class Input {
  constructor(batch, columnNames = []) {
    this.batch = batch;
    this.rows = batch.rows;
    this.names = columnNames;
    this.positions = new Map(columnNames.map((name, i) => [name.toLowerCase(), i]));
  }

  #column(key, tag) {
    let index = key;
    if (typeof key === "string") {
      index = this.positions.get(key.toLowerCase());
      if (index === undefined) {
        throw new Error(`input has no column "${key}" (source columns: ${this.names.join(", ")})`);
      }
    }
    const column = this.batch.columns[index];
    if (column === undefined) {
      throw new Error(`input has no column ${index} (${this.batch.columns.length} columns)`);
    }
    if (column.values.tag !== tag) {
      throw new Error(`input column "${key}" is ${column.values.tag}, not ${tag}`);
    }
    return column;
  }

  utf8(key) {
    const { validity, values } = this.#column(key, "utf8");
    return new Utf8Column(values.val.offsets, values.val.data, validity, this.rows);
  }
  int64(key) {
    const { validity, values } = this.#column(key, "int64");
    return new Int64Column(values.val, validity, this.rows);
  }
  timestamp(key) {
    const { validity, values } = this.#column(key, "timestamp");
    return new TimestampColumn(values.val, validity, this.rows);
  }
  float64(key) {
    const { validity, values } = this.#column(key, "float64");
    return new Float64Column(values.val, validity, this.rows);
  }
  boolean(key) {
    const { validity, values } = this.#column(key, "boolean");
    return new BoolColumn(values.val, validity, this.rows);
  }
}

/** Shared by every column: row count and validity (a Mask of the non-NULL rows). */
class BaseColumn {
  constructor(validity, rows) {
    this.rows = rows;
    this.validity = validity ?? undefined;
    this._valid = undefined;
  }

  /** Mask of the rows that are not NULL. */
  get valid() {
    this._valid ??= this.validity === undefined
      ? Mask.all(this.rows)
      : Mask.fromBitmap(this.validity, this.rows);
    return this._valid;
  }

  isNull(row) {
    return this.validity !== undefined && ((this.validity[row >>> 3] >>> (row & 7)) & 1) === 0;
  }

  _check(mask) {
    if (mask.rows !== this.rows) {
      throw new RangeError(`mask of ${mask.rows} rows applied to a column of ${this.rows}`);
    }
  }

  /** The validity bitmap of the rows `mask` selects (undefined: no NULL among them). */
  _selectedValidity(mask) {
    if (this.validity === undefined) return undefined;
    const valid = this.valid;
    const selected = mask.count();
    if (mask.and(valid).count() === selected) return undefined;
    const out = Mask.none(selected);
    const { starts, ends } = mask.runs();
    for (let k = 0, j = 0; k < starts.length; k++) {
      for (let row = starts[k]; row < ends[k]; row++, j++) {
        if ((valid.words[row >>> 5] >>> (row & 31)) & 1) out.words[j >>> 5] |= 1 << (j & 31);
      }
    }
    return out.toBitmap();
  }

  _finish(values) {
    return remember({ validity: this.validity, values }, this.rows);
  }
}

/**
 * Copies the runs of rows `mask` selects out of `values` (`width` entries per row) into a new
 * array of the same type: one native copy per run of consecutive rows.
 */
function selectRuns(values, width, mask) {
  const out = new values.constructor(mask.count() * width);
  const { starts, ends } = mask.runs();
  for (let k = 0, at = 0; k < starts.length; k++) {
    const from = starts[k] * width, to = ends[k] * width;
    out.set(values.subarray(from, to), at);
    at += to - from;
  }
  return out;
}

// Bytes reused by every text selection of this instance (a component runs one call at a time):
// the source bytes are copied in once, each run of rows is then one copyWithin into the
// result's place after them, and the result is sliced out. A view object per run (subarray)
// cost more than the copies themselves when runs are short, and fresh buffers per call made
// the engine's heap grow.
let scratch = new Uint8Array(0);

function scratchBytes(size) {
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
  return scratch;
}

export class Utf8Column extends BaseColumn {
  constructor(offsets, data, validity, rows) {
    super(validity, rows);
    if (offsets.length !== rows + 1) {
      throw new RangeError(`utf8 column has ${offsets.length} offsets for ${rows} rows`);
    }
    this.offsets = offsets;
    this.data = data;
  }

  /** Row `row` as text, null for NULL (decodes one value: use `values()` for a whole column). */
  get(row) {
    if (this.isNull(row)) return null;
    return decoder.decode(this.data.subarray(this.offsets[row], this.offsets[row + 1]));
  }

  /** Every row as text, null for NULL. */
  values() {
    const out = new Array(this.rows);
    const offsets = this.offsets;
    const text = decoder.decode(this.data);
    const ascii = text.length === this.data.length; // then byte offsets are string offsets
    for (let i = 0; i < this.rows; i++) {
      out[i] = this.isNull(i)
        ? null
        : ascii
          ? text.substring(offsets[i], offsets[i + 1])
          : decoder.decode(this.data.subarray(offsets[i], offsets[i + 1]));
    }
    return out;
  }

  /** Mask of rows that are neither NULL nor empty. */
  nonEmpty() {
    const mask = Mask.none(this.rows);
    const words = mask.words, offsets = this.offsets, rows = this.rows;
    // A word's 32 bits gathered in a local, stored once.
    for (let w = 0, row = 0; row < rows; w++) {
      const end = Math.min(row + 32, rows);
      let bits = 0;
      let previous = offsets[row];
      for (let bit = 1; row < end; row++, bit <<= 1) {
        const next = offsets[row + 1];
        if (next !== previous) bits |= bit;
        previous = next;
      }
      words[w] = bits;
    }
    return this.validity === undefined ? mask : mask.and(this.valid);
  }

  /** A column of the rows `mask` selects (consecutive rows copied at once). */
  select(mask) {
    this._check(mask);
    const { starts, ends } = mask.runs();
    const offsets = this.offsets, data = this.data;
    let total = 0;
    for (let k = 0; k < starts.length; k++) total += offsets[ends[k]] - offsets[starts[k]];
    const outOffsets = new Int32Array(mask.count() + 1);
    const at = data.length;
    const buffer = scratchBytes(at + total);
    buffer.set(data);
    let j = 0;
    total = 0;
    for (let k = 0; k < starts.length; k++) {
      const start = starts[k], end = ends[k], base = offsets[start];
      buffer.copyWithin(at + total, base, offsets[end]);
      const shift = total - base;
      for (let row = start + 1; row <= end; row++) outOffsets[++j] = offsets[row] + shift;
      total = outOffsets[j];
    }
    const out = buffer.slice(at, at + total);
    return new Utf8Column(outOffsets, out, this._selectedValidity(mask), j);
  }

  /** SQL coalesce(this, other): this row's value where it is not NULL, else other's. */
  coalesce(other) {
    if (other.rows !== this.rows) {
      throw new RangeError(`coalesce of columns of ${this.rows} and ${other.rows} rows`);
    }
    if (this.validity === undefined) return this;
    // Runs of rows taken from the same column: per run one native copy of the bytes, per row
    // one offset.
    const { bounds, first } = this.valid.boundaries();
    const n = this.rows;
    const offsets = new Int32Array(n + 1);
    const mine = this.offsets, theirs = other.offsets;
    let total = 0;
    for (let k = 0, pick = first; k + 1 < bounds.length; k++, pick ^= 1) {
      const from = pick === 1 ? mine : theirs;
      const start = bounds[k], end = bounds[k + 1], shift = total - from[start];
      for (let row = start + 1; row <= end; row++) offsets[row] = from[row] + shift;
      total = offsets[end];
    }
    const mineBytes = this.data.length, at = mineBytes + other.data.length;
    const buffer = scratchBytes(at + total);
    buffer.set(this.data);
    buffer.set(other.data, mineBytes);
    for (let k = 0, pick = first; k + 1 < bounds.length; k++, pick ^= 1) {
      const from = pick === 1 ? mine : theirs, base = pick === 1 ? 0 : mineBytes;
      const start = bounds[k], end = bounds[k + 1];
      buffer.copyWithin(at + offsets[start], base + from[start], base + from[end]);
    }
    const data = buffer.slice(at, at + total);
    const valid = this.valid.or(other.valid);
    return new Utf8Column(offsets, data, valid.isAll() ? undefined : valid.toBitmap(), n);
  }

  finish() {
    return this._finish({ tag: "utf8", val: { offsets: this.offsets, data: this.data } });
  }
}

/** int64 and timestamp: BigInt64Array values, read as exact Numbers through 32-bit halves. */
export class Int64Column extends BaseColumn {
  constructor(values, validity, rows) {
    super(validity, rows);
    this.bigints = values;
    // Reading a BigInt64Array allocates a BigInt per row; the halves are plain numbers.
    this.halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  }

  tag() {
    return "int64";
  }

  /** Row `row` as a Number (exact within ±2^53), null for NULL. */
  get(row) {
    if (this.isNull(row)) return null;
    return this.halves[2 * row + 1] * TWO32 + (this.halves[2 * row] >>> 0);
  }

  /** Row `row` as a BigInt (exact for every value), null for NULL. */
  getBigInt(row) {
    return this.isNull(row) ? null : this.bigints[row];
  }

  /** Every row as a Number (exact within ±2^53), null for NULL. */
  values() {
    const out = new Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[i] = this.get(i);
    return out;
  }

  select(mask) {
    this._check(mask);
    const out = selectRuns(this.halves, 2, mask);
    return new this.constructor(
      new BigInt64Array(out.buffer), this._selectedValidity(mask), out.length / 2);
  }

  finish() {
    return this._finish({ tag: this.tag(), val: this.bigints });
  }
}

/** Microseconds since the Unix epoch, UTC. */
export class TimestampColumn extends Int64Column {
  tag() {
    return "timestamp";
  }

  /** An int64 column of whole seconds, floored (so 1969-12-31T23:59:59.5 is -1, not 0). */
  seconds() {
    return new Int64Column(floorSeconds(this.bigints), this.validity, this.rows);
  }
}

const MICROS_PER_SECOND = 1_000_000;
// Microseconds within ±2^31 seconds (1901-2038) have a high half within ±0x7a120.
const INT32_SECONDS_HIGH = Math.floor((2 ** 31 * MICROS_PER_SECOND) / TWO32);

/** values[i] microseconds as whole seconds rounded toward -infinity, for every row (NULL slots
 * included). */
function floorSeconds(values) {
  const n = values.length;
  const halves = new Int32Array(values.buffer, values.byteOffset, n * 2);
  const out = new BigInt64Array(n);
  const outHalves = new Int32Array(out.buffer);
  const bigDivisor = BigInt(MICROS_PER_SECOND);
  for (let j = 0; j < 2 * n; j += 2) {
    const hi = halves[j + 1];
    if (hi > -INT32_SECONDS_HIGH && hi < INT32_SECONDS_HIGH) {
      // Exact: the double quotient is within 2^-22 of the true one, closer than the 10^-6
      // any non-integer quotient keeps from an integer, so its floor is the true floor. The
      // seconds fit in the low half; the high half is the sign (already 0 for seconds >= 0).
      const exact = (hi * TWO32 + (halves[j] >>> 0)) / MICROS_PER_SECOND;
      let q = exact | 0; // truncates toward zero (|exact| < 2^31): step down below zero
      if (q > exact) q -= 1;
      outHalves[j] = q;
      if (q < 0) outHalves[j + 1] = -1;
    } else {
      // BigInt division truncates toward zero: step down when a negative value has a remainder.
      const v = values[j >>> 1];
      let big = v / bigDivisor;
      if (v % bigDivisor !== 0n && v < 0n) big -= 1n;
      out[j >>> 1] = big;
    }
  }
  return out;
}

export class Float64Column extends BaseColumn {
  constructor(values, validity, rows) {
    super(validity, rows);
    this.numbers = values;
  }

  get(row) {
    return this.isNull(row) ? null : this.numbers[row];
  }

  values() {
    const out = new Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[i] = this.get(i);
    return out;
  }

  select(mask) {
    this._check(mask);
    const out = selectRuns(this.numbers, 1, mask);
    return new Float64Column(out, this._selectedValidity(mask), out.length);
  }

  finish() {
    return this._finish({ tag: "float64", val: this.numbers });
  }
}

export class BoolColumn extends BaseColumn {
  constructor(bits, validity, rows) {
    super(validity, rows);
    this.bits = bits;
  }

  get(row) {
    return this.isNull(row) ? null : ((this.bits[row >>> 3] >>> (row & 7)) & 1) === 1;
  }

  values() {
    const out = new Array(this.rows);
    for (let i = 0; i < this.rows; i++) out[i] = this.get(i);
    return out;
  }

  /** Mask of the rows that are TRUE (neither FALSE nor NULL). */
  isTrue() {
    const set = Mask.fromBitmap(this.bits, this.rows);
    return this.validity === undefined ? set : set.and(this.valid);
  }

  /** Mask of the rows that are FALSE (neither TRUE nor NULL). */
  isFalse() {
    return this.valid.andNot(Mask.fromBitmap(this.bits, this.rows));
  }

  select(mask) {
    this._check(mask);
    const indices = mask.indices();
    const set = Mask.fromBitmap(this.bits, this.rows).words;
    const out = Mask.none(indices.length);
    for (let j = 0; j < indices.length; j++) {
      const row = indices[j];
      if ((set[row >>> 5] >>> (row & 31)) & 1) out.words[j >>> 5] |= 1 << (j & 31);
    }
    return new BoolColumn(out.toBitmap(), this._selectedValidity(mask), indices.length);
  }

  finish() {
    return this._finish({ tag: "boolean", val: this.bits });
  }
}
