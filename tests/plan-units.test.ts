/**
 * The offline plan's pure parts: durations, critical path, stages, capacity, stack config reading.
 */
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseTopology } from "../config/validate";
import { capacityReport, diskCapacity, disksCapacity, PlatformTotals, vmCapacity } from "../plan/capacity";
import { disksSection } from "../plan/host-report";
import { describeHostOverhead, hostMemoryBudget, pulumiRunsOnHost } from "../config/host-memory";
import { criticalPath, GraphResource } from "../plan/critical-path";
import { DURATIONS, estimateDuration } from "../plan/durations";
import { parseArgs } from "../plan/main";
import { clock, table } from "../plan/report";
import { PLACEHOLDER_SSH_PRIVATE_KEY, readStackFile, secretPlaceholder } from "../plan/stack-config";
import { summariseStages } from "../plan/stages";
import { looksSecretKey } from "../policy/secret-keys";
import { rawStack } from "./helpers/stacks";
import { twoHostStack } from "./helpers/two-hosts";

function res(name: string, type: string, deps: string[] = [], extra: Partial<GraphResource> = {}): GraphResource {
  return { name, type, urn: `urn:${name}`, custom: true, parent: "", dependencies: deps.map((d) => `urn:${d}`), propertyDependencies: {}, inputs: {}, ...extra };
}

describe("duration table", () => {
  it("documents every row and tells base image downloads from overlays and data volumes", () => {
    for (const row of DURATIONS) expect(row.basis.length).toBeGreaterThan(5);
    const volume = (inputs: Record<string, unknown>) => estimateDuration({ type: "libvirt:index/volume:Volume", name: "v", custom: true, inputs });
    expect(volume({ source: "https://example/flatcar.img" }).kind).toBe("base image download");
    expect(volume({ baseVolumeId: "x" }).kind).toBe("root overlay");
    expect(volume({ size: 1 }).kind).toBe("data volume");
  });

  it("counts the wait of a custom resource the provider awaits (pulumi.com/waitFor), and only then", () => {
    const kafka = (annotations?: Record<string, string>) =>
      estimateDuration({ type: "kubernetes:kafka.strimzi.io/v1:Kafka", name: "platform-kafka", custom: true, inputs: { metadata: { annotations } } });
    expect(kafka({ "pulumi.com/waitFor": "condition=Ready" })).toMatchObject({ seconds: 300, kind: "Kafka (await Ready)" });
    expect(kafka()).toMatchObject({ seconds: 3, kind: "Kubernetes object" });
  });

  it("tells remote commands apart by the step they run, and components take no time", () => {
    const cmd = (name: string) => estimateDuration({ type: "command:remote:Command", name, custom: true, inputs: {} }).kind;
    expect([cmd("cluster-worker1-boot"), cmd("cluster-worker1-k3s"), cmd("cluster-worker1-member"), cmd("x")]).toEqual([
      "wait for first boot", "K3s install", "node labels/taints", "remote command",
    ]);
    expect(estimateDuration({ type: "flatcarmicrocloud:infra:Infra", name: "infra", custom: false, inputs: {} }).seconds).toBe(0);
    expect(estimateDuration({ type: "aws:s3:Bucket", name: "b", custom: true, inputs: {} }).listed).toBe(false);
  });
});

describe("critical path", () => {
  it("follows the chain with the largest summed duration and measures the parallelism", () => {
    const graph = [
      res("pool", "libvirt:index/pool:Pool"), // 2
      res("image", "libvirt:index/volume:Volume", ["pool"], { inputs: { source: "u" } }), // 120
      res("net", "libvirt:index/network:Network"), // 3
      res("root", "libvirt:index/volume:Volume", ["image"], { inputs: { baseVolumeId: "image-id" } }), // 2
      res("vm", "libvirt:index/domain:Domain", ["root", "net"]), // 15
      res("data", "libvirt:index/volume:Volume", ["pool"]), // 2
    ];
    const p = criticalPath(graph);
    expect(p.steps.map((s) => s.name)).toEqual(["pool", "image", "root", "vm"]);
    expect(p.steps.map((s) => s.startsAt)).toEqual([0, 2, 122, 124]);
    expect(p.totalSeconds).toBe(139);
    expect(p.sumSeconds).toBe(2 + 120 + 3 + 2 + 15 + 2);
    expect(p.parallelism).toBeCloseTo(144 / 139);
  });

  it("counts property dependencies, ignores parent links and expands a dependency on a component", () => {
    const component = res("stage1", "flatcarmicrocloud:infra:Infra", [], { custom: false });
    const inside = res("image", "libvirt:index/volume:Volume", [], { parent: "urn:stage1", inputs: { source: "u" } });
    const after = res("boot", "command:remote:Command", ["stage1"], { name: "c-boot" });
    after.urn = "urn:boot";
    const viaProperty = res("k3s", "command:remote:Command", [], { name: "c-k3s", propertyDependencies: { x: ["urn:boot"] } });
    const p = criticalPath([component, inside, after, viaProperty]);
    expect(p.steps.map((s) => s.name)).toEqual(["image", "c-boot", "c-k3s"]);
    expect(p.totalSeconds).toBe(120 + 90 + 90);
  });

  it("makes a resource wait for its provider (stage 3 waits for the kubeconfig stage 2 reads)", () => {
    const read = res("kubeconfig", "command:remote:Command", [], { name: "cluster-kubeconfig" });
    const provider = res("k8s", "pulumi:providers:kubernetes", ["kubeconfig"]);
    const release = res("rook", "kubernetes:helm.sh/v3:Release", [], { provider: "urn:k8s::k8s-id" });
    expect(criticalPath([read, provider, release]).steps.map((s) => s.name)).toEqual(["cluster-kubeconfig", "k8s", "rook"]);
  });

  it("refuses a cycle", () => {
    expect(() => criticalPath([res("a", "libvirt:index/pool:Pool", ["b"]), res("b", "libvirt:index/pool:Pool", ["a"])])).toThrow(/cycle/);
  });
});

describe("stages", () => {
  it("counts resources per stage component and type and reports stages with no component as not built", () => {
    const s = summariseStages([
      { type: "flatcarmicrocloud:infra:Infra", name: "infra", urn: "u:infra", parent: "" },
      { type: "libvirt:index/pool:Pool", name: "p", urn: "u:p", parent: "u:infra" },
      { type: "libvirt:index/volume:Volume", name: "v1", urn: "u:v1", parent: "u:infra" },
      { type: "libvirt:index/volume:Volume", name: "v2", urn: "u:v2", parent: "u:infra" },
      { type: "flatcarmicrocloud:cluster:K3sCluster", name: "cluster", urn: "u:c", parent: "" },
      { type: "command:remote:Command", name: "cmd", urn: "u:cmd", parent: "u:c" },
    ]);
    expect(s.map((x) => [x.id, x.built, x.total])).toEqual([["infra", true, 3], ["cluster", true, 1], ["platform", false, 0], ["apps", false, 0]]);
    expect(s[0].byType).toEqual([{ type: "libvirt:index/pool:Pool", count: 1 }, { type: "libvirt:index/volume:Volume", count: 2 }]);
  });
});

describe("capacity", () => {
  const prod = parseTopology(rawStack("prod"), "prod");

  it("sums the prod VMs against the host less qemu, libvirt, the Pulumi run and the host OS: 23 of 24 threads, 30976 of 31034 MiB", () => {
    // qemu: 9 x 192 MiB + 8 MiB per guest GiB (30.25 GiB -> 6+6+20+12+24+24+3x50 = 242 MiB).
    const memory = hostMemoryBudget(prod.hosts[0], prod.vms);
    expect(memory).toMatchObject({ vmsMiB: 30976, qemuMiB: 1728 + 242, libvirtMiB: 256, pulumiMiB: 1536, hostOsMiB: 1024, hostMiB: 35840 });
    expect(memory.neededMiB).toBe(30976 + 1970 + 256 + 1536 + 1024);
    expect(memory.vmsAvailableMiB).toBe(35840 - 1970 - 256 - 1536 - 1024);
    expect(vmCapacity(prod).map((l) => [l.used, l.available, l.fits])).toEqual([[23, 24, true], [30976 / 1024, (35840 - 4786) / 1024, true]]);
  });

  it("counts the storage pool's disk budget: prod's Ceph disks preallocated in full (660 GiB), root overlays at their size", () => {
    const d = diskCapacity(prod);
    const GiB = 1024 ** 3;
    expect(d.rawBytes).toBe((3 * 200 + 3 * 20) * GiB);
    expect(d.overlayBytes).toBe((20 + 20 + 30 + 40 + 30 + 30 + 3 * 40) * GiB);
    // Two base images (Flatcar, Rocky) at the estimate, nine first-boot files of 1 MiB.
    expect(d.imageBytes).toBe(2 * 2 * GiB + 9 * 1024 ** 2);
    expect(d.atCreateBytes).toBe(660 * GiB + 4 * GiB + 18 * 1024 ** 2);
    expect([d.capacityGiB, d.fits]).toEqual([undefined, true]);
    const small = diskCapacity({ ...prod, hosts: [{ ...prod.hosts[0], pools: [{ ...prod.hosts[0].pools[0], capacityGiB: 500 }] }] });
    expect(small.fits).toBe(false);
    expect(capacityReport({ ...prod, hosts: [{ ...prod.hosts[0], pools: [{ ...prod.hosts[0].pools[0], capacityGiB: 500 }] }] }, undefined, "not built").fits).toBe(false);
  });

  // Issue 19: every pool of every host, each against the key that states its capacity.
  it("counts the disks per host and per pool, naming each pool's capacity key", () => {
    const parsed = parseTopology(twoHostStack(), "prod");
    // A capacity below what the pool takes (the config check refuses it too: config/hosts.ts).
    const two = { ...parsed, hosts: [parsed.hosts[0], { ...parsed.hosts[1], pools: [{ ...parsed.hosts[1].pools[0], capacityGiB: 100 }] }] };
    const disks = disksCapacity(two);
    expect(disks.map((d) => [d.host, d.pool, d.capacityKey])).toEqual([
      ["proliant1", "disk1", "hosts[0].pools[0].capacityGiB"],
      ["proliant1", "disk2", "hosts[0].pools[1].capacityGiB"],
      ["proliant2", "disk1", "hosts[1].pools[0].capacityGiB"],
    ]);
    const GiB = 1024 ** 3;
    // worker2's Ceph OSD disk is on the seed's second disk; worker3 (OSD, state and root disks) on proliant2.
    expect(disks[1].rawBytes).toBe(200 * GiB);
    expect(disks[2].rawBytes).toBe((200 + 20) * GiB);
    expect(disks.reduce((s, d) => s + d.rawBytes, 0)).toBe(diskCapacity(prod).rawBytes);
    // proliant2's pool holds more than its stated 100 GiB: the report fails on it, not on the first pool.
    expect(disks.map((d) => d.fits)).toEqual([true, true, false]);
    expect(capacityReport(two, undefined, "not built").fits).toBe(false);
    const text = disksSection(disks, false).join("\n");
    expect(text).toContain("    host proliant1: ");
    expect(text).toMatch(/^ {6}pool disk2 \(\/srv\/disk2\/flatcarmicrocloud-prod\): 200 GiB taken when the volumes are created.*hosts\[0\]\.pools\[1\]\.capacityGiB not stated/m);
    expect(text).toMatch(/^ {6}pool disk1 \(\/var\/lib\/libvirt\/images\/flatcarmicrocloud-prod\): .*hosts\[1\]\.pools\[0\]\.capacityGiB 100 GiB: DOES NOT FIT$/m);
    expect(text).not.toContain("storagePoolCapacityGiB");
    // A one-host, one-pool stack keeps its one line, with its one-host key.
    expect(disksSection(disksCapacity(prod), true)).toEqual([expect.stringMatching(/^ {2}storage pool \/var\/lib\/libvirt\/images\/flatcarmicrocloud-prod: .*storagePoolCapacityGiB not stated/)]);
  });

  it("charges the Pulumi run to the host only when libvirt is local", () => {
    expect(["qemu:///system", "qemu+unix:///system", "qemu:///session"].map(pulumiRunsOnHost)).toEqual([true, true, true]);
    expect(["qemu+ssh://root@kvm1/system", "qemu+tls://kvm1/system", "qemu://kvm1/system"].map(pulumiRunsOnHost)).toEqual([false, false, false]);
    const remote = hostMemoryBudget({ ...prod.hosts[0], libvirtUri: "qemu+ssh://root@kvm1/system" }, prod.vms);
    expect(remote.pulumiMiB).toBe(0);
    expect(remote.vmsAvailableMiB).toBe(hostMemoryBudget(prod.hosts[0], prod.vms).vmsAvailableMiB + 1536);
    expect(describeHostOverhead(remote, 9)).toContain("Pulumi run elsewhere");
  });

  it("fails once the overheads no longer fit, though the guests' RAM alone would", () => {
    // One more 512 MiB VM: 512 + 196 MiB qemu more than the host has, while 31488 MiB of guest RAM < 35 GiB - 1 GiB.
    const more = hostMemoryBudget(prod.hosts[0], [...prod.vms, { memoryMiB: 512 }]);
    expect(more.vmsMiB).toBeLessThan((35 - 1) * 1024);
    expect(more.fits).toBe(false);
  });

  it("offers the platform the three workers' allocatable after K3s reservations (the servers are tainted)", () => {
    const c = capacityReport(prod, undefined, "platform stage not built yet");
    expect(c.schedulable.map((n) => n.name)).toEqual(["worker1", "worker2", "worker3"]);
    // The guest's MemTotal (an estimate: 189 MiB below 6400 for the kernel), less the K3s reservations.
    expect(c.schedulable[0].allocatable).toEqual({ cpuMilli: 3500, memoryMiB: 6400 - 189 - 384 - 512 - 256 });
    expect(c.estimates.join("\n")).toMatch(/guest MemTotal = VM memory less the guest kernel's share \(124 of 3072 MiB, 189 of 6400 MiB;/);
    expect(c.platform).toBeUndefined();
    expect(c.platformNote).toContain("not built yet");
    expect(c.fits).toBe(true);
  });

  it("fails when the platform's requests exceed the allocatable or its own check finds a problem; limits may overcommit", () => {
    const totals = (cpu: number, mem: number, cpuLimit = cpu, memLimit = mem, problems: string[] = []): PlatformTotals => ({
      requests: { cpuMilli: cpu, memoryMiB: mem }, limits: { cpuMilli: cpuLimit, memoryMiB: memLimit }, byRelease: [], problems,
    });
    const ok = capacityReport(prod, totals(10500, 15177, 31600, 28216));
    expect(ok.fits).toBe(true);
    expect(ok.platform?.map((l) => l.note)).toEqual([undefined, undefined, "overcommitted 3.0x: allowed, limits are not reserved", "overcommitted 1.9x: allowed, limits are not reserved"]);
    expect(capacityReport(prod, totals(10501, 1000)).fits).toBe(false);
    expect(capacityReport(prod, totals(1000, 15178)).fits).toBe(false);
    const tooBig = capacityReport(prod, totals(1000, 1000, 1000, 1000, ["pod osd requests more than any single node has"]));
    expect([tooBig.fits, tooBig.platformProblems]).toEqual([false, ["pod osd requests more than any single node has"]]);
  });
});

describe("stack config for the plan", () => {
  it("reads the committed stack file, fills in the public key and replaces encrypted values by placeholders", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-"));
    writeFileSync(
      join(dir, "Pulumi.x.yaml"),
      "config:\n  flatcarmicrocloud:hostVcpus: 8\n  flatcarmicrocloud:sshPrivateKey:\n    secure: v1:abc\n  libvirt:uri: qemu:///system\n",
    );
    const f = readStackFile(dir, "x");
    expect(f.config).toMatchObject({ hostVcpus: 8, sshPrivateKey: PLACEHOLDER_SSH_PRIVATE_KEY, "libvirt:uri": "qemu:///system" });
    expect(f.config.sshPublicKey).toMatch(/^ssh-ed25519 /);
    expect(f.secretKeys).toEqual(["sshPrivateKey"]);
    expect(f.filledIn).toEqual(["sshPrivateKey", "sshPublicKey"]);
    expect(() => readStackFile(dir, "missing")).toThrow(/no stack config/);
  });

  it("gives a private key placeholder the shape the program checks for", () => {
    const armour = (edge: string) => `-----${edge} OPENSSH PRIVATE KEY-----`;
    expect(secretPlaceholder("sshPrivateKey")).toMatch(new RegExp(`^${armour("BEGIN")}\\n[A-Za-z0-9+/=]+\\n${armour("END")}\\n$`));
    expect(secretPlaceholder("grafanaAdminPassword")).toBe("plan-placeholder-grafanaAdminPassword");
  });

  it("parses --stack and writes the diagram for prod only unless told", () => {
    expect(parseArgs([])).toEqual({ stack: "prod", diagramPath: "docs/architecture.md" });
    expect(parseArgs(["--stack", "dev"])).toEqual({ stack: "dev", diagramPath: undefined });
    expect(parseArgs(["--stack=prod", "--no-diagram"])).toEqual({ stack: "prod", diagramPath: undefined });
    expect(() => parseArgs(["--stack"])).toThrow(/needs a value/);
    expect(() => parseArgs(["--stak", "x"])).toThrow(/unknown argument/);
  });
});

describe("report helpers", () => {
  it("formats clocks and aligned tables", () => {
    expect(clock(139)).toBe("2:19");
    expect(table(["a", "bb"], [["xxx", "y"]], "")).toEqual(["a    bb", "xxx  y"]);
  });

  it("recognises secret-looking keys but not references to secrets", () => {
    for (const k of ["sshPrivateKey", "adminPassword", "joinToken", "clientSecret", "apiKey", "DB_PASSWORD", "credentials"]) expect(looksSecretKey(k)).toBe(true);
    for (const k of ["sshPublicKey", "existingSecret", "secretName", "tokenFile", "passwordSecretRef", "hostName", "configSecret"]) expect(looksSecretKey(k)).toBe(false);
  });
});
