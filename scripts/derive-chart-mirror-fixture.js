#!/usr/bin/env node
// Derives tests/fixtures/chart-mirror-index.json from a classic chart repository's index.yaml: for
// every chart the program pins (versions.ts CHARTS, under the name a mirror serves it by:
// platform/chart-source.ts), the index entry of that name and version (archive URL and digest), so the
// tests can check on a fresh clone that a mirror like ../shared/charts serves every pinned chart.
//
//   node scripts/derive-chart-mirror-fixture.js [chartsDir] [fixture]
//
// Defaults: ../shared/charts (relative to the repo root) and tests/fixtures/chart-mirror-index.json.
// The pinned names and versions are passed in as JSON on stdin ([{ name, version }]), so the script
// needs no TypeScript: tests/chart-mirror.test.ts runs it and compares its output with the fixture.
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const repoRoot = path.join(__dirname, "..");
const chartsDir = path.resolve(process.argv[2] || path.join(repoRoot, "..", "shared", "charts"));
const out = path.resolve(process.argv[3] || path.join(repoRoot, "tests", "fixtures", "chart-mirror-index.json"));

const pinned = JSON.parse(fs.readFileSync(0, "utf8"));
const index = YAML.parse(fs.readFileSync(path.join(chartsDir, "index.yaml"), "utf8"));
const charts = pinned.map(({ name, version }) => {
  const entry = (index.entries[name] || []).find((e) => e.version === version);
  if (!entry) return { name, version, missing: true };
  return { name, version, urls: entry.urls, digest: entry.digest };
});
fs.writeFileSync(out, `${JSON.stringify({ derivedFrom: "shared/charts/index.yaml", charts }, null, 2)}\n`);
