#!/usr/bin/env node
/**
 * `npm run bench [-- --runs N]`: how long the offline plan of the prod stack takes, against the floor
 * no plan can beat: a bare `require` of the Pulumi SDKs the plan loads. Both are timed in fresh Node
 * processes (N runs each, interleaved, median reported), so module loading counts as a user sees
 * it. The first plan run (untimed) also warms plan/run.js's transpile cache, as any second run would.
 */
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const PLAN = [path.join(ROOT, "plan", "run.js"), "--stack", "prod", "--no-diagram"];

function runs() {
  const i = process.argv.indexOf("--runs");
  const n = i >= 0 ? Number(process.argv[i + 1]) : 3;
  if (!Number.isInteger(n) || n < 1) throw new Error("--runs needs a positive whole number");
  return n;
}

/** Wall time of one fresh `node` process in milliseconds; throws if it fails. */
function time(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return ms;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The @pulumi packages a plan run loads, read from require.cache by a preload at exit. */
function sdksThePlanLoads() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-bench-"));
  const out = path.join(dir, "sdks.json");
  const probe = path.join(dir, "probe.js");
  fs.writeFileSync(
    probe,
    `process.on("exit", () => {
  const names = new Set();
  for (const p of Object.keys(require.cache)) {
    const m = /node_modules[\\\\/]@pulumi[\\\\/]([^\\\\/]+)[\\\\/]/.exec(p);
    if (m) names.add("@pulumi/" + m[1]);
    else if (/[\\\\/]sdks[\\\\/]libvirt[\\\\/]/.test(p)) names.add("@pulumi/libvirt");
  }
  require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify([...names].sort()));
});
`,
  );
  time(["--require", probe, ...PLAN]);
  const sdks = JSON.parse(fs.readFileSync(out, "utf8"));
  fs.rmSync(dir, { recursive: true, force: true });
  return sdks;
}

function main() {
  const n = runs();
  const sdks = sdksThePlanLoads();
  const requireAll = `for (const m of ${JSON.stringify(sdks)}) require(m);`;
  const plan = [];
  const floor = [];
  for (let i = 0; i < n; i++) {
    plan.push(time(PLAN));
    floor.push(time(["-e", requireAll]));
  }
  const p = median(plan);
  const f = median(floor);
  const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(", ");
  process.stdout.write(
    [
      `plan of prod (fresh process, ${n} runs): median ${p.toFixed(0)} ms  [${fmt(plan)}]`,
      `floor, require of ${sdks.join(", ")}: median ${f.toFixed(0)} ms  [${fmt(floor)}]`,
      `ratio plan / floor: ${(p / f).toFixed(2)}x (the plan's own work: ${(p - f).toFixed(0)} ms)`,
      "",
    ].join("\n"),
  );
}

main();
