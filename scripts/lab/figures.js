#!/usr/bin/env node
/**
 * `npm run lab:figures`: the durations the last `npm run lab` measured on this machine (wall clock of
 * each CLI command, program start included), from $FMC_LAB_CACHE/run/figures.json.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { cacheDir } = require("./toolchain");

const file = path.join(cacheDir(), "run", "figures.json");
if (!fs.existsSync(file)) {
  console.error(`lab:figures: no lab run recorded here (${file}); run npm run lab`);
  process.exit(1);
}
const { date, accel, seconds } = JSON.parse(fs.readFileSync(file, "utf8"));
const labels = {
  previewDev: "preview dev (stage 1, policy pack)",
  preview: "preview lab (policy pack)",
  up: "up lab (stage 1, created)",
  noOpUp: "second up (no changes)",
  dayTwoPreview: "day-two preview (add a VM)",
  destroy: "destroy lab",
};
console.log(`lab run of ${date}, VMs under ${accel === "kvm" ? "KVM" : "TCG"}`);
for (const [key, label] of Object.entries(labels)) {
  if (seconds[key] !== undefined) console.log(`  ${label.padEnd(38)} ${seconds[key].toFixed(1).padStart(6)} s`);
}
