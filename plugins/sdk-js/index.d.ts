// Types of the rechost plugin SDK and of the contract's records (rechost:plugin@0.2.0, as
// componentize-js maps them: every column buffer is bytes, a Uint8Array of little-endian
// numbers; s64/u64 are BigInt, options are `undefined` when absent, variants are
// `{ tag, val }`). The SDK's columns read the bytes as typed arrays.

// ---- The contract's records (wit/plugin.wit) ----

export type DataType = "utf8" | "int64" | "float64" | "boolean" | "timestamp";
export type ColumnRole = "user-id" | "item-id" | "event-type" | "event-time";
export type DatasetKind = "interactions" | "users" | "items" | "other";

export interface ColumnSpec {
  name: string;
  dataType: DataType;
  nullable: boolean;
  categorical: boolean;
  role?: ColumnRole;
}
export interface SourceSpec {
  table: string;
  columns: ColumnSpec[];
  timeColumn: string;
}
export interface EntityReduction {
  key: string;
  latestBy: ColumnSpec[];
}
export type Reduction = { tag: "events" } | { tag: "entity"; val: EntityReduction };
export interface DatasetSpec {
  name: string;
  kind: DatasetKind;
  columns: ColumnSpec[];
  reduction: Reduction;
}
export interface RecommenderSpec {
  name: string;
  minInteractions: bigint;
  eventType?: string;
  needsItems: boolean;
}
export interface OptionSpec {
  name: string;
  description: string;
  defaultValue: string;
}
export interface Manifest {
  name: string;
  version: string;
  description: string;
  domain: string;
  source: SourceSpec;
  datasets: DatasetSpec[];
  recommenders: RecommenderSpec[];
  options: OptionSpec[];
}
/** Strings: `offsets` holds rows + 1 little-endian s32 (4 bytes each), `data` the UTF-8. */
export interface Utf8Values {
  offsets: Uint8Array;
  data: Uint8Array;
}
export type Values =
  | { tag: "utf8"; val: Utf8Values }
  /** Little-endian s64, 8 bytes per row. */
  | { tag: "int64"; val: Uint8Array }
  /** Little-endian binary64, 8 bytes per row. */
  | { tag: "float64"; val: Uint8Array }
  /** Bit-packed, least significant bit first. */
  | { tag: "boolean"; val: Uint8Array }
  /** Microseconds since the Unix epoch, UTC: little-endian s64. */
  | { tag: "timestamp"; val: Uint8Array };
export interface Column {
  /** Bit-packed, 1 = valid; undefined: no NULLs. */
  validity?: Uint8Array;
  values: Values;
}
export interface Batch {
  rows: number;
  columns: Column[];
}
export interface DroppedRows {
  reason: string;
  rows: bigint;
}
export interface TransformOutput {
  datasets: Batch[];
  dropped: DroppedRows[];
}

/** The WIT package this SDK bundles. */
export const CONTRACT: "rechost:plugin@0.2.0";

// ---- Manifest helpers ----

export function column(
  name: string,
  dataType: DataType,
  options?: { nullable?: boolean; categorical?: boolean; role?: ColumnRole },
): ColumnSpec;
export function source(table: string, columns: ColumnSpec[], timeColumn: string): SourceSpec;
export function events(): Reduction;
export function entity(key: string, latestBy: ColumnSpec[]): Reduction;
export function dataset(
  name: string,
  kind: DatasetKind,
  columns: ColumnSpec[],
  reduction?: Reduction,
): DatasetSpec;
export function recommender(
  name: string,
  minInteractions: number | bigint,
  options?: { eventType?: string; needsItems?: boolean },
): RecommenderSpec;
export function option(name: string, description: string, defaultValue?: string): OptionSpec;
export function manifest(fields: {
  name: string;
  version: string;
  description?: string;
  /** ECOMMERCE, VIDEO_ON_DEMAND or your own: letters, digits, `_`, `-`. */
  domain: string;
  source: SourceSpec;
  datasets: DatasetSpec[];
  recommenders?: RecommenderSpec[];
  options?: OptionSpec[];
}): Manifest;

// ---- Masks ----

/**
 * A row selection, 32 rows per word: combine with and/or/andNot/not, apply with select().
 * A mask is a value: do not change its words once made (its count is computed once).
 */
export class Mask {
  constructor(words: Uint32Array, rows: number);
  readonly words: Uint32Array;
  readonly rows: number;
  static all(rows: number): Mask;
  static none(rows: number): Mask;
  static fromBitmap(bitmap: Uint8Array, rows: number): Mask;
  static fromValues(values: ArrayLike<unknown>): Mask;
  get(row: number): boolean;
  and(other: Mask): Mask;
  or(other: Mask): Mask;
  andNot(other: Mask): Mask;
  not(): Mask;
  count(): number;
  isAll(): boolean;
  indices(): Int32Array;
  /** The contract's bitmap layout (ceil(rows / 8) bytes), a copy. */
  toBitmap(): Uint8Array;
  /** The same bytes as a view of the words, for a kernel's argument. */
  bitmap(): Uint8Array;
}

// ---- Input columns ----

/** The input batch; columns by position or case-insensitive source column name. */
export class Input {
  constructor(batch: Batch, columnNames?: string[]);
  readonly rows: number;
  readonly batch: Batch;
  utf8(key: string | number): Utf8Column;
  int64(key: string | number): Int64Column;
  timestamp(key: string | number): TimestampColumn;
  float64(key: string | number): Float64Column;
  boolean(key: string | number): BoolColumn;
}

declare abstract class BaseColumn<T> {
  readonly rows: number;
  /** The contract's validity bitmap, undefined when no row is NULL. */
  readonly validity?: Uint8Array;
  /** Mask of the rows that are not NULL. */
  readonly valid: Mask;
  isNull(row: number): boolean;
  /** One row (null for NULL); a whole column is faster with values() or masks. */
  get(row: number): T | null;
  values(): (T | null)[];
  /** The finished column for an output batch. */
  finish(): Column;
}

export class Utf8Column extends BaseColumn<string> {
  constructor(offsets: Int32Array, data: Uint8Array, validity: Uint8Array | undefined, rows: number);
  readonly offsets: Int32Array;
  readonly data: Uint8Array;
  /** Rows neither NULL nor empty. */
  nonEmpty(): Mask;
  /** From the contract's utf8-values. */
  static fromBytes(values: Utf8Values, validity: Uint8Array | undefined, rows: number): Utf8Column;
  /** The rows `mask` selects, as a new column (the host's filter kernel in a component). */
  select(mask: Mask): Utf8Column;
  /** SQL coalesce(this, other) (the host's choose kernel in a component). */
  coalesce(other: Utf8Column): Utf8Column;
}

/** Values are read as Numbers (exact within ±2^53) without allocating a BigInt per row. */
export class Int64Column extends BaseColumn<number> {
  constructor(values: BigInt64Array, validity: Uint8Array | undefined, rows: number);
  readonly bigints: BigInt64Array;
  getBigInt(row: number): bigint | null;
  select(mask: Mask): this;
}

/** Microseconds since the Unix epoch, UTC. */
export class TimestampColumn extends Int64Column {
  /** Whole seconds, floored (pre-1970 values round down, unlike BigInt division): the host's
   * floor-divide kernel in a component. */
  seconds(): Int64Column;
}

export class Float64Column extends BaseColumn<number> {
  constructor(values: Float64Array, validity: Uint8Array | undefined, rows: number);
  select(mask: Mask): Float64Column;
}

export class BoolColumn extends BaseColumn<boolean> {
  constructor(bits: Uint8Array, validity: Uint8Array | undefined, rows: number);
  /** Rows that are TRUE (not FALSE, not NULL). */
  isTrue(): Mask;
  /** Rows that are FALSE (not TRUE, not NULL). */
  isFalse(): Mask;
  select(mask: Mask): BoolColumn;
}

// ---- Output builders ----

interface Builder<T> {
  /** Appends one value, or null for NULL. */
  push(value: T | null | undefined): this;
  finish(): Column;
}
export class Utf8Builder implements Builder<string | Uint8Array> {
  push(value: string | Uint8Array | null | undefined): this;
  finish(): Column;
}
export class Int64Builder implements Builder<number | bigint> {
  push(value: number | bigint | null | undefined): this;
  finish(): Column;
}
/** Microseconds since the Unix epoch, UTC. */
export class TimestampBuilder extends Int64Builder {}
export class Float64Builder implements Builder<number> {
  push(value: number | null | undefined): this;
  finish(): Column;
}
export class BoolBuilder implements Builder<boolean> {
  push(value: boolean | null | undefined): this;
  finish(): Column;
}
/** `rows` copies of one string. */
export function constantUtf8(value: string, rows: number): Column;

// ---- Output and export ----

type Finishable = Column | { finish(): Column };

/** Rows deliberately not emitted, counted by reason. */
export class DropCounter {
  /** Counts `rows` more rows (a number, or the rows a mask selects). */
  add(reason: string, rows?: number | Mask): this;
  finish(): DroppedRows[];
}
/** An output batch; every column must have the same length. */
export function batch(...columns: Finishable[]): Batch;
/** An output batch with an explicit row count. */
export function batchOf(rows: number, ...columns: Finishable[]): Batch;
/** The transform's result: one batch per manifest dataset, in manifest order. */
export function output(batches: Batch | Batch[], dropped?: DropCounter | DroppedRows[]): TransformOutput;
export function describeError(error: unknown): string;

export type Transform = (input: Input, options: Map<string, string>) => TransformOutput;
/** The object to export: `export const plugin = exportPlugin(MANIFEST, transform)`. */
export function exportPlugin(
  manifest: Manifest,
  transform: Transform,
): {
  describe(): Manifest;
  transform(options: [string, string][], input: Batch): TransformOutput;
};
