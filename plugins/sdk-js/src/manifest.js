// Manifest helpers: plain functions returning the contract's records (WIT spellings for enum
// values, checked here so a typo fails when the component is built, not in the host).

const DATA_TYPES = ["utf8", "int64", "float64", "boolean", "timestamp"];
const ROLES = ["user-id", "item-id", "event-type", "event-time"];
const KINDS = ["interactions", "users", "items", "other"];

function oneOf(value, choices, what) {
  if (!choices.includes(value)) {
    throw new Error(`${what} ${JSON.stringify(value)} is not one of: ${choices.join(", ")}`);
  }
  return value;
}

/** A column; options: { nullable = true, categorical = false, role } */
export function column(name, dataType, { nullable = true, categorical = false, role } = {}) {
  return {
    name,
    dataType: oneOf(dataType, DATA_TYPES, `column "${name}": data type`),
    nullable: Boolean(nullable),
    categorical: Boolean(categorical),
    role: role === undefined || role === null ? undefined : oneOf(role, ROLES, `column "${name}": role`),
  };
}

/** The table the plugin reads; `timeColumn` names one of `columns` (a timestamp). */
export function source(table, columns, timeColumn) {
  const names = columns.map((c) => c.name);
  if (!names.includes(timeColumn)) {
    throw new Error(`source time column "${timeColumn}" is not one of: ${names.join(", ")}`);
  }
  return { table, columns, timeColumn };
}

/** Reduction: every row is written. */
export function events() {
  return { tag: "events" };
}

/** Reduction: one row per `key`, the greatest by `latestBy` (appended after the columns). */
export function entity(key, latestBy) {
  return { tag: "entity", val: { key, latestBy } };
}

export function dataset(name, kind, columns, reduction = events()) {
  if (reduction.tag === "entity" && !columns.some((c) => c.name === reduction.val.key)) {
    throw new Error(`dataset "${name}": key "${reduction.val.key}" is not one of its columns`);
  }
  return { name, kind: oneOf(kind, KINDS, `dataset "${name}": kind`), columns, reduction };
}

/** A recommender; options: { eventType, needsItems = false } */
export function recommender(name, minInteractions, { eventType, needsItems = false } = {}) {
  return {
    name,
    minInteractions: BigInt(minInteractions),
    eventType: eventType ?? undefined,
    needsItems: Boolean(needsItems),
  };
}

/** A setting users pass with `--option NAME=VALUE`. */
export function option(name, description, defaultValue = "") {
  return { name, description, defaultValue };
}

export function manifest({
  name, version, description = "", domain, source, datasets, recommenders = [], options = [],
}) {
  if (!name || !version || !source || !datasets) {
    throw new Error("manifest needs name, version, domain, source and datasets");
  }
  // It names the readiness report file.
  if (!/^[A-Za-z0-9_-]+$/.test(domain ?? "")) {
    throw new Error(`manifest domain ${JSON.stringify(domain)} must be letters, digits, "_" or "-"`);
  }
  return { name, version, description, domain, source, datasets, recommenders, options };
}
