#!/usr/bin/env node
/**
 * `npm run lab:figures`: the durations the last `npm run lab` measured on this machine (wall clock of
 * each CLI command, program start included), from $FMC_LAB_CACHE/run/figures.json, and those of the
 * last `npm run lab:kube` (with its counts and the control plane's memory), from kube-run/.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { cacheDir } = require("./toolchain");

const file = path.join(cacheDir(), "run", "figures.json");
const kubeFile = path.join(cacheDir(), "kube-run", "figures.json");
if (!fs.existsSync(file) && !fs.existsSync(kubeFile)) {
  console.error(`lab:figures: no lab run recorded here (${file}, ${kubeFile}); run npm run lab or lab:kube`);
  process.exit(1);
}
if (fs.existsSync(file)) printLab(JSON.parse(fs.readFileSync(file, "utf8")));
if (fs.existsSync(kubeFile)) printKube(JSON.parse(fs.readFileSync(kubeFile, "utf8")));

function printLab({ date, accel, seconds }) {
  const labels = {
    previewDev: "preview dev (stage 1, policy pack)",
    previewProd: "preview prod (whole graph, stand-ins)",
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
}

function printKube({ date, stack, kubernetesVersion, seconds, counts, memoryMiB, memoryIdleMiB }) {
  const kubeLabels = {
    apiserverReady: "etcd + apiserver ready",
    nodesReady: "KWOK nodes Ready",
    preview: "preview (policy pack)",
    up: "up (platform and apps)",
    noOpUp: "up --expect-no-changes",
    dayTwoAdd: "day two: add an app",
    dayTwoChange: "day two: image tag and replicas",
    dayTwoRemove: "day two: remove an app",
    dayTwoTls: "day two: tlsIssuer none -> selfSigned",
    dayTwoTlsBack: "day two: tlsIssuer back to none",
    optInsRefused: "opt-ins: the capacity check's refusal",
    optInsRoom: "opt-ins: room (nodes in existingNodes)",
    optInsOn: "opt-ins on (preview, up, no-op)",
    optInsOff: "opt-ins off (preview, up, no-op)",
    destroy: "destroy",
  };
  console.log(`lab:kube run of ${date}, stack ${stack}, Kubernetes ${kubernetesVersion}`);
  for (const [key, label] of Object.entries(kubeLabels)) {
    if (seconds[key] !== undefined) console.log(`  ${label.padEnd(38)} ${seconds[key].toFixed(1).padStart(6)} s`);
  }
  if (counts && counts.releases !== undefined) {
    console.log(`  ${counts.releases} Helm releases, ${counts.pulumiKubernetes} Kubernetes resources in the state, ${counts.objects} objects in ${counts.namespaces} namespaces, ${counts.pods} pods`);
  }
  for (const [when, m] of [["idle (nodes Ready)", memoryIdleMiB], ["after up", memoryMiB]]) {
    const mem = Object.entries(m || {}).filter(([, v]) => v !== undefined);
    if (mem.length > 0) console.log(`  control plane memory ${when}: ${mem.map(([k, v]) => `${k} ${v} MiB`).join(", ")} (total ${mem.reduce((s, [, v]) => s + v, 0)} MiB)`);
  }
}
