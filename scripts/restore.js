#!/usr/bin/env node
/**
 * `npm run restore -- etcd --snapshot <name> [--stack <stack>] [--rebuilt] [--even-if-healthy] [--dry-run] [--from <step>]`:
 * restores the K3s cluster's etcd from a snapshot (docs/backups.md, "K3s etcd"). Reads the stack's
 * outputs `nodes` (SSH routes) and `k3sNodes` with the Pulumi CLI, then runs
 * cluster/scripts/restore-etcd.sh over SSH on each K3s node, in the order cluster/etcd-restore.ts
 * plans: preflight on every server (refuses a healthy cluster unless --even-if-healthy; with
 * --rebuilt, unless it was created after the snapshot), stop K3s everywhere, cluster-reset on the
 * first server, the others rejoin; with --rebuilt also the lost machines' node passwords deleted
 * and the agents restarted, and the live Ceph cluster carried over the snapshot's (platform/
 * ceph-restore.ts: its identity captured before the stop, put back after the reset with Rook's
 * operator held at 0, resumed once every node is back, then the claims on lost images listed with
 * Velero's commands). Stops at the first failing step.
 * SSH uses your own agent and keys (OpenSSH, BatchMode), through the bastion like the program does.
 */
"use strict";
require("./ts-hook");
const { spawnSync } = require("child_process");
const { planEtcdRestore, snapshotTime, sshArgs } = require("../cluster/etcd-restore.ts");
const { renderRestoreEtcd } = require("../cluster/scripts.ts");
const { CEPH_RESTORE_SCRIPT, CEPH_RESTORE_STATE, renderRestoreCeph, ROOK_NAMESPACE, withCephSteps } = require("../platform/ceph-restore.ts");

function usage(message) {
  if (message) console.error(`restore: ${message}`);
  console.error("usage: npm run restore -- etcd --snapshot <name|/path> [--stack <stack>] [--rebuilt] [--even-if-healthy] [--dry-run] [--from <step>]");
  process.exit(2);
}

const argv = process.argv.slice(2);
const kind = argv[0];
if (kind !== "etcd") usage(kind ? `unknown kind "${kind}" (this command restores: etcd; PostgreSQL: fmc-postgresql-pitr on its VM)` : "which kind?");
const value = (flag) => {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  if (!argv[i + 1] || argv[i + 1].startsWith("--")) usage(`${flag} needs a value`);
  return argv[i + 1];
};
const snapshot = value("--snapshot");
if (!snapshot) usage("--snapshot is required (list them: `sudo k3s etcd-snapshot ls` on a server, or the bucket's flatcarmicrocloud/<stack>/etcd/)");
const stack = value("--stack");
const pulumi = process.env.PULUMI || "pulumi";

function output(name) {
  const r = spawnSync(pulumi, ["stack", "output", "--json", ...(stack ? ["--stack", stack] : []), name], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`pulumi stack output ${name} failed: ${r.error ? r.error.message : r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

const rebuilt = argv.includes("--rebuilt");
// Onto a rebuilt stack the snapshot's time is what tells the rebuilt cluster and its Ceph cluster
// from the lost ones (--even-if-healthy waives the first check, not the Ceph steps').
if (rebuilt && snapshotTime(snapshot) === undefined) {
  usage(`--rebuilt: "${snapshot}" does not end in K3s's snapshot time (<name>-<node>-<unix seconds>[.zip]), by which the restore tells the rebuilt stack's cluster and Ceph cluster from the lost ones; use the name K3s gave it`);
}
let steps;
try {
  const k3sNodes = output("k3sNodes");
  const etcdSteps = planEtcdRestore({
    servers: (k3sNodes && k3sNodes.servers) || [],
    agents: (k3sNodes && k3sNodes.agents) || [],
    nodes: output("nodes") || [],
    snapshot,
    evenIfHealthy: argv.includes("--even-if-healthy"),
    rebuilt,
  });
  steps = rebuilt ? withCephSteps(etcdSteps, snapshot) : etcdSteps;
} catch (e) {
  console.error(`restore: ${e.message}`);
  process.exit(1);
}
const scripts = { etcd: renderRestoreEtcd(), [CEPH_RESTORE_SCRIPT]: rebuilt ? renderRestoreCeph() : "" };
// After the reset the restored cluster answers, so a run again stops at its preflight: `--from <n>`
// runs the steps from n on, never one at or before the reset (those are the preflight's to guard).
const resetAt = steps.findIndex((x) => x.args[0] === "reset") + 1;
const fromFlag = value("--from");
const from = fromFlag === undefined ? 1 : Number(fromFlag);
if (!Number.isInteger(from) || from < 1 || from > steps.length || (fromFlag !== undefined && from <= resetAt)) {
  usage(`--from takes a step after the reset (${resetAt + 1} to ${steps.length}): the steps up to the reset run only behind the preflight`);
}
for (const [i, s] of steps.entries()) {
  if (i + 1 < from) continue;
  const line = `ssh ${sshArgs(s).join(" ")}`;
  console.log(`[${i + 1}/${steps.length}] ${s.node}: ${s.args.join(" ")} (${s.why})`);
  if (argv.includes("--dry-run")) {
    console.log(`  ${line}`);
    continue;
  }
  const r = spawnSync(process.env.SSH || "ssh", sshArgs(s), { input: scripts[s.script || "etcd"], stdio: ["pipe", "inherit", "inherit"] });
  if (r.error || r.status !== 0) {
    const refused = r.status === 3;
    console.error(`restore: ${s.node}: ${s.args[0]} ${refused ? "refused" : `failed (${r.error ? r.error.message : `exit ${r.status}`})`}; stopped here`);
    if (i + 1 > resetAt) {
      console.error(`restore: the reset is done and the restored cluster answers: fix the cause, then run the rest with the same command and --from ${i + 1}`);
    } else if (i >= steps.findIndex((x) => x.args[0] === "stop")) {
      console.error("restore: K3s may be stopped on some servers now: fix the cause and run the same command again");
    }
    process.exit(refused ? 3 : 1);
  }
}
if (!argv.includes("--dry-run")) {
  console.log("restore: done; check `kubectl get nodes` and the workloads, then delete the servers' *.before-restore-* once the cluster is right");
  if (rebuilt) console.log(`restore: Ceph: check \`kubectl -n ${ROOK_NAMESPACE} get cephcluster\` (HEALTH_OK once the OSDs are up), then delete ${CEPH_RESTORE_STATE} on ${steps[resetAt - 1].node}`);
  if (rebuilt) {
    // The restored cluster has the lost cluster's CA and the stack's ServiceAccount token from the
    // snapshot: the kubeconfig in the Pulumi state (read from the rebuilt cluster) no longer works.
    console.log("restore: the Pulumi state holds the rebuilt cluster's kubeconfig; read the restored one: pulumi up --replace \"$(pulumi stack --show-urns | grep -o 'urn:pulumi:[^ ]*::cluster-kubeconfig')\"");
  }
}
