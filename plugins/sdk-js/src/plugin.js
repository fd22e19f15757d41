// The export glue: `export const plugin = exportPlugin(MANIFEST, transform)`.
//
// An exception escaping an export traps the component (and, built without stdio, says
// nothing). The transform is wrapped so that every error becomes the contract's error result:
// one line naming the error and, when the engine knows it, where it was thrown.

import { Input } from "./columns.js";
import { rowsOf } from "./rows.js";

/** Rows deliberately not emitted, counted by reason (first-seen order). */
export class DropCounter {
  constructor() {
    this.counts = new Map();
  }

  /** Counts `rows` more rows: a number, or a Mask (its selected rows). */
  add(reason, rows = 1) {
    const n = typeof rows === "number" ? rows : rows.count();
    if (n > 0) this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
    return this;
  }

  finish() {
    return [...this.counts].map(([reason, rows]) => ({ reason, rows: BigInt(rows) }));
  }
}

function finished(column) {
  return typeof column.finish === "function" ? column.finish() : column;
}

/** An output batch of columns (SDK columns, builders or finished columns), all one length. */
export function batch(...columns) {
  const done = columns.map(finished);
  const lengths = [...new Set(done.map(rowsOf))];
  if (lengths.length > 1) {
    throw new Error(`output columns have different lengths: ${done.map(rowsOf).join(", ")}`);
  }
  return { rows: lengths[0] ?? 0, columns: done };
}

/** An output batch with an explicit row count. */
export function batchOf(rows, ...columns) {
  return { rows, columns: columns.map(finished) };
}

/** The transform's result: one batch per manifest dataset, in manifest order. */
export function output(batches, dropped) {
  const drops = dropped instanceof DropCounter ? dropped.finish() : (dropped ?? []);
  return { datasets: Array.isArray(batches) ? batches : [batches], dropped: drops };
}

/**
 * One line: the error's name and message, and the function that threw it when the engine
 * says (`name@file:line:col` frames; line numbers are the bundle's, so only the name is kept).
 */
export function describeError(error) {
  if (!(error instanceof Error)) return `thrown: ${String(error)}`;
  const message = String(error.message).split(/\s+/).join(" ") || "(no message)";
  const frame = String(error.stack ?? "").split("\n").find((line) => /^[\w$.<>]+@/.test(line));
  const where = frame ? ` (in ${frame.slice(0, frame.indexOf("@"))})` : "";
  return `${error.name}: ${message}${where}`;
}

/** The object to export as `plugin`: `transform(input: Input, options: Map) -> output(...)`. */
export function exportPlugin(manifest, transform) {
  const names = manifest.source.columns.map((c) => c.name);
  const datasets = manifest.datasets.length;
  return {
    describe() {
      return manifest;
    },
    transform(options, batchIn) {
      try {
        const result = transform(new Input(batchIn, names), new Map(options));
        if (!result || !Array.isArray(result.datasets)) {
          throw new TypeError("transform did not return output(...)");
        }
        if (result.datasets.length !== datasets) {
          throw new Error(`transform returned ${result.datasets.length} batches for ${datasets} manifest datasets`);
        }
        return result;
      } catch (error) {
        throw errorResult(describeError(error));
      }
    },
  };
}

// componentize-js returns `err(payload)` for an exception carrying a `payload`.
function errorResult(message) {
  const error = new Error(message);
  error.payload = message;
  return error;
}
