#!/usr/bin/env node
// rechost-plugin-build ENTRY.js|ENTRY.ts [-o OUT.wasm]
//
// `jco componentize` with what a rechost plugin needs, from the toolchain pinned in this
// package (offline once `npm ci` ran):
// - `--bundle`, with `rechost-plugin` resolved to this SDK, so local modules and the SDK are
//   inlined (componentize-js takes exactly one module); the condition "rechost-component"
//   makes the SDK's `#kernels` the host's kernels (the contract import, left external for
//   componentize-js), where node gets the JS reference;
// - `-d all`: no WASI feature linked (without it the component imports wasi:http, which the
//   host does not provide);
// - never `--aot` (it downloads a tool);
// - the WIT bundled in this package, world `domain-plugin`.
// It refuses a toolchain other than the pinned one, and checks that the component imports
// nothing but the contract's kernels.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SDK = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WIT = join(SDK, "wit");
const WORLD = "domain-plugin";
// The kernels interface, and the contract's type-only interfaces it and the export use.
const KERNELS = /^rechost:plugin\/kernels@0\.2\.\d+$/;
const CONTRACT_IMPORT = /^rechost:plugin\/(kernels|columns|types)@0\.2\.\d+$/;
// The toolchain this SDK is tested with; package.json pins the same versions.
const PINNED = {
  "@bytecodealliance/jco": "1.35.0",
  "@bytecodealliance/componentize-js": "0.23.0",
  // jco 1.35's own preview2-shim (0.26) cannot read WIT files from disk.
  "@bytecodealliance/preview2-shim": "0.25.0",
};

class BuildError extends Error {}

function packageDir(name, from) {
  // Node's own lookup (node_modules folders up from `from`); not require.resolve of
  // `name/package.json`, which a package's "exports" may hide.
  const require = createRequire(join(from, "package.json"));
  const dir = (require.resolve.paths(name) ?? [])
    .map((folder) => join(folder, name))
    .find((candidate) => existsSync(join(candidate, "package.json")));
  if (dir === undefined) {
    throw new BuildError(`${name} is not installed: run \`npm ci\` in ${SDK}`);
  }
  return dir;
}

function checkToolchain() {
  const jco = packageDir("@bytecodealliance/jco", SDK);
  const found = {
    "@bytecodealliance/jco": jco,
    // Resolved from jco: the copies jco itself will load.
    "@bytecodealliance/componentize-js": packageDir("@bytecodealliance/componentize-js", jco),
    "@bytecodealliance/preview2-shim": packageDir("@bytecodealliance/preview2-shim", jco),
  };
  for (const [name, dir] of Object.entries(found)) {
    const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    if (version !== PINNED[name]) {
      throw new BuildError(
        `${name} ${version} is installed (${dir}); this SDK needs ${PINNED[name]}: ` +
          `run \`npm ci\` in ${SDK} (package.json pins and overrides it)`,
      );
    }
  }
  return join(jco, "dist", "jco.js");
}

function jco(jcoBin, args) {
  const result = spawnSync(process.execPath, [jcoBin, ...args], { encoding: "utf8" });
  if (result.error) throw result.error;
  return result;
}

export function build(entry, out) {
  const jcoBin = checkToolchain();
  statSync(entry); // a missing entry is reported as such, not as a bundler error
  const work = mkdtempSync(join(tmpdir(), "rechost-plugin-"));
  try {
    const config = join(work, "bundle.config.mjs");
    const sdkEntry = join(SDK, "src", "index.js");
    writeFileSync(config, `export default {
  external: [${KERNELS}],
  resolve: {
    alias: { "rechost-plugin": ${JSON.stringify(sdkEntry)} },
    conditionNames: ["rechost-component", "import", "module", "default"],
  },
};\n`);
    const result = jco(jcoBin, [
      "componentize", resolve(entry), "--bundle", "--bundle-config", config,
      "--wit", WIT, "--world-name", WORLD, "-d", "all", "-o", resolve(out),
    ]);
    if (result.status !== 0) {
      throw new BuildError(`jco componentize failed on ${entry}:\n${result.stderr || result.stdout}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  checkImports(jcoBin, out);
  return out;
}

/**
 * The host links no WASI for plugins, only the contract's kernels (and its types): a
 * component importing anything else would be refused at load.
 */
function checkImports(jcoBin, out) {
  const result = jco(jcoBin, ["wit", resolve(out)]);
  if (result.status !== 0) throw new BuildError(`jco wit ${out} failed:\n${result.stderr}`);
  const imports = result.stdout.split("\n").flatMap((l) => /^\s*import (.*?);?$/.exec(l)?.[1] ?? []);
  const foreign = imports.filter((name) => !CONTRACT_IMPORT.test(name));
  if (foreign.length > 0) {
    throw new BuildError(`${out} imports ${foreign.join(", ")}; rechost plugins may import nothing else`);
  }
}

function main(argv) {
  const args = [...argv];
  let out = "plugin.wasm";
  const o = args.findIndex((a) => a === "-o" || a === "--out");
  if (o >= 0) {
    out = args[o + 1];
    args.splice(o, 2);
  }
  if (args.length !== 1 || !out || args[0].startsWith("-")) {
    console.error("usage: rechost-plugin-build ENTRY.js|ENTRY.ts [-o OUT.wasm]");
    return 2;
  }
  try {
    build(args[0], out);
    console.log(`wrote ${out} (${(statSync(out).size / 1e6).toFixed(1)} MB)`);
    return 0;
  } catch (error) {
    console.error(`error: ${error instanceof BuildError ? error.message : error.stack}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
