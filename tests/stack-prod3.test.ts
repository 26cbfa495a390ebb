/**
 * Pulumi.prod3.yaml, the layout that makes the cluster redundant across three hosts, through the real
 * program (index.ts) under the mock engine, and its `npm run plan` (plan/run.js, its own process):
 * one K3s server per host (no host holds an etcd majority), a Ceph OSD on each disk of each host
 * (failure domain zone, three replicas), every K3s node labelled with its host as its zone, the
 * workers on every host; what it does not make redundant is said by the plan. Expected figures come
 * from the topology and the program's own functions, never typed in.
 */
import { spawnSync } from "child_process";
import { join } from "path";
import { ZONE_LABEL, etcdSpread } from "../config/failure-domains";
import { parseClusterSettings } from "../config/cluster";
import { isStorageNode, Topology } from "../config/topology";
import { parseTopology } from "../config/validate";
import { cephLayoutOf } from "../plan/ceph-layout";
import { machineOutputs } from "./helpers/machine-outputs";
import { Harness, Recorded, startHarness, unwrapSecrets } from "./helpers/pulumi-harness";
import { rawStack, stackConfig } from "./helpers/stacks";

let h: Harness;
let t: Topology;

beforeAll(async () => {
  t = parseTopology(rawStack("prod3"), "prod3");
  h = await startHarness({ stack: "prod3", config: stackConfig("prod3"), outputsFor: machineOutputs });
  await import("../index");
  await h.settle();
}, 600_000);

const providerOf = (r: Recorded) => /::([^:]+)::[^:]*$/.exec(r.provider)?.[1];
/** The provider stage 1 gives a host's objects (infra/placement.ts providerName). */
const providerFor = (host: string) => (host === t.hosts[0].name ? "infra-host" : `infra-host-${host}`);
const serversOn = (host: string) => t.vms.filter((v) => v.role === "k3s-server" && providerOf(h.byName(`infra-${v.name}`)) === providerFor(host)).map((v) => v.name);

it("has three hosts, each with two pools (one per physical disk)", () => {
  expect(t.hosts.map((x) => x.pools.length)).toEqual([2, 2, 2]);
});

it("creates one K3s server on each host, through that host's provider: no host holds an etcd majority", () => {
  for (const host of t.hosts) expect([host.name, serversOn(host.name).length]).toEqual([host.name, 1]);
  const servers = parseClusterSettings(stackConfig("prod3"), t).servers;
  expect(servers.length).toBe(3);
  // The program's own check refuses a majority on one host with three hosts, warns with two: neither here.
  expect(etcdSpread(t, servers)).toEqual({ problems: [], warnings: [] });
});

it("puts a Ceph OSD disk in each pool of each host, so Ceph's failure domain is the zone (host) with three replicas", () => {
  const osds = h.byType("libvirt:index/volume:Volume").filter((v) => v.name.endsWith("-ceph-osd"));
  const placed = osds.map((v) => `${providerOf(v)} ${String(v.inputs.pool)}`);
  // Six OSD disks, each in another pool of another (host, disk).
  expect(placed.length).toBe(t.hosts.length * 2);
  expect(new Set(placed).size).toBe(placed.length);
  for (const host of t.hosts) expect(placed.filter((p) => p.startsWith(`${providerFor(host.name)} `)).length).toBe(2);
  const layout = cephLayoutOf(t);
  expect(layout).toMatchObject({ failureDomain: "zone", buckets: 3, poolSize: 3, minSize: 2, hosts: 3, disks: 6, warnings: [] });
  expect(layout.survives.host).toEqual({ data: true, io: true, monQuorum: true });
  // What the platform renders for Rook: every pool's rule spreads replicas over the zones.
  const values = unwrapSecrets(h.byName("platform-rook-ceph-cluster").inputs.values) as { cephBlockPools: { name: string; spec: { failureDomain?: string; replicated: { size: number } } }[] };
  for (const pool of values.cephBlockPools) expect([pool.name, pool.spec.failureDomain, pool.spec.replicated.size]).toEqual([pool.name, "zone", 3]);
});

it("labels every K3s node with its host as its zone (the member step; config.yaml's node-label at registration)", () => {
  const k3s = t.vms.filter((v) => v.role.startsWith("k3s-"));
  expect(new Set(k3s.map((v) => v.host)).size).toBe(3);
  for (const vm of k3s) {
    const member = String(unwrapSecrets(h.byName(`cluster-${vm.name}-member`).inputs.create));
    expect([vm.name, member.includes(`${ZONE_LABEL}=${vm.host}`)]).toEqual([vm.name, true]);
  }
});

it("spreads the workers: every host has storage nodes that pods may run on", () => {
  for (const host of t.hosts) {
    const agents = t.vms.filter((v) => v.host === host.name && v.role === "k3s-agent");
    expect([host.name, agents.filter(isStorageNode).length]).toEqual([host.name, 2]);
  }
});

describe("npm run plan -- --stack prod3", () => {
  let text = "";
  let status: number | null = null;
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(__dirname, "..", "plan", "run.js"), "--stack", "prod3", "--no-diagram"], { encoding: "utf8", cwd: join(__dirname, ".."), timeout: 600_000 });
    text = r.stdout;
    status = r.status;
  }, 600_000);

  it("fits and passes every policy with policy/config.prod3.json", () => {
    expect(text).toContain("Result: fits, and passes the policies");
    expect(text).toContain("with policy/config.prod3.json");
    expect(status).toBe(0);
  });

  it("shows each host's fit, its room for apps and the total", () => {
    for (const host of t.hosts) expect(text).toMatch(new RegExp(`^  ${host.name} +\\d+ / 24 .*% of memory$`, "m"));
    expect(text).toMatch(/^ {2}room for more apps on every host together \(requests\): /m);
    // Disks per host and pool, each pool naming its capacity key.
    for (const [i, host] of t.hosts.entries()) {
      expect(text).toContain(`    host ${host.name}: `);
      for (const j of [0, 1]) expect(text).toContain(`hosts[${i}].pools[${j}].capacityGiB not stated`);
    }
  });

  it("says losing any one host keeps etcd and Ceph going, and what it does not make redundant", () => {
    const goesOn = t.hosts.map((x) => `without ${x.name}: goes on`).join("; ");
    expect(text).toContain(`etcd: K3s servers proliant1 1, proliant2 1, proliant3 1; ${goesOn} (redundant across hosts)`);
    expect(text).toContain(`Ceph: OSDs proliant1 2, proliant2 2, proliant3 2; ${goesOn} (redundant across hosts)`);
    expect(text).toMatch(/Ceph layout \(plan\/ceph-layout\.ts\): 6 OSDs on 6 disks of 3 hosts, failure domain zone \(3 buckets\), pool size 3 \(min_size 2\), .*a host: data kept, I\/O goes on, mons keep quorum/);
    // One load balancer: the plan says so rather than pretend.
    expect(text).toMatch(/ingress: .*without proliant1: STOPS.*not redundant across hosts; the ingress address, the API endpoint and its certificate are the first load balancer's/);
    expect(text).toContain("one VM each, never replicated by the program: bastion1 (bastion), freeipa1 (freeipa), postgresql1 (postgresql) on proliant1: each stops with its host");
  });
});
