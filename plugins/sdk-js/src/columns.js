// Typed readers over the input batch's columns. The contract passes each buffer as bytes; a
// column reads them through typed arrays. Whole-column work that copies rows (select,
// coalesce, seconds) is a kernel (`#kernels`: the host's inside a component, whose JS engine
// is an interpreter; a plain JS reference under node); what stays in JS works on masks, 32
// rows per operation.

import { chooseUtf8, filterBits, filterFixed64, filterUtf8, floorDivide } from "#kernels";
import { bytesOf, typedView } from "./bytes.js";
import { Mask } from "./mask.js";
import { remember } from "./rows.js";

const TWO32 = 4294967296;
const MICROS_PER_SECOND = 1_000_000n;
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
    return Utf8Column.fromBytes(values.val, validity, this.rows);
  }
  int64(key) {
    const { validity, values } = this.#column(key, "int64");
    return new Int64Column(typedView(values.val, BigInt64Array, `column "${key}"`), validity, this.rows);
  }
  timestamp(key) {
    const { validity, values } = this.#column(key, "timestamp");
    return new TimestampColumn(typedView(values.val, BigInt64Array, `column "${key}"`), validity, this.rows);
  }
  float64(key) {
    const { validity, values } = this.#column(key, "float64");
    return new Float64Column(typedView(values.val, Float64Array, `column "${key}"`), validity, this.rows);
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
    if (this.validity === undefined || mask.andNot(this.valid).count() === 0) return undefined;
    return filterBits(this.validity, this.rows, mask.bitmap());
  }

  _finish(values) {
    return remember({ validity: this.validity, values }, this.rows);
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

  /** From the contract's utf8-values (offsets as bytes). */
  static fromBytes({ offsets, data }, validity, rows) {
    return new Utf8Column(typedView(offsets, Int32Array, "utf8 offsets"), data, validity, rows);
  }

  /** This column's values as the contract's utf8-values. */
  #bytes() {
    return { offsets: bytesOf(this.offsets), data: this.data };
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

  /** A column of the rows `mask` selects. */
  select(mask) {
    this._check(mask);
    const kept = filterUtf8(this.#bytes(), mask.bitmap());
    return Utf8Column.fromBytes(kept, this._selectedValidity(mask), mask.count());
  }

  /** SQL coalesce(this, other): this row's value where it is not NULL, else other's. */
  coalesce(other) {
    if (other.rows !== this.rows) {
      throw new RangeError(`coalesce of columns of ${this.rows} and ${other.rows} rows`);
    }
    if (this.validity === undefined) return this;
    const chosen = chooseUtf8(this.validity, this.#bytes(), other.#bytes());
    const valid = this.valid.or(other.valid);
    return Utf8Column.fromBytes(chosen, valid.isAll() ? undefined : valid.toBitmap(), this.rows);
  }

  finish() {
    return this._finish({ tag: "utf8", val: this.#bytes() });
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
    const kept = filterFixed64(bytesOf(this.bigints), mask.bitmap());
    return new this.constructor(
      typedView(kept, BigInt64Array, "filter-fixed64 result"), this._selectedValidity(mask), mask.count());
  }

  finish() {
    return this._finish({ tag: this.tag(), val: bytesOf(this.bigints) });
  }
}

/** Microseconds since the Unix epoch, UTC. */
export class TimestampColumn extends Int64Column {
  tag() {
    return "timestamp";
  }

  /** An int64 column of whole seconds, floored (so 1969-12-31T23:59:59.5 is -1, not 0). */
  seconds() {
    const seconds = floorDivide(bytesOf(this.bigints), MICROS_PER_SECOND);
    return new Int64Column(typedView(seconds, BigInt64Array, "floor-divide result"), this.validity, this.rows);
  }
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
    const kept = filterFixed64(bytesOf(this.numbers), mask.bitmap());
    return new Float64Column(
      typedView(kept, Float64Array, "filter-fixed64 result"), this._selectedValidity(mask), mask.count());
  }

  finish() {
    return this._finish({ tag: "float64", val: bytesOf(this.numbers) });
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
    const bits = filterBits(this.bits, this.rows, mask.bitmap());
    return new BoolColumn(bits, this._selectedValidity(mask), mask.count());
  }

  finish() {
    return this._finish({ tag: "boolean", val: this.bits });
  }
}
