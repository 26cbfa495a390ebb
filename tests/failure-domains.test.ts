/**
 * Failure domains (issue 19, item 3): the zone and chassis labels each K3s node carries, the K3s
 * servers' spread over the hosts, the Ceph layout (failure domain, pool size, what it survives, its
 * memory) and the spread rules in the rendered values. One-host stacks stay exactly as they were.
 */
import { parse } from "yaml";
import { parsePlatformSettings } from "../config/platform";
import { CHASSIS_LABEL, etcdSpread, topologyLabels, ZONE_LABEL } from "../config/failure-domains";
import { Topology, VmSpec } from "../config/topology";
import { ONE_HOST_KEYS } from "../config/hosts";
import { ConfigError, parseTopology, RawStackConfig } from "../config/validate";
import { parseClusterSettings } from "../config/cluster";
import { k3sClusterFacts } from "../cluster/facts";
import { cephLayoutOf } from "../plan/ceph-layout";
import { renderK3sConfig } from "../cluster/k3s-config";
import { renderReconcileNode } from "../cluster/scripts";
import { nodeLabels } from "../cluster/k3s-config";
import { cephLayoutWarnings } from "../infra/deployment-record";
import { deploymentRecord } from "../infra/machines";
import { describeNode } from "../infra/nodes";
import { cephLayout, describeSurvival } from "../platform/ceph-layout";
import { planPlatform, PlatformPlan } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { appDatabase } from "../apps/facts";
import { APPS_NAMESPACE, AppContext, renderApps } from "../apps/render";
import { parseApps } from "../config/apps";
import { parseRoleSettings } from "../config/roles";
import { platformServices } from "../platform/services";
import { rawStack, stackConfig } from "./helpers/stacks";

type Placement = { host: string; dataPool?: string };

const POOLS = ["disk1", "disk2", "disk3", "ssd1", "d1", "d2", "d3"];

/**
 * prod's VMs placed on hosts and pools through the stack config's `hosts` list (`"*"`: every VM not
 * named); each host has the pools the tests name, "disk1" first.
 */
function placedRaw(where: Record<string, Placement>): RawStackConfig {
  const raw = rawStack("prod") as Record<string, unknown>;
  for (const key of ONE_HOST_KEYS) delete raw[key];
  const vms = structuredClone(raw.vms) as ({ name: string } & Record<string, unknown>)[];
  for (const v of vms) Object.assign(v, where[v.name] ?? { host: where["*"].host });
  const names = [...new Set([where["*"].host, ...Object.values(where).map((p) => p.host)])];
  const hosts = names.map((name, i) => ({
    name,
    libvirtUri: i === 0 ? "qemu:///system" : `qemu+ssh://root@192.168.0.${30 + i}/system`,
    threads: 24,
    memoryGiB: 35,
    reservedMemoryGiB: 1,
    addresses: i === 0 ? ["192.168.0.15", "192.168.0.16", "192.168.0.18", "192.168.0.20"] : [`192.168.0.${30 + i}`],
    pools: POOLS.map((pool) => ({ name: pool, path: `/srv/${pool}/flatcarmicrocloud-prod` })),
  }));
  // K3s nodes on several hosts need a cluster network that reaches them all: a bridge onto a LAN
  // segment every host is on (config/network-span.ts; libvirt's NAT networks stay on their host).
  const networks = (raw.networks as Record<string, unknown>[]).map((n) =>
    names.length > 1 && n.name === raw.clusterNetwork ? { name: n.name, mode: "bridge", bridge: "br-kube", cidr: n.cidr, gateway: "10.17.4.1" } : n,
  );
  return { ...raw, vms, hosts, networks };
}

function placed(where: Record<string, Placement>): Topology {
  return parseTopology(placedRaw(where), "prod");
}

const prod = () => parseTopology(rawStack("prod"), "prod");
const vm = (t: Topology, name: string) => t.vms.find((v) => v.name === name) as VmSpec;

function planOf(topology: Topology): PlatformPlan {
  return planPlatform({ ...k3sClusterFacts(topology), settings: parsePlatformSettings({}, topology) });
}

/** Three hosts: a server, a worker each (bootstrap1+worker1 on a, master1+worker2 on b, worker3 on c). */
const threeHosts = () =>
  placed({
    "*": { host: "pa" },
    bootstrap1: { host: "pa" },
    worker1: { host: "pa", dataPool: "ssd1" },
    master1: { host: "pb" },
    worker2: { host: "pb", dataPool: "ssd1" },
    worker3: { host: "pc", dataPool: "ssd1" },
  });

/** The seed's host with its two disks: worker1 on one, worker2 and worker3 on the other. */
const oneHostTwoDisks = (w3 = "disk2") =>
  placed({ worker1: { host: "proliant", dataPool: "disk1" }, worker2: { host: "proliant", dataPool: "disk2" }, worker3: { host: "proliant", dataPool: w3 }, "*": { host: "proliant" } });

describe("node labels", () => {
  test("a one-host, one-pool stack (every stack before hosts) gets no failure-domain label", () => {
    const t = prod();
    for (const v of t.vms) {
      expect(topologyLabels(t, v)).toEqual({});
      expect(describeNode(v, t).labels).toEqual(v.labels);
    }
  });

  test("with K3s nodes on two or more hosts, every K3s node carries its host as topology.kubernetes.io/zone", () => {
    const t = threeHosts();
    expect(describeNode(vm(t, "master1"), t).labels[ZONE_LABEL]).toBe("pb");
    expect(describeNode(vm(t, "worker3"), t).labels[ZONE_LABEL]).toBe("pc");
    expect(describeNode(vm(t, "bootstrap1"), t).labels[ZONE_LABEL]).toBe("pa");
    // Service VMs are no Kubernetes nodes.
    expect(describeNode(vm(t, "freeipa1"), t).labels).toEqual({});
  });

  test("storage nodes on two or more physical disks carry their disk as topology.rook.io/chassis (host-pool)", () => {
    const t = oneHostTwoDisks();
    expect(describeNode(vm(t, "worker1"), t).labels).toEqual({ [CHASSIS_LABEL]: "proliant-disk1" });
    expect(describeNode(vm(t, "worker2"), t).labels).toEqual({ [CHASSIS_LABEL]: "proliant-disk2" });
    // One host: no zone; not a storage node: no chassis.
    expect(describeNode(vm(t, "master1"), t).labels).toEqual({});
  });

  test("the labels reach a new node at registration (config.yaml node-label) and existing ones through the member step (kubectl label)", () => {
    const t = threeHosts();
    const node = describeNode(vm(t, "worker3"), t);
    const config = parse(renderK3sConfig({ node, kind: "agent", token: "t", serverUrl: "https://10.17.4.14:6443", tlsSans: [], storage: true })) as Record<string, string[]>;
    expect(config["node-label"]).toEqual(expect.arrayContaining([`${ZONE_LABEL}=pc`, `${CHASSIS_LABEL}=pc-ssd1`]));
    const reconcile = renderReconcileNode({ nodeName: node.name, labels: nodeLabels(node, true), taints: [] });
    expect(reconcile).toContain(`${ZONE_LABEL}=pc`);
    expect(reconcile).toContain(`${CHASSIS_LABEL}=pc-ssd1`);
  });

  test("a label the program sets may not also be configured on the VM", () => {
    const t = threeHosts();
    const w = vm(t, "worker1");
    w.labels = { ...w.labels, [ZONE_LABEL]: "elsewhere" };
    expect(() => parseClusterSettings({}, t)).toThrow(`vms[6].labels: ${ZONE_LABEL} is set by the program`);
  });
});

describe("K3s servers over the hosts", () => {
  test("with three hosts, a host holding an etcd majority is refused by the config check, naming the VM's host key and the reason", () => {
    const raw = placedRaw({ "*": { host: "pa" }, bootstrap1: { host: "pa" }, master1: { host: "pa" }, worker2: { host: "pb" }, worker3: { host: "pc" } });
    let problems: string[] = [];
    try {
      parseTopology(raw, "prod");
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^vms\[4\]\.host: host pa holds 2 of the 2 K3s servers \(bootstrap1, master1\), an etcd majority \(2\): losing that one machine stops the Kubernetes API/),
    ]);
    // The same servers one per host pass.
    expect(() => placed({ "*": { host: "pa" }, master1: { host: "pb" }, worker3: { host: "pc" } })).not.toThrow();
  });

  test("three servers, one per host, pass; three servers with two on one of three hosts do not", () => {
    const t = threeHosts();
    expect(etcdSpread(t, ["bootstrap1", "master1", "worker3"]).problems).toEqual([]);
    expect(etcdSpread(t, ["bootstrap1", "worker1", "master1"]).problems[0]).toMatch(/host pa holds 2 of the 3 K3s servers/);
  });

  test("with two hosts no placement avoids a majority: a warning, not a refusal; one host: nothing new", () => {
    const two = placed({ "*": { host: "pa" }, master1: { host: "pb" }, worker3: { host: "pb" } });
    const spread = etcdSpread(two, ["bootstrap1", "master1", "worker1"]);
    expect(spread.problems).toEqual([]);
    expect(spread.warnings[0]).toMatch(/host pa holds 2 of the 3 K3s servers.*a third host with a server does/);
    expect(etcdSpread(prod(), ["bootstrap1", "master1"])).toEqual({ problems: [], warnings: [] });
  });
});

describe("Ceph layout", () => {
  test("prod as committed: three OSD VMs on one disk keep failure domain host and size 3, survive a VM only, and say so", () => {
    const layout = planOf(prod()).ceph;
    expect(layout).toMatchObject({ failureDomain: "host", poolSize: 3, minSize: 2, monCount: 3, mgrCount: 1, hosts: 1, disks: 1 });
    expect(layout.survives.vm).toEqual({ data: true, io: true, monQuorum: true });
    expect(layout.survives.disk).toEqual({ data: false, io: false, monQuorum: false });
    expect(layout.survives.host.data).toBe(false);
    // 3 OSDs x 1536 MiB + 3 mons x 384 MiB + 1 mgr x 512 MiB (requests).
    expect(layout.memoryMiB.requests).toBe(3 * 1536 + 3 * 384 + 512);
    expect(layout.warnings[0]).toMatch(/OSDs worker1, worker2, worker3 write to the same physical disk/);
    expect(describeSurvival(layout)).toEqual([
      "a disk: data can be lost, mons lose quorum",
      "a VM: data kept, I/O goes on, mons keep quorum",
      "a host: data can be lost, mons lose quorum",
    ]);
  });

  test("one host, an OSD per physical disk: failure domain chassis, replicas on different disks, size 2 (min_size 1), survives a disk", () => {
    const t = placed({ worker1: { host: "proliant", dataPool: "disk1" }, worker2: { host: "proliant", dataPool: "disk2" }, "*": { host: "proliant" } });
    // worker3 becomes a plain worker (no Ceph disk): one OSD per disk.
    const w3 = vm(t, "worker3");
    delete w3.dataDiskGiB;
    const layout = planOf(t).ceph;
    expect(layout).toMatchObject({ failureDomain: "chassis", poolSize: 2, minSize: 1, disks: 2, hosts: 1, monCount: 1, mgrCount: 1, warnings: [] });
    expect(layout.survives.disk).toMatchObject({ data: true, io: true });
    expect(layout.survives.vm).toMatchObject({ data: true, io: true });
    expect(layout.survives.host.data).toBe(false);
    expect(layout.memoryMiB.requests).toBe(2 * 1536 + 384 + 512);
  });

  test("two OSDs on the same physical disk are warned (not refused: a live stack keeps working), with what they cost", () => {
    const layout = planOf(oneHostTwoDisks()).ceph;
    expect(layout).toMatchObject({ failureDomain: "chassis", poolSize: 2, disks: 2 });
    expect(layout.warnings).toEqual([expect.stringMatching(/^Ceph: OSDs worker2, worker3 write to the same physical disk \(proliant-disk2\).*costs 1536 MiB/)]);
  });

  test("three hosts with OSDs: failure domain zone, size 3, a standby mgr, survives a host (data, I/O and mon quorum)", () => {
    const layout = planOf(threeHosts()).ceph;
    expect(layout).toMatchObject({ failureDomain: "zone", poolSize: 3, minSize: 2, hosts: 3, monCount: 3, mgrCount: 2, warnings: [] });
    expect(layout.survives.host).toEqual({ data: true, io: true, monQuorum: true });
    expect(layout.memoryMiB.requests).toBe(3 * 1536 + 3 * 384 + 2 * (512 + 40));
  });

  test("two hosts: chassis over the disks; a host failure keeps the data while no host holds every replica's disk", () => {
    const t = placed({ "*": { host: "pa" }, worker1: { host: "pa", dataPool: "d1" }, worker2: { host: "pa", dataPool: "d2" }, worker3: { host: "pb", dataPool: "d1" } });
    const layout = planOf(t).ceph;
    expect(layout).toMatchObject({ failureDomain: "chassis", poolSize: 3, disks: 3, hosts: 2, mgrCount: 2, warnings: [] });
    expect(layout.survives.disk).toMatchObject({ data: true, io: true });
    // pa holds two of the three disks: one replica always lives on pb, but I/O waits (1 < min_size 2).
    expect(layout.survives.host).toMatchObject({ data: true, io: false });
  });

  test("a host holding as many disks as the pool has replicas can lose data with that host: warned", () => {
    const node = (name: string, host: string, disk: string) => ({ name, host, cephDisk: `${host}-${disk}`, topologyLabels: { [ZONE_LABEL]: host, [CHASSIS_LABEL]: `${host}-${disk}` } });
    const layout = cephLayout([node("a1", "pa", "d1"), node("a2", "pa", "d2"), node("a3", "pa", "d3"), node("b1", "pb", "d1")]);
    expect(layout).toMatchObject({ failureDomain: "chassis", poolSize: 3, hosts: 2, disks: 4 });
    expect(layout.survives.host.data).toBe(false);
    expect(layout.warnings).toEqual([expect.stringMatching(/all 3 replicas of an object may sit on one host/)]);
  });

  test("an existing cluster's nodes (hosts unknown) keep failure domain host and one mgr", () => {
    const layout = cephLayout([{ name: "a" }, { name: "b" }, { name: "c" }]);
    expect(layout).toMatchObject({ failureDomain: "host", poolSize: 3, mgrCount: 1, hosts: 3 });
    expect(layout.survives.host.data).toBe(true);
  });
});

describe("rendered values", () => {
  const blockPool = (plan: PlatformPlan) => renderPlatform(plan).values.rookCephCluster.cephBlockPools.find((p) => p.name === "ceph-blockpool");

  test("three hosts: every pool's failure domain is the zone, .mgr declared with it, two mgrs, mons spread over the zones", () => {
    const plan = planOf(threeHosts());
    const v = renderPlatform(plan).values.rookCephCluster;
    expect(blockPool(plan)?.spec).toEqual({ failureDomain: "zone", replicated: { size: 3 } });
    expect(v.cephBlockPools.find((p) => p.name === "builtin-mgr")?.spec).toEqual({ name: ".mgr", failureDomain: "zone", replicated: { size: 3 } });
    expect(v.cephClusterSpec.mgr.count).toBe(2);
    expect(v.cephClusterSpec.placement.mon.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "rook-ceph-mon" } } },
    ]);
  });

  test("one host with two disks: chassis, size 2, Ceph's new pools default to 2", () => {
    const plan = planOf(oneHostTwoDisks());
    const v = renderPlatform(plan).values.rookCephCluster;
    expect(blockPool(plan)?.spec).toEqual({ failureDomain: "chassis", replicated: { size: 2 } });
    expect(v.cephClusterSpec.cephConfig.global).toEqual({ osd_pool_default_size: "2" });
    expect(v.cephClusterSpec.placement.mon.topologySpreadConstraints).toBeUndefined();
  });

  test("with zones Kafka, Redis and the apps spread over the hosts first, then the nodes; without, over the nodes as before", () => {
    const zoned = planOf(threeHosts());
    const flat = planOf(prod());
    expect(zoned.spreadTopologyKey).toBe(ZONE_LABEL);
    expect(flat.spreadTopologyKey).toBe("kubernetes.io/hostname");
    const kafkaTerms = (plan: PlatformPlan) =>
      (renderPlatform(plan).kafkaNodePool.template.pod.affinity as { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: { weight: number; podAffinityTerm: { topologyKey: string } }[] } })
        .podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.map((t) => [t.podAffinityTerm.topologyKey, t.weight]);
    expect(kafkaTerms(zoned)).toEqual([[ZONE_LABEL, 100], ["kubernetes.io/hostname", 50]]);
    expect(kafkaTerms(flat)).toEqual([["kubernetes.io/hostname", 100]]);
    expect(renderPlatform(zoned).values.redisHa.topologySpreadConstraints).toEqual({ enabled: true, maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: "ScheduleAnyway" });
    expect(renderPlatform(flat).values.redisHa.topologySpreadConstraints).toBeUndefined();
    expect(platformServices(zoned).spreadTopologyKey).toBe(ZONE_LABEL);
  });
});

test("the apps' Deployments spread over the zone with zones", () => {
  const topology = threeHosts();
  const plan = planOf(topology);
  const roles = parseRoleSettings(stackConfig("prod"), topology);
  const ctx: AppContext = { namespace: APPS_NAMESPACE, services: platformServices(plan), database: appDatabase(topology, roles.postgres) };
  const { apps } = parseApps({ appsRegistry: "registry.example.com/fmc", apps: stackConfig("prod").apps }, topology);
  for (const rendered of renderApps(apps, ctx).apps) {
    const template = rendered.deployment.spec.template as { spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: { podAffinityTerm: { topologyKey: string } }[] } } } };
    const terms = template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(terms.map((t) => t.podAffinityTerm.topologyKey)).toEqual([ZONE_LABEL, "kubernetes.io/hostname"]);
  }
});

test("cephLayoutOf gives the plan the layout of a VM topology", () => {
  expect(cephLayoutOf(oneHostTwoDisks())).toMatchObject({ failureDomain: "chassis", poolSize: 2, disks: 2, osds: [{ node: "worker1", disk: "proliant-disk1" }, { node: "worker2" }, { node: "worker3" }] });
});

describe("a live Ceph whose layout changes", () => {
  const roles = parseRoleSettings(stackConfig("prod"), prod());
  const k3s = { servers: ["bootstrap1", "master1"], agents: ["worker1", "worker2", "worker3"] };

  test("the record keeps the failure domain when it is not host, and nothing new for a one-host, one-pool stack", () => {
    expect(deploymentRecord(prod(), roles, k3s).cephFailureDomain).toBeUndefined();
    expect(deploymentRecord(oneHostTwoDisks(), roles, k3s).cephFailureDomain).toBe("chassis");
    expect(deploymentRecord(threeHosts(), roles, k3s).cephFailureDomain).toBe("zone");
  });

  test("a deployed Ceph moving from host to chassis is warned, naming the live OSD nodes and what Rook keeps", () => {
    const before = deploymentRecord(prod(), roles, k3s);
    const warnings = cephLayoutWarnings(before, deploymentRecord(oneHostTwoDisks(), roles, k3s));
    expect(warnings).toEqual([expect.stringMatching(/^hosts: Ceph's failure domain becomes chassis \(was host\), but Rook keeps the live pools' CRUSH rule.*worker1, worker2, worker3/)]);
    // Nothing to say: no change, no deployed platform, or a first deploy.
    expect(cephLayoutWarnings(before, deploymentRecord(prod(), roles, k3s))).toEqual([]);
    expect(cephLayoutWarnings({ ...before, deployUpTo: "cluster" }, deploymentRecord(oneHostTwoDisks(), roles, k3s))).toEqual([]);
    expect(cephLayoutWarnings(undefined, deploymentRecord(threeHosts(), roles, k3s))).toEqual([]);
  });
});
