// Lets node resolve `rechost-plugin` to the SDK, as the build does (no node_modules needed).
import { register } from "node:module";

const sdk = new URL("file://{{sdk}}/src/index.js").href;
const hook = `export async function resolve(specifier, context, next) {
  return specifier === "rechost-plugin" ? { url: ${JSON.stringify(sdk)}, shortCircuit: true } : next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
