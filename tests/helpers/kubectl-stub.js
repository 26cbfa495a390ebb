#!/usr/bin/env node
/**
 * A stand-in for `k3s kubectl` in script tests: the cluster is a JSON file of objects
 * ($STUB_DIR/cluster.json, { objects: [...] }), and the stub answers the verbs the scripts use
 * (get with -o name/json/jsonpath, -l, --field-selector type=; scale; delete; patch --type json
 * --patch-file; create -f) from it, writing each call's arguments to $STUB_LOG. Only the JSONPath
 * the scripts use: fields, {range .items[*]} or .items[?(@.a.b=="v")] ... {end}, and {"\n"}.
 * STUB_OPERATOR_REPORTS=1: while the Deployment rook-ceph-operator has replicas, a CephCluster's
 * status reports the fsid of rook-ceph-mon (what Rook's operator does once connected).
 */
"use strict";
const { appendFileSync, readFileSync, writeFileSync } = require("fs");
const { join } = require("path");

const file = join(process.env.STUB_DIR, "cluster.json");
const cluster = JSON.parse(readFileSync(file, "utf8"));
const save = () => writeFileSync(file, JSON.stringify(cluster, null, 1));

let args = process.argv.slice(2);
if (args[0] === "kubectl") args = args.slice(1);
// --kubeconfig takes its value as the next word
const kc = args.indexOf("--kubeconfig");
if (kc >= 0) args.splice(kc, 2);
args = args.filter((a) => !a.startsWith("--request-timeout"));
appendFileSync(process.env.STUB_LOG, `kubectl ${args.join(" ")}\n`);

const KINDS = {
  secret: "Secret", secrets: "Secret", configmap: "ConfigMap", configmaps: "ConfigMap", service: "Service", services: "Service",
  deployment: "Deployment", deployments: "Deployment", "cephclusters.ceph.rook.io": "CephCluster", persistentvolumes: "PersistentVolume",
  "backups.velero.io": "Backup", namespace: "Namespace", crd: "CustomResourceDefinition",
};
const opt = (flag) => {
  const i = args.indexOf(flag);
  if (i >= 0) return args.splice(i, 2)[1];
  const eq = args.find((a) => a.startsWith(`${flag}=`));
  if (eq) {
    args.splice(args.indexOf(eq), 1);
    return eq.slice(flag.length + 1);
  }
  return undefined;
};
const ns = opt("-n");
const output = opt("-o");
const label = opt("-l");
const fieldSelector = opt("--field-selector");
const patchFile = opt("--patch-file");
const type = opt("--type");
const fromFile = opt("-f");
const replicas = opt("--replicas");
const allNamespaces = args.includes("-A") ? (args.splice(args.indexOf("-A"), 1), true) : false;
const [verb, kindWord, ...names] = args;

const fail = (message, code = 1) => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};
const get = (obj, path) => path.split(".").filter(Boolean).reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);

function simulateOperator() {
  if (process.env.STUB_OPERATOR_REPORTS !== "1") return;
  const op = cluster.objects.find((o) => o.kind === "Deployment" && o.metadata.name === "rook-ceph-operator");
  const mon = cluster.objects.find((o) => o.kind === "Secret" && o.metadata.name === "rook-ceph-mon");
  if (!op || !(op.spec.replicas > 0) || !mon) return;
  for (const c of cluster.objects.filter((o) => o.kind === "CephCluster")) {
    c.status = { ceph: { fsid: Buffer.from(mon.data.fsid, "base64").toString(), health: "HEALTH_OK" } };
  }
}

function jsonpath(template, obj) {
  let out = "";
  let i = 0;
  while (i < template.length) {
    if (template[i] !== "{") {
      out += template[i++];
      continue;
    }
    const close = template.indexOf("}", i);
    const expr = template.slice(i + 1, close);
    i = close + 1;
    if (expr.startsWith("range ")) {
      const end = template.indexOf("{end}", i);
      const body = template.slice(i, end);
      i = end + 5;
      const m = /^range \.items\[(\*|\?\(@\.([\w.]+)=="([^"]*)"\))\]$/.exec(expr);
      if (!m) fail(`stub: unsupported range ${expr}`);
      const items = (obj.items || []).filter((it) => m[1] === "*" || get(it, m[2]) === m[3]);
      for (const it of items) out += jsonpath(body, it);
    } else if (expr === '"\\n"') {
      out += "\n";
    } else {
      const v = get(obj, expr);
      out += v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    }
  }
  return out;
}

function print(value) {
  if (output === "json") process.stdout.write(JSON.stringify(value));
  else if (output === "name") process.stdout.write(`${value.kind.toLowerCase()}/${value.metadata.name}\n`);
  else if (output && output.startsWith("jsonpath=")) process.stdout.write(jsonpath(output.slice(9), value));
  else fail("stub: -o needed");
}

const kind = KINDS[kindWord];
const inScope = (o) => o.kind === kind && (allNamespaces || kind === "PersistentVolume" || o.metadata.namespace === ns);
const find = (name) => cluster.objects.find((o) => inScope(o) && o.metadata.name === name);

if (verb === "get" && kindWord && kindWord.startsWith("--raw")) {
  process.stdout.write("ok");
  process.exit(0);
}
switch (verb) {
  case "get": {
    simulateOperator();
    if (!kind) fail(`stub: unknown kind ${kindWord}`);
    if (names.length === 1) {
      const o = find(names[0]);
      if (!o) fail(`Error from server (NotFound): ${kindWord} "${names[0]}" not found`);
      print(o);
      break;
    }
    let items = cluster.objects.filter(inScope);
    if (label) {
      const [k, v] = label.split("=");
      items = items.filter((o) => (o.metadata.labels || {})[k] === v);
    }
    if (fieldSelector) items = items.filter((o) => `type=${o.type}` === fieldSelector);
    print({ kind: "List", items });
    break;
  }
  case "scale": {
    const o = find(names[0]);
    if (!o) fail(`stub: no ${kindWord} ${names[0]}`);
    o.spec.replicas = Number(String(replicas));
    save();
    break;
  }
  case "delete": {
    for (const n of names) {
      const o = find(n);
      if (!o) fail(`Error from server (NotFound): ${kindWord} "${n}" not found`);
      cluster.objects.splice(cluster.objects.indexOf(o), 1);
    }
    save();
    break;
  }
  case "patch": {
    const o = find(names[0]);
    if (!o || type !== "json" || !patchFile) fail("stub: patch needs an object, --type json and --patch-file");
    for (const op of JSON.parse(readFileSync(patchFile, "utf8"))) {
      if (op.op !== "add" || op.path !== "/data") fail(`stub: unsupported patch ${JSON.stringify(op)}`);
      o.data = op.value;
    }
    save();
    break;
  }
  case "create": {
    const o = JSON.parse(readFileSync(fromFile, "utf8"));
    if (cluster.objects.some((x) => x.kind === o.kind && x.metadata.namespace === o.metadata.namespace && x.metadata.name === o.metadata.name)) fail("AlreadyExists");
    cluster.objects.push(o);
    save();
    break;
  }
  default:
    fail(`stub: unsupported verb ${verb}`);
}
