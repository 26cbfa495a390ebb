/**
 * What Ceph makes of the platform's Rook values: the memory targets its daemons tune to (Ceph's rule,
 * src/common/config.cc, which Rook v1.20.6 feeds with the pods' resources) and the options a cluster
 * of fewer than three storage nodes needs to reach HEALTH_OK, as Rook's own single-node example
 * (deploy/examples/cluster-test.yaml, v1.20.6) sets them. Prod has three storage nodes, dev one.
 */
import { parsePlatformSettings } from "../config/platform";
import { parseTopology } from "../config/validate";
import { belowRookMinimum, cephMemoryTargetMiB } from "../platform/ceph-memory";
import { k3sClusterFacts } from "../cluster/facts";
import { PlatformNode } from "../platform/facts";
import { planPlatform, PlatformPlan } from "../platform/plan";
import { renderPlatform } from "../platform/render";
import { resources } from "../platform/resources";
import { rawStack } from "./helpers/stacks";

function stackPlan(stack: "prod" | "dev"): PlatformPlan {
  const topology = parseTopology(rawStack(stack), stack);
  return planPlatform({ ...k3sClusterFacts(topology), settings: parsePlatformSettings({}, topology) });
}

/** Prod's plan with only the first `n` workers as storage nodes (the others keep no Ceph disk). */
function prodWithStorageNodes(n: number): PlatformPlan {
  const topology = parseTopology(rawStack("prod"), "prod");
  const facts = k3sClusterFacts(topology);
  let seen = 0;
  const nodes = facts.nodes.map((node): PlatformNode => (node.cephDevice && ++seen > n ? { ...node, cephDevice: undefined } : node));
  return planPlatform({ ...facts, nodes, settings: parsePlatformSettings({}, topology) });
}

const MiB = 1024 * 1024;

describe("Ceph's memory targets from the pods' resources", () => {
  it("follows Ceph's rule: min(request, 0.8 x limit)", () => {
    expect(cephMemoryTargetMiB(resources("1", "1280Mi", "2", "2Gi"))).toBe(1280);
    expect(cephMemoryTargetMiB(resources("1", "2Gi", "2", "2Gi"))).toBe(1638);
    expect(cephMemoryTargetMiB(resources("1", "4Gi", "2", "4Gi"))).toBe(3276);
  });

  const cluster = renderPlatform(stackPlan("prod")).values.rookCephCluster;
  const r = cluster.cephClusterSpec.resources;

  it("gives each OSD a target of 1.5 GiB, above what the old values gave (1280 MiB), within Rook's minimum limit", () => {
    const target = cephMemoryTargetMiB(r.osd);
    console.log(`osd_memory_target ${target} MiB (request ${r.osd.requests.memory}, limit ${r.osd.limits.memory})`);
    expect(target).toBeGreaterThanOrEqual(1536);
    // The target is the OSD's whole process: the request must cover it, or the node is overcommitted.
    expect(target).toBeLessThanOrEqual(parseInt(r.osd.requests.memory, 10));
    expect(belowRookMinimum("osd", r.osd)).toBe(false);
    expect(belowRookMinimum("mon", r.mon)).toBe(false);
    expect(belowRookMinimum("mgr", r.mgr)).toBe(false);
  });

  it("sets mon_memory_target from the mon's resources (Ceph's 2 GiB default would exceed the mon's limit)", () => {
    const target = Number(cluster.cephClusterSpec.cephConfig.mon.mon_memory_target);
    expect(target).toBe(cephMemoryTargetMiB(r.mon) * MiB);
    expect(target).toBeLessThanOrEqual(0.8 * 1024 * MiB);
    expect(target).toBeLessThan(2 * 1024 * MiB);
  });
});

describe("a cluster of fewer than three storage nodes can be HEALTH_OK (Rook's cluster-test.yaml)", () => {
  it("prod (three storage nodes): Ceph's defaults, no extra pool, size-3 block pool", () => {
    const c = renderPlatform(stackPlan("prod")).values.rookCephCluster;
    expect(c.cephClusterSpec.cephConfig.global).toBeUndefined();
    expect(c.cephBlockPools.map((p) => p.name)).toEqual(["ceph-blockpool"]);
    expect(c.cephBlockPools[0].spec.replicated).toEqual({ size: 3 });
  });

  it("dev (one storage node): default pool size 1, no redundancy warning, .mgr at size 1 like every pool", () => {
    const plan = stackPlan("dev");
    expect(plan.storageNodes.map((n) => n.name)).toEqual(["agent1"]);
    const c = renderPlatform(plan).values.rookCephCluster;
    expect(c.cephClusterSpec.cephConfig.global).toEqual({ osd_pool_default_size: "1", mon_warn_on_pool_no_redundancy: "false" });
    expect(c.cephBlockPools[0]).toEqual({
      name: "builtin-mgr",
      spec: { name: ".mgr", failureDomain: "host", replicated: { size: 1, requireSafeReplicaSize: false } },
      storageClass: { enabled: false },
    });
    expect(c.cephBlockPools[1].name).toBe("ceph-blockpool");
    expect(c.cephBlockPools[1].spec.replicated).toEqual({ size: 1, requireSafeReplicaSize: false });
    expect(c.cephClusterSpec.mon.count).toBe(1);
  });

  it("two storage nodes: pools and .mgr at size 2; size 2 has redundancy, so the warning stays on", () => {
    const c = renderPlatform(prodWithStorageNodes(2)).values.rookCephCluster;
    expect(c.cephClusterSpec.cephConfig.global).toEqual({ osd_pool_default_size: "2" });
    expect(c.cephBlockPools.map((p) => [p.name, p.spec.replicated.size])).toEqual([
      ["builtin-mgr", 2],
      ["ceph-blockpool", 2],
    ]);
  });
});
