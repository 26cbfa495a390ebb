#!/usr/bin/env node
/**
 * `npm run drill:postgresql [-- --rows N]`: the PostgreSQL restore drill (bench/pg-drill.ts) with a
 * stated data size, printing the figures for the README's table: database size, full backup time,
 * and the restore to a point in time (RTO) with the rows compared. Needs root and the tools .ci/run
 * installs (Debian postgresql, pgbackrest, haproxy, curl; moto[server] in .venv-drill).
 * TypeScript is transpiled on load (scripts/ts-hook.js).
 */
"use strict";
require("../scripts/ts-hook");

const { Drill, drillToolsMissing, restoreToPointInTime } = require("./pg-drill.ts");

const i = process.argv.indexOf("--rows");
const rows = i >= 0 ? Number(process.argv[i + 1]) : 1000000;
if (!Number.isInteger(rows) || rows < 1) throw new Error("--rows needs a positive whole number");
const missing = drillToolsMissing();
if (missing.length > 0) {
  console.error(`drill:postgresql needs: ${missing.join(", ")} (bash .ci/run installs them; run as root)`);
  process.exit(1);
}
const log = (line) => console.log(`  ${line}`);
const d = new Drill({ log });
try {
  d.start();
  const on = d.backupsCommand(d.settings());
  if (on.status !== 0) throw new Error(`the backups command failed:\n${on.output}`);
  const r = restoreToPointInTime(d, { rows, log });
  if (!r.restoredMatches) throw new Error(`restored rows differ: ${r.restoredRows} restored, ${r.rowsBefore} expected`);
  console.log(
    `PostgreSQL drill: ${rows} rows, database ${(r.dataBytes / 1024 / 1024).toFixed(0)} MiB; full backup ${r.backupSeconds.toFixed(1)} s; ` +
      `restore to ${r.target} ${r.restoreSeconds.toFixed(1)} s (RTO), ${r.restoredRows} rows as at that time`,
  );
} finally {
  d.stop();
}
