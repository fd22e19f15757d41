// Write rechost domain plugins in JavaScript (componentize-js); see ../README.md.

export { Mask } from "./mask.js";
export {
  BoolColumn, Float64Column, Input, Int64Column, TimestampColumn, Utf8Column,
} from "./columns.js";
export {
  BoolBuilder, Float64Builder, Int64Builder, TimestampBuilder, Utf8Builder, constantUtf8,
} from "./builders.js";
export { column, dataset, entity, events, manifest, option, recommender, source } from "./manifest.js";
export { DropCounter, batch, batchOf, describeError, exportPlugin, output } from "./plugin.js";

/** The WIT package this SDK bundles (wit/plugin.wit). */
export const CONTRACT = "rechost:plugin@0.2.0";
