/**
 * What happens around a K3s node's VM going away and coming back, run as the exact command lines
 * stage 2 sends, under bash, against stubs that keep state (the pattern of
 * tests/cluster-idempotence.test.ts, with a stateful kubectl so each test can look at the node
 * afterwards):
 * - drain-node (the member step's delete, on a server): fails when the drain does not finish, and
 *   on a storage node unless Ceph is HEALTH_OK with every PG active+clean; marks its cordon;
 * - reconcile-node (the member step's create/update): removes only the labels and taints it set
 *   itself, uncordons only a cordon its drain marked;
 * - shutdown-vm (the shutdown step's delete, on the machine running Pulumi): powers the guest off
 *   through libvirt and waits, bounded; never destroys it.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { NODE_MARKS, renderDrainNode, renderReconcileNode, renderShutdownVm, taintIdentity } from "../cluster/scripts";
import { remoteCommand } from "../shell";
import { shellcheck } from "./helpers/tools";

/**
 * `k3s kubectl` on a server: one node, its labels / taints / annotations as `key=value` lines in
 * files, `unschedulable` a file. Ceph as the environment says: STUB_CEPH "<ns> <name> <health>"
 * (unset: no Rook CRD), STUB_PG_STAT the JSON of `ceph pg stat --format json` (STUB_PG_EXEC_FAILS:
 * the exec fails). STUB_DRAIN_FAILS: the drain times out.
 */
const KUBECTL = readFileSync(join(__dirname, "fixtures/stubs/k3s-kubectl-node.sh"), "utf8");

class Server {
  readonly dir = mkdtempSync(join(tmpdir(), "fmc-node-"));
  readonly root = join(this.dir, "root");
  readonly state = join(this.dir, "node");
  readonly log = join(this.dir, "calls.log");

  constructor() {
    mkdirSync(join(this.root, "opt/bin"), { recursive: true });
    mkdirSync(this.state, { recursive: true });
    for (const f of ["labels", "taints", "annotations"]) writeFileSync(join(this.state, f), "");
    writeFileSync(join(this.state, "exists"), "");
    writeFileSync(join(this.root, "opt/bin/k3s"), KUBECTL);
    chmodSync(join(this.root, "opt/bin/k3s"), 0o755);
  }

  /** Lines of one of the node's files (labels, taints, annotations). */
  lines(file: "labels" | "taints" | "annotations"): string[] {
    return readFileSync(join(this.state, file), "utf8").split("\n").filter(Boolean).sort();
  }

  set(file: "labels" | "taints" | "annotations", lines: string[]): this {
    writeFileSync(join(this.state, file), lines.map((l) => `${l}\n`).join(""));
    return this;
  }

  cordoned(on?: boolean): boolean {
    const path = join(this.state, "unschedulable");
    if (on === true) writeFileSync(path, "");
    return existsSync(path);
  }

  run(script: string, name: string, env: Record<string, string> = {}) {
    writeFileSync(this.log, "");
    const r = spawnSync("bash", ["-c", remoteCommand(script, { name, root: false })], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", FMC_ROOT: this.root, STUB_LOG: this.log, STUB_STATE: this.state, ...env },
    });
    const calls = readFileSync(this.log, "utf8").split("\n").filter(Boolean);
    return { status: r.status, stderr: r.stderr, calls, acting: calls.filter((c) => /^kubectl (cordon|uncordon|drain|label|taint|annotate)/.test(c)) };
  }
}

const CORDON = NODE_MARKS.cordon;
const drain = (storage: boolean) => renderDrainNode({ nodeName: "worker1", storage, drainTimeoutSeconds: 120 });
const CLEAN = '{"pg_ready":true,"pg_summary":{"num_pg_by_state":[{"name":"active+clean","num":97}],"num_pgs":97,"num_bytes":1}}';
const SCRUBBING = '{"pg_ready":true,"pg_summary":{"num_pg_by_state":[{"name":"active+clean","num":90},{"name":"active+clean+scrubbing+deep","num":7}],"num_pgs":97}}';
const BACKFILLING = '{"pg_ready":true,"pg_summary":{"num_pg_by_state":[{"name":"active+clean","num":90},{"name":"active+remapped+backfilling","num":7}],"num_pgs":97}}';
const CEPH_OK = { STUB_CEPH: "rook-ceph rook-ceph HEALTH_OK", STUB_PG_STAT: CLEAN };

describe("drain-node: a drain that cannot finish fails the step, and Pulumi leaves the VM alone", () => {
  it("drains a node: cordon marked as this program's, then the drain; exit 0", () => {
    const s = new Server();
    const r = s.run(drain(false), "drain-node");
    expect(r.status).toBe(0);
    expect(r.acting).toEqual([`kubectl annotate node worker1 --overwrite ${CORDON}=pulumi`, "kubectl cordon worker1", "kubectl drain worker1 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s"]);
    expect(s.cordoned()).toBe(true);
    expect(s.lines("annotations")).toEqual([`${CORDON}=pulumi`]);
  });

  it("drain refused (a PodDisruptionBudget): exits non-zero, puts the node back in service, says why", () => {
    const s = new Server();
    const r = s.run(drain(false), "drain-node", { STUB_DRAIN_FAILS: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("disruption budget");
    expect(r.stderr).toContain("drain did not complete within 120s");
    expect(r.stderr).toContain("the VM was not touched");
    expect(s.cordoned()).toBe(false);
    expect(s.lines("annotations")).toEqual([]);
    expect(r.acting.slice(-2)).toEqual(["kubectl uncordon worker1", `kubectl annotate node worker1 ${CORDON}-`]);
  });

  it("a node cordoned by someone else (kured) is drained but neither marked nor uncordoned, even when the drain fails", () => {
    const s = new Server();
    s.cordoned(true);
    const ok = s.run(drain(false), "drain-node");
    expect(ok.status).toBe(0);
    expect(ok.acting).toEqual(["kubectl drain worker1 --ignore-daemonsets --delete-emptydir-data --force --timeout=120s"]);
    expect(s.lines("annotations")).toEqual([]);
    const failed = s.run(drain(false), "drain-node", { STUB_DRAIN_FAILS: "1" });
    expect(failed.status).toBe(1);
    expect(s.cordoned()).toBe(true);
  });

  it("a re-run after an interrupted drain of its own (cordoned, marked) drains again as its own", () => {
    const s = new Server().set("annotations", [`${CORDON}=pulumi`]);
    s.cordoned(true);
    const r = s.run(drain(false), "drain-node");
    expect(r.status).toBe(0);
    expect(r.acting).toContain("kubectl cordon worker1");
  });

  it("fails when the API is down; nothing to do for a node not in the cluster", () => {
    const down = new Server().run(drain(false), "drain-node", { STUB_API_READY: "0" });
    expect(down.status).toBe(1);
    expect(down.acting).toEqual([]);
    const gone = new Server();
    rmSync(join(gone.state, "exists"));
    const r = gone.run(drain(true), "drain-node", { STUB_CEPH: "rook-ceph rook-ceph HEALTH_ERR" });
    expect([r.status, r.acting]).toEqual([0, []]);
  });
});

describe("drain-node on a storage node: only a clean Ceph lets it go down", () => {
  it("HEALTH_OK and every PG active+clean (scrubbing counts as clean): drains", () => {
    for (const stat of [CLEAN, SCRUBBING]) {
      const s = new Server();
      const r = s.run(drain(true), "drain-node", { ...CEPH_OK, STUB_PG_STAT: stat });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain("HEALTH_OK, all 97 PGs active+clean");
      expect(r.calls).toContain("kubectl -n rook-ceph exec deploy/rook-ceph-operator -- ceph --conf=/var/lib/rook/rook-ceph/rook-ceph.config --connect-timeout=30 pg stat --format json");
      expect(r.acting).toContain("kubectl cordon worker1");
    }
  });

  it("Ceph unhealthy: refused with the health and its details in the message, nothing cordoned", () => {
    const s = new Server();
    const details = '{"OSD_DOWN":{"message":"1 osds down","severity":"HEALTH_WARN"}}';
    const r = s.run(drain(true), "drain-node", { ...CEPH_OK, STUB_CEPH: "rook-ceph rook-ceph HEALTH_WARN", STUB_CEPH_DETAILS: details });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Ceph (rook-ceph/rook-ceph) is HEALTH_WARN, not HEALTH_OK: refusing to take storage node worker1 down (nothing was cordoned)");
    expect(r.stderr).toContain("1 osds down");
    expect(r.acting).toEqual([]);
    expect(s.cordoned()).toBe(false);
  });

  it("HEALTH_OK but PGs still backfilling: refused, naming the states", () => {
    const r = new Server().run(drain(true), "drain-node", { ...CEPH_OK, STUB_PG_STAT: BACKFILLING });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("only 90 of 97 PGs are active+clean (7 active+remapped+backfilling)");
    expect(r.acting).toEqual([]);
  });

  it("no health reported yet, or Ceph cannot be asked for its PGs: refused", () => {
    const unknown = new Server().run(drain(true), "drain-node", { ...CEPH_OK, STUB_CEPH: "rook-ceph rook-ceph" });
    expect([unknown.status, unknown.acting]).toEqual([1, []]);
    expect(unknown.stderr).toContain("is of unknown health");
    const noExec = new Server().run(drain(true), "drain-node", { ...CEPH_OK, STUB_PG_EXEC_FAILS: "1" });
    expect([noExec.status, noExec.acting]).toEqual([1, []]);
    expect(noExec.stderr).toContain("cannot ask Ceph (rook-ceph/rook-ceph) for its placement groups");
  });

  it("no Rook on the cluster yet (stage 3 not deployed): nothing to wait for", () => {
    const r = new Server().run(drain(true), "drain-node");
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("no Rook-Ceph on this cluster");
  });

  it("a node that is no storage node never asks Ceph", () => {
    const r = new Server().run(drain(false), "drain-node", { ...CEPH_OK, STUB_CEPH: "rook-ceph rook-ceph HEALTH_ERR" });
    expect(r.status).toBe(0);
    expect(r.calls.some((c) => c.includes("ceph"))).toBe(false);
  });
});

describe("reconcile-node: its own labels and taints, and only its own cordon", () => {
  const reconcile = (labels: Record<string, string>, taints: string[]) => renderReconcileNode({ nodeName: "worker1", labels, taints });

  it("sets the configured labels and taints and records their keys on the node", () => {
    const s = new Server().set("labels", ["kubernetes.io/hostname=worker1"]);
    const r = s.run(reconcile({ "flatcarmicrocloud.io/storage": "ceph", tier: "gold" }, ["dedicated=ceph:NoSchedule"]), "reconcile-node");
    expect(r.status).toBe(0);
    expect(s.lines("labels")).toEqual(["flatcarmicrocloud.io/storage=ceph", "kubernetes.io/hostname=worker1", "tier=gold"]);
    expect(s.lines("taints")).toEqual(["dedicated=ceph:NoSchedule"]);
    expect(s.lines("annotations")).toEqual([`${NODE_MARKS.labels}=flatcarmicrocloud.io/storage,tier`, `${NODE_MARKS.taints}=dedicated:NoSchedule`]);
    // Run again: the same state, the annotation not rewritten.
    const again = s.run(reconcile({ "flatcarmicrocloud.io/storage": "ceph", tier: "gold" }, ["dedicated=ceph:NoSchedule"]), "reconcile-node");
    expect(again.acting.filter((c) => c.startsWith("kubectl annotate") || c.endsWith("-"))).toEqual([]);
  });

  it("a label or taint removed from the config is removed from the node; those it never set stay", () => {
    const s = new Server()
      .set("labels", ["kubernetes.io/hostname=worker1", "node-role.kubernetes.io/control-plane=true", "tier=gold", "app=x"])
      .set("taints", ["dedicated=ceph:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule", "gpu:NoExecute"])
      .set("annotations", [`${NODE_MARKS.labels}=tier,app`, `${NODE_MARKS.taints}=dedicated:NoSchedule,gpu:NoExecute,gone:NoSchedule`]);
    const r = s.run(reconcile({ app: "y" }, ["gpu:NoExecute"]), "reconcile-node");
    expect(r.status).toBe(0);
    expect(s.lines("labels")).toEqual(["app=y", "kubernetes.io/hostname=worker1", "node-role.kubernetes.io/control-plane=true"]);
    expect(s.lines("taints")).toEqual(["gpu:NoExecute", "node.kubernetes.io/unschedulable:NoSchedule"]);
    expect(s.lines("annotations")).toEqual([`${NODE_MARKS.labels}=app`, `${NODE_MARKS.taints}=gpu:NoExecute`]);
    expect(r.stderr).toContain("removed: label tier taint dedicated:NoSchedule");
  });

  it("a node reconciled by an earlier program (no record): nothing is removed, the record starts now", () => {
    const s = new Server().set("labels", ["tier=gold"]).set("taints", ["old:NoSchedule"]);
    const r = s.run(reconcile({ app: "y" }, []), "reconcile-node");
    expect(r.status).toBe(0);
    expect(s.lines("labels")).toEqual(["app=y", "tier=gold"]);
    expect(s.lines("taints")).toEqual(["old:NoSchedule"]);
    expect(s.lines("annotations")).toEqual([`${NODE_MARKS.labels}=app`, `${NODE_MARKS.taints}=`]);
  });

  it("uncordons after this program's drain (the mark), and removes the mark", () => {
    const s = new Server();
    s.run(drain(false), "drain-node");
    expect(s.cordoned()).toBe(true);
    const r = s.run(reconcile({}, []), "reconcile-node");
    expect(r.status).toBe(0);
    expect(s.cordoned()).toBe(false);
    expect(s.lines("annotations").some((a) => a.startsWith(CORDON))).toBe(false);
    expect(r.stderr).toContain("uncordoned (drained by this program)");
  });

  it("leaves a cordon by kured or an operator alone", () => {
    const s = new Server();
    s.cordoned(true);
    const r = s.run(reconcile({}, []), "reconcile-node");
    expect(r.status).toBe(0);
    expect(s.cordoned()).toBe(true);
    expect(r.calls.some((c) => c.startsWith("kubectl uncordon"))).toBe(false);
    expect(r.stderr).toContain("left cordoned (not cordoned by this program");
  });
});

describe("shutdown-vm: the guest powers off cleanly before its domain is deleted", () => {
  /** virsh on the machine running Pulumi: STUB_STATES is the domain state at each `domstate` in turn (the last repeats). */
  const VIRSH = readFileSync(join(__dirname, "fixtures/stubs/virsh-domain.sh"), "utf8");
  const dir = mkdtempSync(join(tmpdir(), "fmc-virsh-"));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin/virsh"), VIRSH);
  writeFileSync(join(dir, "bin/sleep"), "#!/bin/bash\nexit 0\n");
  chmodSync(join(dir, "bin/virsh"), 0o755);
  chmodSync(join(dir, "bin/sleep"), 0o755);
  const log = join(dir, "calls.log");
  const shutdown = (timeoutSeconds = 300) =>
    remoteCommand(renderShutdownVm({ libvirtUri: "qemu:///system", domain: "worker1", timeoutSeconds, intervalSeconds: 5 }), { name: "shutdown-vm", root: false });
  const run = (line: string, env: Record<string, string>) => {
    writeFileSync(log, "");
    const r = spawnSync("bash", ["-c", line], { encoding: "utf8", env: { PATH: `${join(dir, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`, STUB_LOG: log, ...env } });
    return { status: r.status, stderr: r.stderr, calls: readFileSync(log, "utf8").split("\n").filter(Boolean) };
  };

  it("asks the running guest to power off over the provider's URI and waits until it is shut off", () => {
    const r = run(shutdown(), { STUB_STATES: "running running in_shutdown shut_off" });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.includes(" shutdown "))).toEqual(["virsh --quiet --connect qemu:///system shutdown worker1"]);
    expect(r.calls.filter((c) => c.includes(" domstate "))).toHaveLength(4);
    expect(r.stderr).toContain("shut off cleanly after 15s");
  });

  it("a domain already shut off, or gone, needs nothing", () => {
    const off = run(shutdown(), { STUB_STATES: "shut_off" });
    expect([off.status, off.calls.some((c) => c.includes(" shutdown "))]).toEqual([0, false]);
    expect(run(shutdown(), { STUB_NO_DOMAIN: "1" }).status).toBe(0);
  });

  it("a guest that does not power off in time fails the step and is never destroyed; the request is repeated every minute", () => {
    const r = run(shutdown(120), { STUB_STATES: "running" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("worker1 did not power off within 120s (state: running): it still runs and was not destroyed");
    expect(r.calls.some((c) => / (destroy|undefine) /.test(c))).toBe(false);
    expect(r.calls.filter((c) => c.includes(" shutdown "))).toHaveLength(2);
  });

  it("passes shellcheck", () => {
    expect(shellcheck(renderShutdownVm({ libvirtUri: "qemu+ssh://root@kvm/system", domain: "worker1" })).output).toBe("");
  });
});

it("taints are identified as Kubernetes removes them: key:Effect", () => {
  expect(["dedicated=ceph:NoSchedule", "gpu:NoExecute", "a.b/c=d:PreferNoSchedule"].map(taintIdentity)).toEqual(["dedicated:NoSchedule", "gpu:NoExecute", "a.b/c:PreferNoSchedule"]);
  expect(() => taintIdentity("dedicated=ceph")).toThrow(/no effect/);
});
