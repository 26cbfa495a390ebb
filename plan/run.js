#!/usr/bin/env node
/**
 * `npm run plan -- [--stack <name>] ...`: runs plan/main.ts from the sources, without a build step
 * and without ts-node. The program reads files next to its modules (shell scripts, chart values),
 * so it must run where it lives, as the Pulumi CLI runs it, not from a compiled copy in bin/.
 *
 * TypeScript is transpiled file by file (tsconfig has `isolatedModules`, so no type information is
 * needed; `npm run typecheck` checks types). Results are cached by content hash under
 * node_modules/.cache/, so later runs do not even load the compiler.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "flatcarmicrocloud-plan");
const COMPILER_OPTIONS = {
  target: "ES2022",
  module: "commonjs",
  esModuleInterop: true,
  isolatedModules: true,
  resolveJsonModule: true,
  useDefineForClassFields: true,
};

let ts;
function compiler() {
  if (!ts) ts = require("typescript");
  return ts;
}

function installedTypescriptVersion() {
  // Part of the cache key, without loading the compiler itself.
  try {
    return JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
}

const keyPrefix = `${installedTypescriptVersion()}:${JSON.stringify(COMPILER_OPTIONS)}:`;

function transpile(source, filename) {
  const key = crypto.createHash("sha256").update(keyPrefix).update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    // not cached yet
  }
  const t = compiler();
  const out = t.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      ...COMPILER_OPTIONS,
      target: t.ScriptTarget.ES2022,
      module: t.ModuleKind.CommonJS,
    },
    reportDiagnostics: false,
  }).outputText;
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(`${cached}.${process.pid}`, out);
    fs.renameSync(`${cached}.${process.pid}`, cached);
  } catch {
    // a read-only tree still runs, only slower
  }
  return out;
}

Module._extensions[".ts"] = function (module, filename) {
  if (filename.split(path.sep).includes("node_modules")) throw new Error(`refusing to transpile ${filename}`);
  module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
};

require("./main.ts").cli(process.argv.slice(2));
