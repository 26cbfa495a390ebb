/**
 * The Ceph state disk (infra/ceph-state-disk.ts, infra/scripts/ceph-state-disk.sh): the script run
 * exactly as the remote command runs it, under bash against a scratch root with stub commands that
 * record every call and keep a fake disk (a directory standing for its filesystem): a blank disk is
 * formatted and mounted, an already formatted one never again, what the root disk holds moves onto
 * it with K3s stopped meanwhile, a re-run changes nothing, and anything not blank is never touched.
 * Plus the rollout of the disk on a stack deployed before it existed, and its place in stage 1, 2
 * and Rook's values.
 */
import { spawnSync } from "child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseRoleSettings } from "../config/roles";
import { parseClusterSettings } from "../config/cluster";
import { parseTopology } from "../config/validate";
import { CEPH_STATE_LABEL, CEPH_STATE_MARKER, cephStateDiskRollout, renderCephStateDiskScript } from "../infra/ceph-state-disk";
import { dayTwoProblems, DeploymentRecord } from "../infra/deployment-record";
import { deploymentRecord, plannedDeployment } from "../infra/machines";
import { describeNode } from "../infra/nodes";
import { remoteCommand } from "../shell";
import { rawStack, stackConfig } from "./helpers/stacks";
import { shellcheck } from "./helpers/tools";

const prod = parseTopology(rawStack("prod"), "prod");
const worker1 = describeNode(prod.vms.find((v) => v.name === "worker1") as (typeof prod)["vms"][number], prod);
const SIZE = prod.cephStateDiskGiB * 1024 ** 3;

/**
 * Stubs: `blkid -p` exits 2 (nothing found) until the fake disk is formatted, or 0 with
 * STUB_FOREIGN set; mkfs creates the by-label link; `mount X dir` / `umount dir` swap the directory
 * for a link to the fake disk and back; `systemctl enable --now var-lib-rook.mount` mounts it;
 * `systemctl is-active` answers from STUB_ACTIVE until the unit is stopped, and after it is started;
 * `is-enabled` from the node's enabled-<unit> files (`Node.enable`).
 */
const STUBS: Record<string, string> = {
  blockdev: `echo "$STUB_SIZE"`,
  blkid: `[ -n "\${STUB_FOREIGN:-}" ] && exit 0; [ -e "$STUB_DISK.formatted" ] && exit 0; exit 2`,
  "mkfs.ext4": `mkdir -p "$STUB_DISK/lost+found" "$FMC_ROOT/dev/disk/by-label"; touch "$STUB_DISK.formatted"; ln -sfn ../../vdc "$FMC_ROOT/dev/disk/by-label/${CEPH_STATE_LABEL}"`,
  udevadm: ``,
  mount: `dir="\${@: -1}"; rmdir "$dir"; ln -s "$STUB_DISK" "$dir"`,
  umount: `rm "$1"; mkdir "$1"`,
  mountpoint: `[ -L "$2" ]`,
  systemctl: [
    `case "$1" in`,
    `  is-active) { [[ " \${STUB_ACTIVE:-} " == *" $3 "* ]] && [ ! -e "$FMC_ROOT/stopped-$3" ]; } || [ -e "$FMC_ROOT/started-$3" ] ;;`,
    `  stop) rm -f "$FMC_ROOT/started-$2"; touch "$FMC_ROOT/stopped-$2" ;;`,
    `  start) rm -f "$FMC_ROOT/stopped-\${@: -1}"; touch "$FMC_ROOT/started-\${@: -1}" ;;`,
    `  is-enabled) [ -e "$FMC_ROOT/enabled-$3" ] ;;`,
    `  enable) touch "$FMC_ROOT/enabled-$3"; d="$FMC_ROOT/var/lib/rook"; [ -L "$d" ] || { rmdir "$d"; ln -s "$STUB_DISK" "$d"; } ;;`,
    `esac`,
  ].join("\n"),
};

class Node {
  readonly dir = mkdtempSync(join(tmpdir(), "fmc-ceph-state-"));
  readonly root = join(this.dir, "root");
  readonly disk = join(this.dir, "disk");
  private readonly stubs = join(this.dir, "stubs");
  private readonly log = join(this.dir, "calls.log");

  constructor(hostname = "worker1") {
    for (const d of [this.stubs, this.disk, join(this.root, "proc/sys/kernel"), join(this.root, "dev"), join(this.root, "opt/bin")]) mkdirSync(d, { recursive: true });
    for (const [name, body] of Object.entries(STUBS)) this.stub(join(this.stubs, name), body);
    this.stub(join(this.root, "opt/bin/k3s-killall.sh"), "");
    writeFileSync(join(this.root, "proc/sys/kernel/hostname"), `${hostname}\n`);
    writeFileSync(join(this.root, "dev/vdc"), "");
  }

  /** K3s installed: its unit enabled (the installer enables it). */
  enable(unit: string): this {
    writeFileSync(join(this.root, `enabled-${unit}`), "");
    return this;
  }

  private stub(path: string, body: string) {
    writeFileSync(path, `#!/bin/bash\necho "$(basename "$0") $*" >>"$STUB_LOG"\n${body}\n`);
    chmodSync(path, 0o755);
  }

  run(env: Record<string, string> = {}) {
    writeFileSync(this.log, "");
    const script = renderCephStateDiskScript({ name: "worker1", stateDisk: worker1.stateDisk as NonNullable<typeof worker1.stateDisk> });
    const r = spawnSync("bash", ["-c", remoteCommand(script, { name: "ceph-state-disk", root: false })], {
      encoding: "utf8",
      env: { PATH: `${this.stubs}:${process.env.PATH ?? "/usr/bin:/bin"}`, FMC_ROOT: this.root, STUB_LOG: this.log, STUB_DISK: this.disk, STUB_SIZE: String(SIZE), ...env },
    });
    const calls = readFileSync(this.log, "utf8").trim().split("\n").filter(Boolean);
    // What changes the node: everything but the read-only probes.
    const acting = calls.filter((c) => !/^(blockdev|blkid|mountpoint|systemctl is-)/.test(c));
    return { status: r.status, stderr: r.stderr, calls, acting };
  }

  onDisk(): string[] {
    return readdirSync(this.disk).filter((f) => f !== "lost+found").sort();
  }
}

describe("a new storage node (blank disk, nothing in /var/lib/rook, K3s not installed yet)", () => {
  const node = new Node();
  const first = node.run();

  it("formats the blank disk by label, installs the mount unit K3s requires and mounts it", () => {
    expect([first.status, first.stderr]).toEqual([0, expect.stringContaining("formatted /dev/vdc")]);
    expect(first.acting).toEqual([
      `mkfs.ext4 -q -L ${CEPH_STATE_LABEL} -m 0 /dev/vdc`,
      "udevadm settle",
      `mount -t ext4 /dev/disk/by-label/${CEPH_STATE_LABEL} ${node.root}/run/flatcarmicrocloud/ceph-state`,
      `umount ${node.root}/run/flatcarmicrocloud/ceph-state`,
      "systemctl daemon-reload",
      "systemctl enable --now var-lib-rook.mount",
    ]);
    const unit = readFileSync(join(node.root, "etc/systemd/system/var-lib-rook.mount"), "utf8");
    expect(unit).toContain(`What=/dev/disk/by-label/${CEPH_STATE_LABEL}\nWhere=/var/lib/rook\nType=ext4`);
    expect(unit).toContain("Before=k3s.service k3s-agent.service");
    expect(unit).toContain("WantedBy=local-fs.target");
    expect(unit).not.toMatch(/\/dev\/vd/);
    for (const service of ["k3s.service", "k3s-agent.service"]) {
      expect(readFileSync(join(node.root, `etc/systemd/system/${service}.d/40-ceph-state-disk.conf`), "utf8")).toBe("[Unit]\nRequiresMountsFor=/var/lib/rook\n");
    }
    expect(lstatSync(join(node.root, "var/lib/rook")).isSymbolicLink()).toBe(true);
    expect(existsSync(join(node.disk, CEPH_STATE_MARKER))).toBe(true);
    expect(existsSync(join(node.root, "var/lib/rook.on-root-disk"))).toBe(false);
  });

  it("changes nothing when run again (already formatted and mounted)", () => {
    const again = node.run();
    expect(again.status).toBe(0);
    expect(again.acting).toEqual([]);
    expect(again.stderr).toContain("unchanged");
  });

  it("after a reboot (mounted by its unit) changes nothing either; a drifted unit is rewritten, nothing formatted", () => {
    writeFileSync(join(node.root, "etc/systemd/system/var-lib-rook.mount"), "[Mount]\nWhat=/dev/vdc\n");
    const drift = node.run();
    expect(drift.status).toBe(0);
    expect(drift.acting).toEqual(["systemctl daemon-reload"]);
    expect(readFileSync(join(node.root, "etc/systemd/system/var-lib-rook.mount"), "utf8")).toContain(`What=/dev/disk/by-label/${CEPH_STATE_LABEL}`);
  });
});

describe("an existing storage node re-created with the new disk (its mon store on the root disk, K3s running)", () => {
  const node = new Node().enable("k3s-agent.service");
  mkdirSync(join(node.root, "var/lib/rook/mon-a/data"), { recursive: true });
  writeFileSync(join(node.root, "var/lib/rook/mon-a/data/store.db"), "mon store");
  mkdirSync(join(node.root, "var/lib/rook/rook-ceph/crash"), { recursive: true });
  const first = node.run({ STUB_ACTIVE: "k3s-agent.service" });

  it("stops K3s and its pods, copies the state onto the new disk, keeps the root copy aside, mounts, starts K3s again", () => {
    expect([first.status, first.stderr]).toEqual([0, expect.stringContaining("copied /var/lib/rook")]);
    expect(first.acting).toEqual([
      `mkfs.ext4 -q -L ${CEPH_STATE_LABEL} -m 0 /dev/vdc`,
      "udevadm settle",
      `mount -t ext4 /dev/disk/by-label/${CEPH_STATE_LABEL} ${node.root}/run/flatcarmicrocloud/ceph-state`,
      "systemctl stop k3s-agent.service",
      "k3s-killall.sh ",
      `umount ${node.root}/run/flatcarmicrocloud/ceph-state`,
      "systemctl daemon-reload",
      "systemctl enable --now var-lib-rook.mount",
      "systemctl start --no-block k3s-agent.service",
    ]);
    expect(readFileSync(join(node.disk, "mon-a/data/store.db"), "utf8")).toBe("mon store");
    expect(existsSync(join(node.disk, "rook-ceph/crash"))).toBe(true);
    expect(readFileSync(join(node.root, "var/lib/rook.on-root-disk/mon-a/data/store.db"), "utf8")).toBe("mon store");
    // Through the mount, /var/lib/rook shows the disk's copy.
    expect(readFileSync(join(node.root, "var/lib/rook/mon-a/data/store.db"), "utf8")).toBe("mon store");
  });

  it("changes nothing when run again", () => {
    const again = node.run({ STUB_ACTIVE: "k3s-agent.service" });
    expect(again.status).toBe(0);
    expect(again.acting).toEqual([]);
  });
});

describe("a node whose state disk did not mount at boot (K3s, which requires it, never started)", () => {
  // Formatted and holding its state, the unit installed and enabled; this boot's mount failed.
  const node = new Node().enable("k3s-agent.service");
  node.run();
  writeFileSync(join(node.disk, "mon-a"), "kept");
  // The reboot: nothing mounted, K3s not running.
  rmSync(join(node.root, "started-k3s-agent.service"), { force: true });
  rmSync(join(node.root, "var/lib/rook"));
  mkdirSync(join(node.root, "var/lib/rook"));

  it("mounts the disk and starts every enabled K3s unit that is not running", () => {
    const r = node.run();
    expect(r.status).toBe(0);
    expect(r.acting).toEqual([
      `mount -t ext4 /dev/disk/by-label/${CEPH_STATE_LABEL} ${node.root}/run/flatcarmicrocloud/ceph-state`,
      `umount ${node.root}/run/flatcarmicrocloud/ceph-state`,
      "systemctl enable --now var-lib-rook.mount",
      "systemctl start --no-block k3s-agent.service",
    ]);
    expect(r.stderr).toContain("started k3s-agent.service");
    expect(readFileSync(join(node.root, "var/lib/rook/mon-a"), "utf8")).toBe("kept");
  });

  it("mounted later by hand, K3s still down: the next run starts it; a running K3s is left alone", () => {
    const down = new Node().enable("k3s.service");
    expect(down.run().acting).toContain("systemctl start --no-block k3s.service");
    // K3s failed again meanwhile; the state disk is mounted.
    rmSync(join(down.root, "started-k3s.service"), { force: true });
    const r = down.run();
    expect([r.status, r.acting]).toEqual([0, ["systemctl start --no-block k3s.service"]]);
    expect(down.run().acting).toEqual([]);
  });
});

it("a disk with its state already (a new root disk for the node): mounted as it is, nothing formatted or copied", () => {
  const node = new Node();
  node.run();
  writeFileSync(join(node.disk, "mon-b"), "kept");
  // The new root disk: no unit, no mount, an empty /var/lib/rook.
  const fresh = new Node();
  Object.assign(fresh, { disk: node.disk });
  mkdirSync(join(fresh.root, "dev/disk/by-label"), { recursive: true });
  writeFileSync(join(fresh.root, `dev/disk/by-label/${CEPH_STATE_LABEL}`), "");
  const r = fresh.run({ STUB_DISK: node.disk });
  expect(r.status).toBe(0);
  expect(r.acting.filter((c) => /mkfs|cp |stop/.test(c))).toEqual([]);
  expect(readFileSync(join(fresh.root, "var/lib/rook/mon-b"), "utf8")).toBe("kept");
});

it("never formats a disk that is not blank, nor one of another size, nor another machine's", () => {
  const foreign = new Node();
  const r = foreign.run({ STUB_FOREIGN: "1" });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("is not blank");
  expect(r.calls.some((c) => c.startsWith("mkfs"))).toBe(false);
  const other = new Node();
  const size = other.run({ STUB_SIZE: String(SIZE + 512) });
  expect([size.status, size.stderr]).toEqual([1, expect.stringContaining("refusing to format another disk")]);
  const elsewhere = new Node("worker2");
  const wrong = elsewhere.run();
  expect([wrong.status, wrong.stderr]).toEqual([1, expect.stringContaining("expected VM worker1")]);
  expect(wrong.calls).toEqual([]);
});

it("an interrupted copy (no marker on the disk) is copied again; the root copy is never removed before that", () => {
  const node = new Node();
  mkdirSync(join(node.root, "var/lib/rook/mon-a"), { recursive: true });
  writeFileSync(join(node.root, "var/lib/rook/mon-a/store.db"), "mon store");
  // Formatted, half a copy, no marker.
  mkdirSync(join(node.disk, "lost+found"));
  writeFileSync(`${node.disk}.formatted`, "");
  mkdirSync(join(node.root, "dev/disk/by-label"), { recursive: true });
  writeFileSync(join(node.root, `dev/disk/by-label/${CEPH_STATE_LABEL}`), "");
  mkdirSync(join(node.disk, "mon-a"));
  const r = node.run();
  expect(r.status).toBe(0);
  expect(r.stderr).toContain("an interrupted run");
  expect(r.calls.some((c) => c.startsWith("mkfs"))).toBe(false);
  expect(readFileSync(join(node.disk, "mon-a/store.db"), "utf8")).toBe("mon store");
  expect(node.onDisk()).toEqual([CEPH_STATE_MARKER, "mon-a"].sort());
});

it("passes shellcheck", () => {
  const r = shellcheck(renderCephStateDiskScript({ name: "worker1", stateDisk: worker1.stateDisk as NonNullable<typeof worker1.stateDisk> }));
  expect(r.output).toBe("");
  expect(r.status).toBe(0);
});

describe("rollout on a stack deployed before the state disk existed", () => {
  const roles = parseRoleSettings(stackConfig("prod"), prod);
  const cluster = parseClusterSettings(stackConfig("prod"), prod);
  const k3s = { servers: cluster.servers, agents: cluster.agents, k3sNodeChangesPerUp: 1 };
  /** The record such a program left: no state disk on any machine. */
  const withoutStateDisks = (record: DeploymentRecord): DeploymentRecord => ({
    ...record,
    machines: Object.fromEntries(Object.entries(record.machines).map(([name, m]) => [name, { ...m, cephStateDiskGiB: undefined }])),
  });
  const old = withoutStateDisks(deploymentRecord(prod, roles, k3s));

  it("first deploy: every storage node has it", () => {
    expect(plannedDeployment(undefined, prod, roles, k3s).stateDisks).toEqual({ attached: ["worker1", "worker2", "worker3"], pending: [] });
  });

  it("one storage node per run (k3sNodeChangesPerUp 1), each run admitted, until all have it; then nothing changes", () => {
    let previous = old;
    const runs: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const { record, stateDisks } = plannedDeployment(previous, prod, roles, k3s);
      runs.push(stateDisks.attached);
      expect(record.machines.worker1.cephStateDiskGiB !== undefined).toBe(stateDisks.attached.includes("worker1"));
      previous = record;
    }
    expect(runs).toEqual([["worker1"], ["worker1", "worker2"], ["worker1", "worker2", "worker3"], ["worker1", "worker2", "worker3"]]);
  });

  it("another K3s node change in the same run uses the budget: no state disk this run; a storage node re-created anyway takes it along", () => {
    const resized = structuredClone(rawStack("prod")) as { vms: { name: string; vcpus: number }[] };
    resized.vms.find((v) => v.name === "master1")!.vcpus -= 1;
    const t = parseTopology(resized, "prod");
    expect(plannedDeployment(old, t, roles, k3s).stateDisks).toEqual({ attached: [], pending: ["worker1", "worker2", "worker3"] });
    resized.vms.find((v) => v.name === "master1")!.vcpus += 1;
    resized.vms.find((v) => v.name === "worker3")!.vcpus -= 1;
    const w3 = parseTopology(resized, "prod");
    expect(plannedDeployment(old, w3, roles, k3s).stateDisks).toEqual({ attached: ["worker3"], pending: ["worker1", "worker2"] });
  });

  it("k3sNodeChangesPerUp raised: that many at once", () => {
    expect(cephStateDiskRollout(old, prod, { k3sNodeChangesPerUp: 2, otherK3sNodeChanges: [] })).toEqual({ attached: ["worker1", "worker2"], pending: ["worker3"] });
  });
});

it("stage 1 tells stage 2 the state disk is the third disk, which Rook's devices (vdb only) never list", () => {
  expect(worker1.stateDisk).toEqual({ device: "/dev/vdc", sizeGiB: prod.cephStateDiskGiB });
  expect(worker1.dataDisks.map((d) => d.device)).toEqual(["/dev/vdb"]);
  const bootstrap = describeNode(prod.vms.find((v) => v.name === "bootstrap1") as (typeof prod)["vms"][number], prod);
  expect(bootstrap.stateDisk).toBeUndefined();
});

it("a new cephStateDiskGiB on a live stack is refused once, naming the key and every storage node", () => {
  const roles = parseRoleSettings(stackConfig("prod"), prod);
  const cluster = parseClusterSettings(stackConfig("prod"), prod);
  const k3s = { servers: cluster.servers, agents: cluster.agents };
  const bigger = parseTopology(rawStack("prod", { cephStateDiskGiB: 40 }), "prod");
  const problems = dayTwoProblems(deploymentRecord(prod, roles, k3s), deploymentRecord(bigger, roles, k3s), bigger, { ...k3s, k3sNodeChangesPerUp: 1 });
  expect(problems).toEqual([expect.stringMatching(/^cephStateDiskGiB: .* 20 -> 40 GiB .* of worker1, worker2, worker3 with an empty one; keep 20$/)]);
});
