// Contract 0.2 passes every buffer as bytes (little-endian numbers, as in WebAssembly memory);
// the SDK reads them through typed arrays, and hands typed arrays back as bytes.

/**
 * `bytes` as `Type` values (Int32Array, BigInt64Array, Float64Array): a view of the same
 * memory when its offset is a multiple of the value size (typed arrays require it), a copy
 * otherwise.
 */
export function typedView(bytes, Type, what) {
  const size = Type.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${what} has ${bytes.byteLength} bytes, not a whole number of ${size}-byte values`);
  }
  if (bytes.byteOffset % size === 0) {
    return new Type(bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
  }
  return new Type(bytes.slice().buffer);
}

/** The bytes of a typed array (a view, no copy). */
export function bytesOf(typed) {
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}
