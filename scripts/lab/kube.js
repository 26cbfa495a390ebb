#!/usr/bin/env node
/**
 * `npm run lab:kube`: stages 3 and 4 of the program under the real Pulumi engine and the real
 * Kubernetes provider, against a real control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler of the pinned K3s's Kubernetes release) whose nodes and pods kwok simulates
 * (docs/lab.md).
 *
 * One line per step, then `N passed, N failed`; exit status 1 when a step failed. Everything runs in
 * a network namespace of the lab's own with only `lo` (fmc-kube): this script re-runs itself inside
 * it, and the outer process deletes the namespace at the end whatever happened. Logs and figures:
 * $FMC_LAB_CACHE/kube-run/.
 *
 *   node scripts/lab/kube.js [--check] [--stack prod]
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { spawn } = require("child_process");
const { cacheDir, readToolchain } = require("./toolchain");
const { sh } = require("./common");

const ROOT = path.resolve(__dirname, "..", "..");
const CACHE = cacheDir();
const RUN = path.join(CACHE, "kube-run");
const NETNS = "fmc-kube";
/** What the control plane steps need; the Pulumi steps also need pulumi-resource-kubernetes (else skipped). */
const KUBE_PIECES = ["pulumi", "kubernetes", "etcd", "kwok"];
/** The shared chart repository beside the repository (FMC_LAB_CHARTS for a worktree elsewhere). */
const CHARTS = process.env.FMC_LAB_CHARTS || path.resolve(ROOT, "..", "shared", "charts");
const PROJECT_NAME = "flatcarmicrocloud";
/** The stack config keys of issue 17's features (an existing cluster; a chart mirror). */
const FEATURE_KEYS = ["kubeconfig", "chartMirror"];

function argValue(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const STACK = argValue("--stack", "prod");

/** Why lab:kube cannot run on this machine, or undefined when it can. */
function cannotRun() {
  const toolchain = readToolchain();
  if (!toolchain) return `the toolchain is not built here (npm run lab:build; cache ${CACHE})`;
  const missing = KUBE_PIECES.filter((n) => !toolchain.usable(n));
  if (missing.length > 0) return `the toolchain lacks ${missing.join(", ")} (npm run lab:build)`;
  if (process.getuid && process.getuid() !== 0) return "needs root (a network namespace of its own)";
  const tools = ["ip", "openssl"].filter((t) => sh("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (tools.length > 0) return `missing ${tools.join(", ")} (apt-get install iproute2 openssl)`;
  return undefined;
}

// ---- outer: the namespace around the run ------------------------------------------------------

function killLeftovers() {
  const pids = path.join(RUN, "pids");
  if (!fs.existsSync(pids)) return;
  for (const pid of fs.readFileSync(pids, "utf8").split("\n").filter(Boolean).map(Number)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function outer() {
  const why = cannotRun();
  if (process.argv.includes("--check")) {
    console.log(why ? `lab:kube: cannot run: ${why}` : "lab:kube: the toolchain is built and the host has what lab:kube needs");
    process.exit(why ? 1 : 0);
  }
  if (why) {
    console.log(`lab:kube: cannot run: ${why}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  // A run killed half-way left its processes and namespace: clear them first.
  killLeftovers();
  sh("ip", ["netns", "del", NETNS]);
  fs.rmSync(RUN, { recursive: true, force: true });
  fs.mkdirSync(RUN, { recursive: true });
  const add = sh("ip", ["netns", "add", NETNS]);
  if (add.status !== 0) {
    console.log(`FAIL network namespace ${NETNS} - ${add.stderr.trim()}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  sh("ip", ["-n", NETNS, "link", "set", "lo", "up"]);
  const child = spawn("ip", ["netns", "exec", NETNS, process.execPath, __filename, "--inside", ...process.argv.slice(2)], { stdio: "inherit" });
  const code = await new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  killLeftovers();
  const del = sh("ip", ["netns", "del", NETNS]);
  if (del.status !== 0) {
    console.log(`FAIL network namespace ${NETNS} deleted - ${del.stderr.trim()}`);
    process.exit(1);
  }
  process.exit(code);
}

if (!process.argv.includes("--inside")) {
  outer().catch((e) => {
    console.error(e);
    console.log("0 passed, 1 failed");
    process.exit(1);
  });
} else {
  require("./kube-inside").main({ ROOT, CACHE, RUN, STACK, CHARTS, PROJECT_NAME, FEATURE_KEYS, NETNS, crypto }).catch((e) => {
    console.error(e);
    console.log("0 passed, 1 failed");
    process.exit(1);
  });
}
