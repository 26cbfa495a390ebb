/**
 * The lab's Kubernetes control plane (docs/lab.md): etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok, started on 127.0.0.1 inside the lab's network namespace (this process
 * already runs in it), plus a small client for the apiserver. The flags are those measured in
 * ../shared/docs/kube-lab-notes.md; each process logs to its own file.
 */
"use strict";
const fs = require("fs");
const https = require("https");
const path = require("path");
const { spawn } = require("child_process");

const API = { host: "127.0.0.1", port: 6443 };
/** K3s's service CIDR (ports.ts K3S_NETWORK.serviceCidr): Services the charts pin keep valid addresses. */
const SERVICE_CIDR = "10.43.0.0/16";
const SERVICE_IP = "10.43.0.1";

class ControlPlane {
  constructor({ bin, run, pki, stages }) {
    this.bin = bin;
    this.run = run;
    this.pki = pki;
    this.stages = stages;
    this.procs = {};
    this.logs = path.join(run, "logs");
    fs.mkdirSync(this.logs, { recursive: true });
  }

  start(name, binary, args) {
    const out = fs.openSync(path.join(this.logs, `${name}.log`), "w");
    const child = spawn(path.join(this.bin, binary), args, { stdio: ["ignore", out, out] });
    fs.closeSync(out);
    child.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
    this.procs[name] = child;
    fs.appendFileSync(path.join(this.run, "pids"), `${child.pid}\n`);
    return child;
  }

  startEtcd() {
    const data = path.join(this.run, "etcd");
    return this.start("etcd", "etcd", [
      "--name=fmc-lab",
      `--data-dir=${data}`,
      "--listen-client-urls=http://127.0.0.1:2379",
      "--advertise-client-urls=http://127.0.0.1:2379",
      "--listen-peer-urls=http://127.0.0.1:2380",
      "--initial-advertise-peer-urls=http://127.0.0.1:2380",
      "--initial-cluster=fmc-lab=http://127.0.0.1:2380",
      "--listen-metrics-urls=http://127.0.0.1:2381",
      // A throw-away store on a shared disk: no fsync per write.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
  }

  startApiserver() {
    const p = this.pki;
    return this.start("kube-apiserver", "kube-apiserver", [
      "--etcd-servers=http://127.0.0.1:2379",
      `--bind-address=${API.host}`,
      `--secure-port=${API.port}`,
      `--advertise-address=${API.host}`,
      // The `kubernetes` Service's endpoints would be 127.0.0.1, which Endpoints validation refuses.
      "--endpoint-reconciler-type=none",
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      `--tls-cert-file=${p.apiserverCert}`,
      `--tls-private-key-file=${p.apiserverKey}`,
      `--client-ca-file=${p.ca}`,
      `--service-account-key-file=${p.saPub}`,
      `--service-account-signing-key-file=${p.saKey}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--authorization-mode=Node,RBAC",
      // K3s allows privileged pods (Rook's and Ceph CSI's need them); Pod Security still applies per namespace.
      "--allow-privileged=true",
      "--profiling=false",
    ]);
  }

  startControllerManager() {
    const p = this.pki;
    return this.start("kube-controller-manager", "kube-controller-manager", [
      `--kubeconfig=${p.kubeconfigs["kube-controller-manager"]}`,
      `--authentication-kubeconfig=${p.kubeconfigs["kube-controller-manager"]}`,
      `--authorization-kubeconfig=${p.kubeconfigs["kube-controller-manager"]}`,
      "--bind-address=127.0.0.1",
      "--use-service-account-credentials",
      `--service-account-private-key-file=${p.saKey}`,
      `--root-ca-file=${p.ca}`,
      `--cluster-signing-cert-file=${p.ca}`,
      `--cluster-signing-key-file=${p.caKey}`,
      "--controllers=*,bootstrapsigner,tokencleaner",
      "--allocate-node-cidrs=false",
      "--leader-elect=false",
    ]);
  }

  startScheduler() {
    const p = this.pki;
    return this.start("kube-scheduler", "kube-scheduler", [
      `--kubeconfig=${p.kubeconfigs["kube-scheduler"]}`,
      `--authentication-kubeconfig=${p.kubeconfigs["kube-scheduler"]}`,
      `--authorization-kubeconfig=${p.kubeconfigs["kube-scheduler"]}`,
      "--bind-address=127.0.0.1",
      "--leader-elect=false",
    ]);
  }

  /** kwok with the stage files given (standalone kwok has none built in). */
  startKwok(stageFiles) {
    return this.start("kwok", "kwok", [
      `--kubeconfig=${this.pki.kubeconfigs.kwok}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      // Without leases the node-lifecycle controller marks the nodes NotReady after 40 s.
      "--node-lease-duration-seconds=40",
      "--cidr=10.42.0.0/16",
      ...stageFiles.map((f) => `--config=${f}`),
    ]);
  }

  /**
   * A kwok that manages no node and plays only `stageFiles` (custom resources' stages, which kwok
   * refuses before their CRD exists: one such kwok per kind, started when its CRD appears).
   */
  startKwokStages(name, stageFiles) {
    return this.start(name, "kwok", [
      `--kubeconfig=${this.pki.kubeconfigs.kwok}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-label-selector=fmc-lab.invalid/no-node=none",
      ...stageFiles.map((f) => `--config=${f}`),
    ]);
  }

  /** VmRSS of each process, MiB. */
  memoryMiB() {
    const out = {};
    for (const [name, child] of Object.entries(this.procs)) {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
        out[name] = Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
      } catch {
        out[name] = undefined;
      }
    }
    return out;
  }

  async stop() {
    const extra = Object.keys(this.procs).filter((n) => n.startsWith("kwok-"));
    for (const name of [...extra, "kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"]) {
      const child = this.procs[name];
      if (!child || child.exitCode !== null) continue;
      child.kill("SIGTERM");
      const done = await Promise.race([child.exited.then(() => true), sleep(15000).then(() => false)]);
      if (!done) child.kill("SIGKILL");
    }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A client of the lab's apiserver with the admin certificate. */
function kubeClient(pki) {
  const admin = pki.client("admin");
  const tls = { ca: fs.readFileSync(pki.ca), cert: fs.readFileSync(admin.cert), key: fs.readFileSync(admin.key) };
  function request(method, urlPath, body, contentType = "application/json") {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const req = https.request(
        { ...API, ...tls, method, path: urlPath, headers: data ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(data) } : {}, timeout: 30000 },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => {
            let json;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode, json, text });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  }
  async function must(method, urlPath, body, contentType) {
    const r = await request(method, urlPath, body, contentType);
    if (r.status >= 300) throw new Error(`${method} ${urlPath}: ${r.status} ${r.json && r.json.message ? r.json.message : r.text.slice(0, 500)}`);
    return r.json;
  }
  return { request, must, get: (p) => must("GET", p), post: (p, b) => must("POST", p, b), del: (p) => request("DELETE", p) };
}

/** Polls `fn` until it returns a truthy value or `seconds` pass; the last error explains a timeout. */
async function waitFor(what, seconds, fn, everyMs = 500) {
  const until = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`${what}: not within ${seconds}s${last ? ` (${last.message})` : ""}`);
    await sleep(everyMs);
  }
}

/** GET https://127.0.0.1:PORT/healthz of a component serving a self-signed certificate (kcm, scheduler). */
function healthz(port) {
  return new Promise((resolve) => {
    const req = https.get({ host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
  });
}

module.exports = { ControlPlane, kubeClient, waitFor, healthz, sleep, API, SERVICE_CIDR, SERVICE_IP };
