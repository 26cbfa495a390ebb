#!/usr/bin/env node
/**
 * `npm run drill:etcd [-- --objects N] [-- --bytes B]`: the etcd restore drill (issue 18 item 7),
 * with the Kubernetes lab's real etcd 3.6.8 and kube-apiserver v1.36.5 (`npm run lab:build`) and the
 * drills' real S3 server (bench/s3-standin.ts: moto behind HAProxy's TLS, on 127.0.0.1):
 *
 *   etcd + apiserver -> N ConfigMaps of B bytes through the API -> a snapshot from the live member
 *   (`etcdctl snapshot save`: the client/v3 snapshot call K3s's etcd-snapshot makes) -> uploaded
 *   (signed, TLS) below <prefix>/etcd/ as K3s names them -> one more object (after the snapshot)
 *   -> etcd and the apiserver stopped, etcd's data directory and the local snapshot wiped ->
 *   timed from here: download, `etcdutl snapshot restore` (the etcdutl/v3 snapshot restore that K3s's
 *   cluster-reset calls), etcd and the apiserver started, /readyz -> the apiserver serves the same N
 *   objects (names and data compared) and not the one written after the snapshot.
 *
 * What it cannot run: K3s itself (its `k3s server --cluster-reset`): the module proxy serves no
 * K3s binary we could build here (docs/backups.md gives the exact refusal), so the drill calls the
 * same etcd libraries through etcd's own tools. Runs in a network namespace of its own (unshare -n:
 * only `lo`), so its fixed ports collide with nothing. Needs root and the lab toolchain.
 * One line per step, then the figures; exit 1 when a step fails or the objects differ.
 */
"use strict";
require("../scripts/ts-hook");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn, spawnSync, execFileSync } = require("child_process");
const { cacheDir, readToolchain } = require("../scripts/lab/toolchain");

const BIN = path.join(cacheDir(), "bin");
const TOOLS = ["etcd", "etcdctl", "etcdutl", "kube-apiserver"];
const BUCKET = "fmc-drill";
/** The key layout K3s uses: `etcd-s3-folder` (flatcarmicrocloud/<stack>/etcd) and its snapshot names. */
const FOLDER = "flatcarmicrocloud/drill/etcd";
const CREDENTIALS = { accessKeyId: "AKIAFMCETCDDRILL", secretAccessKey: "etcd-drill-secret-key-0123" };
const NAMESPACE = "etcd-drill";

function argNumber(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive whole number`);
  return n;
}

/** Why the drill cannot run here, or undefined. */
function cannotRun() {
  const toolchain = readToolchain();
  if (!toolchain) return `the lab toolchain is not built here (npm run lab:build; cache ${cacheDir()})`;
  const missing = TOOLS.filter((t) => !fs.existsSync(path.join(BIN, t)));
  if (missing.length > 0) return `the toolchain lacks ${missing.join(", ")} (npm run lab:build -- --only etcd,kubernetes)`;
  if (process.getuid && process.getuid() !== 0) return "needs root (a network namespace of its own)";
  const { s3StandInToolsMissing } = require("./s3-standin.ts");
  const tools = [...["unshare", "ip", "openssl"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0), ...s3StandInToolsMissing()];
  if (tools.length > 0) return `missing ${tools.join(", ")} (bash .ci/run installs them)`;
  return undefined;
}

/** Differences between two `name -> sha256 of data` maps: what the restore lost, changed or invented. */
function diffObjects(expected, actual) {
  const problems = [];
  for (const [name, hash] of Object.entries(expected)) {
    if (!(name in actual)) problems.push(`missing ${name}`);
    else if (actual[name] !== hash) problems.push(`changed ${name}`);
  }
  for (const name of Object.keys(actual)) if (!(name in expected)) problems.push(`unexpected ${name}`);
  return problems;
}

async function inside() {
  const { ControlPlane, kubeClient, waitFor, API, SERVICE_IP } = require("../scripts/lab/kube-control-plane");
  const { makePki } = require("../scripts/lab/kube-pki");
  const { S3StandIn } = require("./s3-standin.ts");
  const objects = argNumber("--objects", 5000);
  const bytes = argNumber("--bytes", 1024);
  const run = fs.mkdtempSync(path.join(os.tmpdir(), "fmc-etcd-drill-"));
  const step = (text) => console.log(`  ${text}`);
  const s3 = new S3StandIn(path.join(run, "tls"), 9443, BUCKET);
  const cp = new ControlPlane({ bin: BIN, run, pki: makePki(path.join(run, "pki"), { server: `https://${API.host}:${API.port}`, serviceIp: SERVICE_IP }) });
  const kube = kubeClient(cp.pki);
  const etcdctl = (...args) => execFileSync(path.join(BIN, "etcdctl"), ["--endpoints=http://127.0.0.1:2379", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const apiReady = () => waitFor("kube-apiserver /readyz", 300, async () => (await kube.request("GET", "/readyz")).status === 200);
  const listed = async () => {
    const out = {};
    let cont = "";
    do {
      const page = await kube.get(`/api/v1/namespaces/${NAMESPACE}/configmaps?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
      for (const cm of page.items) out[cm.metadata.name] = crypto.createHash("sha256").update(JSON.stringify(cm.data || {})).digest("hex");
      cont = page.metadata.continue;
    } while (cont);
    return out;
  };
  try {
    s3.start();
    step(`S3 stand-in: moto behind HAProxy's TLS at ${s3.url}, bucket ${BUCKET}`);
    cp.startEtcd();
    cp.startApiserver();
    await apiReady();
    const version = (await kube.get("/version")).gitVersion;
    step(`etcd ${etcdctl("version").split("\n")[0].replace("etcdctl version: ", "")} and kube-apiserver ${version} ready`);

    await kube.post("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    const payload = (i) => crypto.createHash("sha512").update(`object ${i}`).digest("hex").repeat(Math.ceil(bytes / 128)).slice(0, bytes);
    let next = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < objects) {
          const i = next++;
          await kube.post(`/api/v1/namespaces/${NAMESPACE}/configmaps`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `object-${i}` }, data: { payload: payload(i) } });
        }
      }),
    );
    const expected = await listed();
    if (Object.keys(expected).length !== objects) throw new Error(`created ${objects} objects, the apiserver lists ${Object.keys(expected).length}`);
    const dbBytes = JSON.parse(etcdctl("endpoint", "status", "-w", "json"))[0].Status.dbSize;
    step(`${objects} ConfigMaps of ${bytes} bytes created in ${((Date.now() - t0) / 1000).toFixed(1)} s; etcd's database ${(dbBytes / 1048576).toFixed(1)} MiB`);

    // K3s's scheduled snapshot name: etcd-snapshot-<node>-<unix time>.
    const name = `etcd-snapshot-drill1-${Math.floor(Date.now() / 1000)}`;
    const local = path.join(run, "snapshots", name);
    fs.mkdirSync(path.dirname(local), { recursive: true });
    let t = Date.now();
    etcdctl("snapshot", "save", local);
    const snapshotBytes = fs.statSync(local).size;
    s3.upload(local, `${FOLDER}/${name}`, CREDENTIALS);
    step(`snapshot ${name} (${(snapshotBytes / 1048576).toFixed(1)} MiB) saved and uploaded in ${((Date.now() - t) / 1000).toFixed(1)} s: s3://${BUCKET}/${FOLDER}/${name}`);
    if (!s3.bucketKeys().includes(`${FOLDER}/${name}`)) throw new Error("the snapshot is not in the bucket");
    await kube.post(`/api/v1/namespaces/${NAMESPACE}/configmaps`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "after-the-snapshot" }, data: { payload: "lost by design" } });

    await cp.stop();
    fs.rmSync(path.join(run, "etcd"), { recursive: true, force: true });
    fs.rmSync(path.dirname(local), { recursive: true, force: true });
    step("disaster: etcd and the apiserver stopped, etcd's data directory and the local snapshot wiped");

    t = Date.now();
    const downloaded = path.join(run, "restore", name);
    fs.mkdirSync(path.dirname(downloaded), { recursive: true });
    s3.download(`${FOLDER}/${name}`, downloaded, CREDENTIALS);
    const tDownload = (Date.now() - t) / 1000;
    execFileSync(path.join(BIN, "etcdutl"), ["snapshot", "restore", downloaded, `--data-dir=${path.join(run, "etcd")}`, "--name=fmc-lab", "--initial-cluster=fmc-lab=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380"], { stdio: ["ignore", "ignore", "pipe"] });
    const tRestore = (Date.now() - t) / 1000;
    cp.startEtcd();
    cp.startApiserver();
    await apiReady();
    const rto = (Date.now() - t) / 1000;
    step(`restored: download ${tDownload.toFixed(1)} s, etcdutl snapshot restore ${(tRestore - tDownload).toFixed(1)} s, etcd and apiserver ready ${(rto - tRestore).toFixed(1)} s`);

    const actual = await listed();
    const lost = "after-the-snapshot" in actual ? ["the object written after the snapshot is back"] : [];
    delete actual["after-the-snapshot"];
    const problems = [...diffObjects(expected, actual), ...lost];
    if (problems.length > 0) throw new Error(`the restored apiserver differs: ${problems.slice(0, 10).join(", ")}${problems.length > 10 ? ` and ${problems.length - 10} more` : ""}`);
    step(`the apiserver serves the same ${objects} objects (names and data compared); the one written after the snapshot is gone`);
    console.log(
      `etcd drill: ${objects} objects of ${bytes} bytes, etcd database ${(dbBytes / 1048576).toFixed(1)} MiB, snapshot ${(snapshotBytes / 1048576).toFixed(1)} MiB; ` +
        `restore ${rto.toFixed(1)} s (RTO: download, etcdutl restore, etcd and kube-apiserver ready)`,
    );
  } finally {
    await cp.stop();
    s3.stop();
    fs.rmSync(run, { recursive: true, force: true });
  }
}

function outer() {
  const why = cannotRun();
  if (process.argv.includes("--check")) {
    console.log(why ? `drill:etcd: cannot run: ${why}` : "drill:etcd: the toolchain is built and the host has what the drill needs");
    process.exit(why ? 1 : 0);
  }
  if (why) {
    console.error(`drill:etcd: cannot run: ${why}`);
    process.exit(1);
  }
  // A network namespace of the drill's own with only lo: it lives as long as the drill's processes.
  const child = spawn("unshare", ["--net", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', process.execPath, __filename, "--inside", ...process.argv.slice(2)], { stdio: "inherit" });
  child.on("exit", (code) => process.exit(code ?? 1));
}

if (require.main === module) {
  if (process.argv.includes("--inside")) {
    inside().catch((e) => {
      console.error(`drill:etcd failed: ${e.message}`);
      process.exit(1);
    });
  } else {
    outer();
  }
}

module.exports = { diffObjects, cannotRun };
