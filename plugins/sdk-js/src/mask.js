// Row masks as bitmaps (32 rows per Uint32 word), the contract's own layout for validity and
// booleans: combining two masks is one operation per 32 rows, which matters because the JS
// engine inside a component is an interpreter.

/** Set bits in a 32-bit word. */
function popcount(x) {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export class Mask {
  /**
   * A mask is a value: its words are not changed once it is handed out, so what is derived from
   * them (its count) is computed once and reused by every column the mask selects from.
   * @param {Uint32Array} words bit i of words[i >> 5] is row i; bits past `rows` are 0
   */
  constructor(words, rows) {
    this.words = words;
    this.rows = rows;
    this._count = undefined;
  }

  static none(rows) {
    return new Mask(new Uint32Array((rows + 31) >>> 5), rows);
  }

  static all(rows) {
    const mask = Mask.none(rows);
    mask.words.fill(0xffffffff);
    return mask.#trim();
  }

  /** From a bit-packed buffer (least significant bit first), e.g. a validity bitmap. */
  static fromBitmap(bitmap, rows) {
    const bytes = (rows + 7) >>> 3;
    if (bitmap.length < bytes) {
      throw new RangeError(`bitmap of ${bitmap.length} bytes is too short for ${rows} rows`);
    }
    const mask = Mask.none(rows);
    new Uint8Array(mask.words.buffer).set(bitmap.subarray(0, bytes));
    return mask.#trim();
  }

  /** From one truthy/falsy value per row (a plain loop: prefer column methods in hot paths). */
  static fromValues(values) {
    const mask = Mask.none(values.length);
    const words = mask.words;
    for (let i = 0; i < values.length; i++) {
      if (values[i]) words[i >>> 5] |= 1 << (i & 31);
    }
    return mask;
  }

  #trim() {
    const tail = this.rows & 31;
    if (tail) this.words[this.words.length - 1] &= (1 << tail) - 1;
    return this;
  }

  #check(other) {
    if (other.rows !== this.rows) {
      throw new RangeError(`masks of ${this.rows} and ${other.rows} rows combined`);
    }
  }

  get(row) {
    return ((this.words[row >>> 5] >>> (row & 31)) & 1) === 1;
  }

  and(other) {
    this.#check(other);
    const a = this.words, b = other.words, out = new Uint32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] & b[i];
    return new Mask(out, this.rows);
  }

  or(other) {
    this.#check(other);
    const a = this.words, b = other.words, out = new Uint32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] | b[i];
    return new Mask(out, this.rows);
  }

  /** Rows of this mask that are not in `other`. */
  andNot(other) {
    this.#check(other);
    const a = this.words, b = other.words, out = new Uint32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] & ~b[i];
    return new Mask(out, this.rows);
  }

  not() {
    const a = this.words, out = new Uint32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = ~a[i];
    return new Mask(out, this.rows).#trim();
  }

  count() {
    if (this._count === undefined) {
      let n = 0;
      for (const w of this.words) if (w) n += popcount(w);
      this._count = n;
    }
    return this._count;
  }

  isAll() {
    return this.count() === this.rows;
  }

  /** The selected rows, ascending. */
  indices() {
    const out = new Int32Array(this.count());
    const words = this.words;
    let j = 0;
    for (let i = 0; i < words.length; i++) {
      let w = words[i];
      if (w === -1 >>> 0) {
        for (let b = 0, row = i << 5; b < 32; b++) out[j++] = row + b;
        continue;
      }
      while (w) {
        const low = w & -w;
        out[j++] = (i << 5) + 31 - Math.clz32(low);
        w ^= low;
      }
    }
    return out;
  }

  /** The bitmap bytes (ceil(rows / 8)), as the contract's validity and boolean buffers. */
  toBitmap() {
    return this.bitmap().slice();
  }

  /** The bitmap bytes as a view of the words (no copy): a kernel's `keep` argument. */
  bitmap() {
    return new Uint8Array(this.words.buffer, this.words.byteOffset, (this.rows + 7) >>> 3);
  }
}
