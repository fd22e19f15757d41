// Row counts of finished columns: a boolean buffer alone does not say how many rows it holds,
// and the contract's column record has no room for it.

const ROWS = new WeakMap();

export function remember(column, rows) {
  ROWS.set(column, rows);
  return column;
}

export function rowsOf(column) {
  const rows = ROWS.get(column);
  if (rows !== undefined) return rows;
  const { tag, val } = column.values;
  if (tag === "utf8") return val.offsets.byteLength / 4 - 1;
  if (tag === "boolean") {
    throw new Error("a boolean column not built by the SDK: use batchOf(rows, columns)");
  }
  return val.byteLength / 8;
}
