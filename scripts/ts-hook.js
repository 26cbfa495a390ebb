/**
 * Lets a plain Node script `require` the project's TypeScript modules from the sources (the drills,
 * `npm run restore`): each .ts file is transpiled on load (tsconfig has `isolatedModules`, so no
 * type information is needed; `npm run typecheck` checks types), as plan/run.js does with a cache.
 */
"use strict";
const fs = require("fs");
const Module = require("module");
const path = require("path");
const ts = require("typescript");

Module._extensions[".ts"] = function (module, filename) {
  if (filename.includes(`${path.sep}node_modules${path.sep}`)) throw new Error(`refusing to transpile ${filename}`);
  const out = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, isolatedModules: true, resolveJsonModule: true },
  }).outputText;
  module._compile(out, filename);
};
