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

  _selectedValidity(indices) {
    if (this.validity === undefined) return undefined;
    const valid = this.valid;
    const out = Mask.none(indices.length);
    for (let j = 0; j < indices.length; j++) {
      const row = indices[j];
      if ((valid.words[row >>> 5] >>> (row & 31)) & 1) out.words[j >>> 5] |= 1 << (j & 31);
    }
    return out.isAll() ? undefined : out.toBitmap();
  }

  _finish(values) {
    return remember({ validity: this.validity, values }, this.rows);
  }
}

/** Calls `copy(firstIndex, firstRow, count)` for each run of consecutive rows in `indices`. */
function forRuns(indices, copy) {
  const k = indices.length;
  let j = 0;
  while (j < k) {
    const first = indices[j];
    let end = j + 1;
    while (end < k && indices[end] === first + (end - j)) end++;
    copy(j, first, end - j);
    j = end;
  }
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
    const words = mask.words, offsets = this.offsets;
    for (let i = 0; i < this.rows; i++) {
      if (offsets[i + 1] !== offsets[i]) words[i >>> 5] |= 1 << (i & 31);
    }
    return this.validity === undefined ? mask : mask.and(this.valid);
  }

  /** A column of the rows `mask` selects (consecutive rows copied at once). */
  select(mask) {
    const indices = mask.indices();
    const offsets = this.offsets, data = this.data;
    const outOffsets = new Int32Array(indices.length + 1);
    let total = 0;
    for (let j = 0; j < indices.length; j++) {
      const row = indices[j];
      total += offsets[row + 1] - offsets[row];
      outOffsets[j + 1] = total;
    }
    const out = new Uint8Array(total);
    forRuns(indices, (j, row, count) => {
      out.set(data.subarray(offsets[row], offsets[row + count]), outOffsets[j]);
    });
    return new Utf8Column(outOffsets, out, this._selectedValidity(indices), indices.length);
  }

  /** SQL coalesce(this, other): this row's value where it is not NULL, else other's. */
  coalesce(other) {
    if (other.rows !== this.rows) {
      throw new RangeError(`coalesce of columns of ${this.rows} and ${other.rows} rows`);
    }
    if (this.validity === undefined) return this;
    const mine = this.valid.words;
    const sources = [other, this];
    const n = this.rows;
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const src = sources[(mine[i >>> 5] >>> (i & 31)) & 1];
      total += src.offsets[i + 1] - src.offsets[i];
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    // Copy runs of consecutive rows taken from the same column.
    let start = 0;
    while (start < n) {
      const pick = (mine[start >>> 5] >>> (start & 31)) & 1;
      let end = start + 1;
      while (end < n && ((mine[end >>> 5] >>> (end & 31)) & 1) === pick) end++;
      const src = sources[pick];
      data.set(src.data.subarray(src.offsets[start], src.offsets[end]), offsets[start]);
      start = end;
    }
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
    const indices = mask.indices();
    const out = new Int32Array(indices.length * 2);
    const halves = this.halves;
    forRuns(indices, (j, row, count) => out.set(halves.subarray(2 * row, 2 * (row + count)), 2 * j));
    return new this.constructor(
      new BigInt64Array(out.buffer), this._selectedValidity(indices), indices.length);
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
    return new Int64Column(floorDivide(this.bigints, 1_000_000), this.validity, this.rows);
  }
}

/** values[i] / divisor rounded toward -infinity, for every row (NULL slots included). */
function floorDivide(values, divisor) {
  const n = values.length;
  const halves = new Int32Array(values.buffer, values.byteOffset, n * 2);
  const out = new BigInt64Array(n);
  const outHalves = new Int32Array(out.buffer);
  const bigDivisor = BigInt(divisor);
  for (let i = 0; i < n; i++) {
    const hi = halves[2 * i + 1];
    let q;
    if (hi > -0x200000 && hi < 0x200000) {
      // |value| < 2^53: exact in a double; fix the quotient's rounding with the remainder.
      const v = hi * TWO32 + (halves[2 * i] >>> 0);
      q = Math.floor(v / divisor);
      const r = v - q * divisor;
      if (r < 0) q -= 1;
      else if (r >= divisor) q += 1;
    } else {
      // BigInt division truncates toward zero: step down when a negative value has a remainder.
      const v = values[i];
      let big = v / bigDivisor;
      if (v % bigDivisor !== 0n && v < 0n) big -= 1n;
      out[i] = big;
      continue;
    }
    const qhi = Math.floor(q / TWO32);
    outHalves[2 * i] = q - qhi * TWO32;
    outHalves[2 * i + 1] = qhi;
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
    const indices = mask.indices();
    const out = new Float64Array(indices.length);
    const numbers = this.numbers;
    forRuns(indices, (j, row, count) => out.set(numbers.subarray(row, row + count), j));
    return new Float64Column(out, this._selectedValidity(indices), indices.length);
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
    const indices = mask.indices();
    const set = Mask.fromBitmap(this.bits, this.rows).words;
    const out = Mask.none(indices.length);
    for (let j = 0; j < indices.length; j++) {
      const row = indices[j];
      if ((set[row >>> 5] >>> (row & 31)) & 1) out.words[j >>> 5] |= 1 << (j & 31);
    }
    return new BoolColumn(out.toBitmap(), this._selectedValidity(indices), indices.length);
  }

  finish() {
    return this._finish({ tag: "boolean", val: this.bits });
  }
}
