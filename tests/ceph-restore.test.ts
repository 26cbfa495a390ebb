/**
 * The Ceph steps of an etcd restore onto a rebuilt stack (platform/ceph-restore.ts,
 * platform/scripts/restore-ceph.sh): each step against a stub `k3s kubectl` whose cluster is a JSON
 * file (tests/helpers/kubectl-stub.js), their place among the etcd steps, and shellcheck. The
 * "live" Ceph cluster is the rebuilt stack's (on the new disks); the "lost" one is the snapshot's.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { planEtcdRestore, RestoreNode } from "../cluster/etcd-restore";
import { CEPH_RESTORE_SCRIPT, CEPH_RESTORE_STATE, renderRestoreCeph, withCephSteps } from "../platform/ceph-restore";
import { shellcheck } from "./helpers/tools";

const NS = "rook-ceph";
const LIVE = "0b5e1d3c-7a55-4d9e-9f0e-2f6f1f4a7c11";
const LOST = "9d2c4a11-33b0-4c1e-8d55-a1f0c2e7b942";
const SNAPSHOT_AT = Date.parse("2026-12-01T06:00:00Z") / 1000;
const b64 = (s: string) => Buffer.from(s).toString("base64");
// Keys that must never appear in the script's output or on a kubectl command line.
const LIVE_ADMIN_KEY = "AQLIVEadminKEYnever-printed==";
const LOST_ADMIN_KEY = "AQLOSTadminKEYnever-printed==";

interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
  controller?: boolean;
}
interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}
/** The few fields of Kubernetes objects the steps read and write. */
interface Obj {
  kind: string;
  type?: string;
  metadata: Meta;
  spec?: { replicas?: number; clusterIP?: string; csi?: { driver: string }; claimRef?: { namespace: string; name: string }; template?: unknown };
  data?: Record<string, string>;
  status?: Record<string, unknown>;
}
const meta = (name: string, extra: Partial<Meta> = {}): Meta => ({ name, namespace: NS, ...extra });
const secret = (name: string, data: Record<string, string>, type = "kubernetes.io/rook", extra: Partial<Meta> = {}): Obj => ({
  kind: "Secret",
  type,
  metadata: meta(name, extra),
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});
const monService = (id: string, ip: string): Obj => ({ kind: "Service", metadata: meta(`rook-ceph-mon-${id}`, { labels: { app: "rook-ceph-mon", mon: id } }), spec: { clusterIP: ip } });
const deployment = (name: string, fsid: string | undefined, replicas = 1): Obj => ({
  kind: "Deployment",
  metadata: meta(name),
  spec: { replicas, template: { spec: { containers: [{ name: "d", args: fsid ? [`--fsid=${fsid}`, "--keyring=/etc/ceph/keyring-store/keyring"] : [] }] } } },
});
const cephCluster = (created: string, uid: string, fsid: string): Obj => ({
  kind: "CephCluster",
  metadata: meta("rook-ceph", { creationTimestamp: created, uid }),
  status: { ceph: { fsid, health: "HEALTH_OK" } },
});
const endpoints = (data: string, extra: Partial<Meta> = {}): Obj => ({
  kind: "ConfigMap",
  metadata: meta("rook-ceph-mon-endpoints", { finalizers: ["ceph.rook.io/disaster-protection"], ...extra }),
  data: { data, mapping: '{"node":{}}', maxMonId: "2" },
});
const owner = (uid: string): Partial<Meta> => ({ ownerReferences: [{ apiVersion: "ceph.rook.io/v1", kind: "CephCluster", name: "rook-ceph", uid }] });

/** The rebuilt stack's cluster before the restore: its own, live Ceph cluster. */
function rebuiltCluster(created = "2026-12-06T18:40:00Z"): Obj[] {
  return [
    { kind: "CustomResourceDefinition", metadata: { name: "cephclusters.ceph.rook.io" } },
    cephCluster(created, "uid-live", LIVE),
    secret("rook-ceph-mon", { fsid: LIVE, "admin-secret": LIVE_ADMIN_KEY, "mon-secret": "AQLIVEmon==", "ceph-username": "client.admin", "ceph-secret": LIVE_ADMIN_KEY }, undefined, owner("uid-live")),
    secret("rook-ceph-admin-keyring", { keyring: `[client.admin]\nkey = ${LIVE_ADMIN_KEY}` }),
    secret("rook-csi-rbd-provisioner", { userID: "csi-rbd-provisioner", userKey: "AQLIVEcsi==" }),
    secret("rook-ceph-mgr-b-keyring", { keyring: "AQLIVEmgrb==" }),
    // Not Rook's: never captured.
    secret("rook-ceph-dashboard-tls", { "tls.key": "not Rook's" }, "kubernetes.io/tls"),
    endpoints("a=10.43.0.21:6789,b=10.43.0.22:6789,c=10.43.0.23:6789", owner("uid-live")),
    monService("a", "10.43.0.21"),
    monService("b", "10.43.0.22"),
    monService("c", "10.43.0.23"),
    deployment("rook-ceph-operator", undefined),
  ];
}

/** The restored cluster right after the reset: the snapshot's objects, of the lost Ceph cluster. */
function restoredCluster(): Obj[] {
  return [
    cephCluster("2026-03-02T10:00:00Z", "uid-restored", LOST),
    secret("rook-ceph-mon", { fsid: LOST, "admin-secret": LOST_ADMIN_KEY, "mon-secret": "AQLOSTmon==", "ceph-username": "client.admin", "ceph-secret": LOST_ADMIN_KEY }, undefined, {
      finalizers: ["ceph.rook.io/disaster-protection"],
      ...owner("uid-restored"),
    }),
    secret("rook-ceph-admin-keyring", { keyring: `[client.admin]\nkey = ${LOST_ADMIN_KEY}` }),
    secret("rook-csi-rbd-provisioner", { userID: "csi-rbd-provisioner", userKey: "AQLOSTcsi==" }),
    endpoints("a=10.43.0.31:6789,b=10.43.0.22:6789,d=10.43.0.34:6789", owner("uid-restored")),
    monService("a", "10.43.0.31"),
    // Same name and address by chance: kept.
    monService("b", "10.43.0.22"),
    monService("d", "10.43.0.34"),
    { kind: "Service", metadata: { name: "redis-ha", namespace: "redis" }, spec: { clusterIP: "10.43.0.50" } },
    deployment("rook-ceph-operator", undefined),
    deployment("rook-ceph-mon-a", LOST),
    deployment("rook-ceph-osd-0", LOST),
    deployment("rook-ceph-mgr-a", LOST),
    // Carries no fsid: nothing proves it stale, it stays.
    deployment("rook-ceph-tools", undefined),
  ];
}

class FirstServer {
  readonly dir = mkdtempSync(join(tmpdir(), "fmc-ceph-restore-"));
  readonly root = join(this.dir, "root");
  readonly log = join(this.dir, "calls.log");

  constructor(objects: Obj[]) {
    for (const d of [join(this.root, "opt/bin"), join(this.root, "proc/sys/kernel")]) mkdirSync(d, { recursive: true });
    writeFileSync(join(this.root, "proc/sys/kernel/hostname"), "bootstrap1\n");
    const k3s = join(this.root, "opt/bin/k3s");
    writeFileSync(k3s, `#!/bin/bash\nexec node ${JSON.stringify(join(__dirname, "helpers", "kubectl-stub.js"))} "$@"\n`);
    chmodSync(k3s, 0o755);
    const sleep = join(this.dir, "sleep");
    writeFileSync(sleep, "#!/bin/bash\n");
    chmodSync(sleep, 0o755);
    this.objects = objects;
    writeFileSync(this.log, "");
  }

  set objects(objects: Obj[]) {
    writeFileSync(join(this.dir, "cluster.json"), JSON.stringify({ objects }));
  }

  get objects(): Obj[] {
    return (JSON.parse(readFileSync(join(this.dir, "cluster.json"), "utf8")) as { objects: Obj[] }).objects;
  }

  find(kind: string, name: string, ns = NS): Obj | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name && (kind === "PersistentVolume" || o.metadata.namespace === ns));
  }

  get state(): string {
    return join(this.root, CEPH_RESTORE_STATE);
  }

  run(args: string[], env: Record<string, string> = {}) {
    writeFileSync(this.log, "");
    // A short wait in resume (3 attempts): the real one is CEPH_RESUME_TIMEOUT_SECONDS.
    const r = spawnSync("bash", ["-c", renderRestoreCeph({ resumeTimeoutSeconds: 30 }), "restore-ceph", ...args], {
      encoding: "utf8",
      env: { PATH: `${this.dir}:${process.env.PATH ?? "/usr/bin:/bin"}`, FMC_ROOT: this.root, STUB_LOG: this.log, STUB_DIR: this.dir, ...env },
      timeout: 60_000,
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}`, stdout: r.stdout, calls: readFileSync(this.log, "utf8") };
  }
}

const capture = (s: FirstServer) => s.run(["capture", "--created-after", String(SNAPSHOT_AT)]);

/** A first server that captured the rebuilt cluster, then was reset to the snapshot. */
function afterReset(restored = restoredCluster()): FirstServer {
  const s = new FirstServer(rebuiltCluster());
  expect(capture(s).status).toBe(0);
  s.objects = restored;
  return s;
}

const decoded = (o: Obj | undefined, key: string) => Buffer.from(String(o?.data?.[key]), "base64").toString();

describe("restore-ceph.sh (stub k3s kubectl)", () => {
  it("passes shellcheck", () => {
    expect(shellcheck(renderRestoreCeph()).output).toBe("");
  });

  it("capture keeps Rook's Secrets and the mon endpoints of the rebuilt cluster, root only, printing no key", () => {
    const s = new FirstServer(rebuiltCluster());
    const r = capture(s);
    expect(r.status).toBe(0);
    expect(r.output).toContain(`captured the live Ceph cluster ${LIVE}`);
    expect(r.output).toContain("4 Secrets of Rook's");
    expect((statSync(s.state).mode & 0o777).toString(8)).toBe("700");
    expect(readdirSync(join(s.state, "secrets")).sort()).toEqual(["rook-ceph-admin-keyring.json", "rook-ceph-mgr-b-keyring.json", "rook-ceph-mon.json", "rook-csi-rbd-provisioner.json"]);
    expect(JSON.parse(readFileSync(join(s.state, "secrets", "rook-ceph-mon.json"), "utf8"))).toEqual(s.find("Secret", "rook-ceph-mon")?.data);
    expect((statSync(join(s.state, "secrets", "rook-ceph-mon.json")).mode & 0o077).toString(8)).toBe("0");
    expect(readFileSync(join(s.state, "cluster"), "utf8")).toBe(`rook-ceph ${Date.parse("2026-12-06T18:40:00Z") / 1000} ${LIVE}\n`);
    expect(r.output).not.toContain(LIVE_ADMIN_KEY);
    expect(r.output).not.toContain(b64(LIVE_ADMIN_KEY));
    // Read only: nothing in the rebuilt cluster changes.
    expect(r.calls).not.toMatch(/kubectl .*(scale|delete|patch|create)/);
  });

  it("capture refuses a Ceph cluster older than the snapshot (the lost one), or one without mons yet", () => {
    const old = new FirstServer(rebuiltCluster("2026-03-02T10:00:00Z"));
    const r = capture(old);
    expect(r.status).toBe(3);
    expect(r.output).toMatch(/created at 2026-03-02T10:00:00Z, not after the snapshot \(2026-12-01T06:00:00Z\).*refusing/);
    expect(existsSync(join(old.state, "cluster"))).toBe(false);
    const young = new FirstServer(rebuiltCluster().filter((o) => o.kind !== "ConfigMap"));
    expect(capture(young)).toMatchObject({ status: 3 });
    expect(capture(young).output).toContain("no mon endpoints");
    expect(new FirstServer(rebuiltCluster()).run(["capture"]).status).toBe(2);
  });

  it("capture on a stack without Ceph records that, and the later steps do nothing", () => {
    const s = new FirstServer([]);
    expect(capture(s).status).toBe(0);
    expect(readFileSync(join(s.state, "cluster"), "utf8")).toBe("none\n");
    s.objects = restoredCluster();
    for (const step of ["hold", "resume", "claims"]) {
      const r = s.run([step]);
      expect(r.status).toBe(0);
      expect(r.calls).not.toMatch(/scale|delete|patch|create/);
    }
  });

  it("hold without a capture refuses to guess", () => {
    const s = new FirstServer(restoredCluster());
    const r = s.run(["hold"]);
    expect(r.status).toBe(1);
    expect(r.output).toContain("no capture of the rebuilt stack's Ceph cluster");
    expect(s.find("Deployment", "rook-ceph-mon-a")).toBeDefined();
  });

  it("hold: operator to 0, the lost cluster's Deployments and mon Services out, the live identity back over the snapshot's", () => {
    const s = afterReset();
    const r = s.run(["hold"]);
    expect(r.status).toBe(0);
    // The operator is held, its count kept for resume.
    expect(s.find("Deployment", "rook-ceph-operator")?.spec?.replicas).toBe(0);
    expect(readFileSync(join(s.state, "operator-replicas"), "utf8")).toBe("1\n");
    // Every Deployment carrying the lost fsid goes; the others stay.
    expect(s.objects.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name)).toEqual(["rook-ceph-operator", "rook-ceph-tools"]);
    // Mon Services: a (lost address) and d (no live mon d) go, Rook re-creates a at the live address; b is already right.
    expect(s.objects.filter((o) => o.kind === "Service" && o.metadata.namespace === NS).map((o) => o.metadata.name)).toEqual(["rook-ceph-mon-b"]);
    expect(s.find("Service", "redis-ha", "redis")).toBeDefined();
    // The live fsid and keys in the restored objects, their metadata (owner, finalizer) kept.
    const mon = s.find("Secret", "rook-ceph-mon");
    expect(decoded(mon, "fsid")).toBe(LIVE);
    expect(decoded(mon, "admin-secret")).toBe(LIVE_ADMIN_KEY);
    expect(mon?.metadata.ownerReferences?.[0].uid).toBe("uid-restored");
    expect(mon?.metadata.finalizers).toEqual(["ceph.rook.io/disaster-protection"]);
    expect(decoded(s.find("Secret", "rook-csi-rbd-provisioner"), "userKey")).toBe("AQLIVEcsi==");
    // A Secret the snapshot lacks is created, owned by the restored CephCluster.
    const mgr = s.find("Secret", "rook-ceph-mgr-b-keyring");
    expect(mgr?.type).toBe("kubernetes.io/rook");
    expect(decoded(mgr, "keyring")).toBe("AQLIVEmgrb==");
    expect(mgr?.metadata.ownerReferences).toEqual([{ apiVersion: "ceph.rook.io/v1", kind: "CephCluster", name: "rook-ceph", uid: "uid-restored", blockOwnerDeletion: true, controller: true }]);
    const cm = s.find("ConfigMap", "rook-ceph-mon-endpoints");
    expect(cm?.data?.data).toBe("a=10.43.0.21:6789,b=10.43.0.22:6789,c=10.43.0.23:6789");
    expect(cm?.metadata.finalizers).toEqual(["ceph.rook.io/disaster-protection"]);
    // The order: operator held before anything of Ceph is deleted or written.
    const calls = r.calls.split("\n");
    const scaled = calls.findIndex((l) => l.includes("scale deployment rook-ceph-operator --replicas=0"));
    expect(scaled).toBeGreaterThan(-1);
    expect(calls.findIndex((l) => /delete|patch|create/.test(l))).toBeGreaterThan(scaled);
    // No key in the output or on a command line.
    for (const key of [LIVE_ADMIN_KEY, b64(LIVE_ADMIN_KEY), LOST_ADMIN_KEY]) {
      expect(r.output).not.toContain(key);
      expect(r.calls).not.toContain(key);
    }
    expect(existsSync(join(s.state, "patch.json"))).toBe(false);
  });

  it("hold refuses, changing nothing, when a live mon's address belongs to another Service of the snapshot", () => {
    const restored = restoredCluster();
    restored.push({ kind: "Service", metadata: { name: "kafka-bootstrap", namespace: "kafka" }, spec: { clusterIP: "10.43.0.23" } });
    const s = afterReset(restored);
    const before = JSON.stringify(s.objects);
    const r = s.run(["hold"]);
    expect(r.status).toBe(3);
    expect(r.output).toMatch(/live mon c listens on 10\.43\.0\.23, which the restored cluster gives to the Service kafka\/kafka-bootstrap.*Nothing changed/);
    expect(JSON.stringify(s.objects)).toBe(before);
  });

  it("hold: a live mon's address held by a lost mon's Service is no conflict (that Service goes)", () => {
    const restored = restoredCluster().map((o) => (o.metadata.name === "rook-ceph-mon-d" ? monService("d", "10.43.0.23") : o));
    const s = afterReset(restored);
    const r = s.run(["hold"]);
    expect(r.status).toBe(0);
    expect(s.find("Service", "rook-ceph-mon-d")).toBeUndefined();
  });

  it("hold finds nothing stale when the restored cluster already names the live Ceph cluster", () => {
    const s = afterReset(rebuiltCluster());
    const r = s.run(["hold"]);
    expect(r.status).toBe(0);
    expect(r.output).toContain("nothing of the snapshot's Ceph is stale");
    expect(r.calls).not.toMatch(/scale|delete|patch|create/);
    expect(s.run(["resume"]).output).toContain("nothing to resume");
  });

  it("hold run again after a failure keeps the operator's first count", () => {
    const s = afterReset();
    expect(s.run(["hold"]).status).toBe(0);
    // Say a later step failed and the snapshot's identity came back (a second reset).
    const again = restoredCluster().map((o) => (o.metadata.name === "rook-ceph-operator" ? deployment("rook-ceph-operator", undefined, 0) : o));
    s.objects = again;
    expect(s.run(["hold"]).status).toBe(0);
    expect(readFileSync(join(s.state, "operator-replicas"), "utf8")).toBe("1\n");
  });

  it("resume scales the operator back and waits until it reports the live Ceph cluster; then the keys go", () => {
    const s = afterReset();
    expect(s.run(["hold"]).status).toBe(0);
    const r = s.run(["resume"], { STUB_OPERATOR_REPORTS: "1" });
    expect(r.status).toBe(0);
    expect(s.find("Deployment", "rook-ceph-operator")?.spec?.replicas).toBe(1);
    expect(r.output).toContain(`Rook reports the live Ceph cluster ${LIVE}: HEALTH_OK`);
    expect(existsSync(join(s.state, "secrets"))).toBe(false);
    // What claims needs stays; hold cannot run again without the keys (it would write nothing sane).
    expect(existsSync(join(s.state, "cluster"))).toBe(true);
    s.objects = restoredCluster();
    const again = s.run(["hold"]);
    expect(again.status).toBe(1);
    expect(again.output).toContain("the captured identity is no longer in");
    expect(again.calls).not.toMatch(/scale|delete|patch|create/);
  });

  it("resume fails after its timeout when the operator keeps reporting the lost cluster, and keeps the capture", () => {
    const s = afterReset();
    expect(s.run(["hold"]).status).toBe(0);
    const r = s.run(["resume"]);
    expect(r.status).toBe(1);
    expect(r.output).toContain(`has not reported the live Ceph cluster ${LIVE}`);
    expect(r.output).toContain(`it reports ${LOST}`);
    expect(existsSync(join(s.state, "secrets", "rook-ceph-mon.json"))).toBe(true);
  });

  it("claims lists the volumes that were images of the lost cluster and prints Velero's restore for its namespaces", () => {
    const pv = (name: string, driver: string, created: string, ns: string, claim: string): Obj => ({
      kind: "PersistentVolume",
      metadata: { name, creationTimestamp: created },
      spec: { csi: { driver }, claimRef: { namespace: ns, name: claim } },
    });
    const backup = (name: string, done: string, phase = "Completed"): Obj => ({
      kind: "Backup",
      metadata: { name, namespace: "velero", labels: { "velero.io/schedule-name": "velero-fmc-volumes" } },
      status: { phase, completionTimestamp: done },
    });
    const s = afterReset([
      ...restoredCluster(),
      pv("pvc-1", "rook-ceph.rbd.csi.ceph.com", "2026-05-01T00:00:00Z", "redis", "data-redis-ha-server-0"),
      pv("pvc-2", "rook-ceph.rbd.csi.ceph.com", "2026-05-01T00:00:00Z", "redis", "data-redis-ha-server-1"),
      pv("pvc-3", "rook-ceph.rbd.csi.ceph.com", "2026-05-02T00:00:00Z", "kafka", "data-0-kafka-broker-0"),
      pv("pvc-4", "rook-ceph.cephfs.csi.ceph.com", "2026-05-03T00:00:00Z", "apps", "uploads"),
      // Provisioned by the live cluster after it was created: kept out.
      pv("pvc-5", "rook-ceph.rbd.csi.ceph.com", "2026-12-06T19:00:00Z", "mosquitto", "data-mosquitto-0"),
      // Not Ceph's.
      { kind: "PersistentVolume", metadata: { name: "local-1", creationTimestamp: "2026-01-01T00:00:00Z" }, spec: { claimRef: { namespace: "redis", name: "scratch" } } },
      backup("velero-fmc-volumes-20261130000000", "2026-11-30T00:20:00Z"),
      backup("velero-fmc-volumes-20261201000000", "2026-12-01T00:20:00Z"),
      backup("velero-fmc-volumes-20261201060000", "2026-12-01T06:20:00Z", "PartiallyFailed"),
    ]);
    const r = s.run(["claims", "kafka", "redis", "monitoring", "mosquitto"]);
    expect(r.status).toBe(0);
    expect(r.output).toContain("redis/data-redis-ha-server-0 (volume pvc-1)");
    expect(r.output).toContain("apps/uploads (volume pvc-4)");
    expect(r.output).not.toMatch(/pvc-5|local-1|scratch/);
    expect(r.stdout).toContain("kubectl -n kafka delete pvc data-0-kafka-broker-0");
    expect(r.stdout).toContain("kubectl -n redis delete pvc data-redis-ha-server-0 data-redis-ha-server-1");
    expect(r.stdout).toContain("velero restore create --from-backup velero-fmc-volumes-20261201000000 --include-namespaces kafka,redis --wait");
    expect(r.stdout).toMatch(/No backup of the platform's covers apps\/uploads/);
    // It prints; it deletes nothing (a workload still running would re-create a claim empty).
    expect(r.calls).not.toMatch(/delete|patch|create|scale/);
    expect(s.run(["claims", "x;y"]).status).toBe(2);
  });
});

const NODES: RestoreNode[] = [
  { name: "bootstrap1", ssh: { host: "10.17.3.14", user: "core" } },
  { name: "master1", ssh: { host: "10.17.4.10", user: "core" } },
  { name: "worker1", ssh: { host: "10.17.4.11", user: "core" } },
];

describe("the Ceph steps among the etcd restore's", () => {
  const snapshot = "etcd-snapshot-bootstrap1-1764568800.zip";
  const etcd = planEtcdRestore({ servers: ["bootstrap1", "master1"], agents: ["worker1"], nodes: NODES, snapshot, evenIfHealthy: false, rebuilt: true });

  it("capture after every preflight, hold right after the reset and node passwords, resume and claims once every node is back", () => {
    const steps = withCephSteps(etcd, snapshot);
    expect(steps.map((s) => `${s.node} ${s.script ?? "etcd"} ${s.args.join(" ")}`)).toEqual([
      "bootstrap1 etcd preflight --rebuilt-after 1764568800",
      "master1 etcd preflight --rebuilt-after 1764568800",
      `bootstrap1 ${CEPH_RESTORE_SCRIPT} capture --created-after 1764568800`,
      "master1 etcd stop",
      "bootstrap1 etcd stop",
      `bootstrap1 etcd reset ${snapshot}`,
      "bootstrap1 etcd forget-node-passwords bootstrap1 master1 worker1",
      `bootstrap1 ${CEPH_RESTORE_SCRIPT} hold`,
      "master1 etcd rejoin --fresh-server",
      "worker1 etcd restart-agent",
      `bootstrap1 ${CEPH_RESTORE_SCRIPT} resume`,
      `bootstrap1 ${CEPH_RESTORE_SCRIPT} claims kafka redis monitoring mosquitto`,
    ]);
  });

  it("needs the snapshot's time and a rebuilt stack's plan", () => {
    const told = planEtcdRestore({ servers: ["bootstrap1"], nodes: NODES, snapshot: "before-upgrade.db", evenIfHealthy: true, rebuilt: true });
    expect(() => withCephSteps(told, "before-upgrade.db")).toThrow(/the Ceph steps need it/);
    const plain = planEtcdRestore({ servers: ["bootstrap1"], nodes: NODES, snapshot, evenIfHealthy: false });
    expect(() => withCephSteps(plain, snapshot)).toThrow(/rebuilt stack's etcd restore/);
  });
});
