/**
 * The Ceph layout of a cluster: where its OSDs are, which CRUSH level replicas are spread over (the
 * failure domain), how many replicas a pool keeps, what the layout survives (a disk, a VM, a host)
 * and what its daemons cost in memory. Pure: the platform's values and the plan both read it.
 *
 * The failure domain follows the physical machines and disks, not the VM count:
 * - `zone` (the KVM host: topology.kubernetes.io/zone) when the OSD nodes carry zone labels of three
 *   or more hosts: a host may fail;
 * - `chassis` (the physical disk: topology.rook.io/chassis) when they carry chassis labels of two or
 *   more disks: a disk may fail (one host with two disks, or two hosts);
 * - `host` (the Kubernetes node, i.e. the VM: Rook's CRUSH `host` is the node's hostname label)
 *   otherwise: every stack before `hosts`, and existing clusters, whose nodes are their own machines.
 * Rook v1.20.6 maps the labels to CRUSH buckets (pkg/operator/ceph/cluster/osd/topology/topology.go:
 * zone and region from topology.kubernetes.io/*, chassis..datacenter from topology.rook.io/*,
 * host from kubernetes.io/hostname) and a CephBlockPool's `failureDomain` becomes the type of its
 * rule's chooseleaf step (`ceph osd crush rule create-replicated <pool> <root> <failureDomain>`,
 * pkg/daemon/ceph/client/pool.go).
 *
 * Pool size: one replica per failure-domain bucket, at most 3. min_size is Ceph's default for that
 * size, size - floor(size/2) (src/common/config.h `get_osd_pool_default_min_size`): 2 of 3, 1 of 2,
 * 1 of 1; the platform leaves it to Ceph, which also applies it when Rook changes a pool's size.
 */
import { ClusterNode } from "../cluster-facts";
import { CephFailureDomain, CHASSIS_LABEL, failureDomainOfLabels, ZONE_LABEL } from "../config/failure-domains";
import { memoryMiB } from "./resources";
import { SIZING } from "./sizing";

export type { CephFailureDomain };
export type FailureKind = "disk" | "vm" | "host";

/** One OSD: its node (a VM), the physical machine and the physical disk under it. */
export interface OsdPlacement {
  node: string;
  host: string;
  disk: string;
  /** The CRUSH bucket of the failure domain the OSD sits in. */
  bucket: string;
}

export interface FailureOutcome {
  /** Every object keeps at least one replica when one such unit fails. */
  data: boolean;
  /** Every placement group keeps min_size replicas, so I/O goes on without waiting for recovery. */
  io: boolean;
  /** The mons keep quorum (a majority runs). */
  monQuorum: boolean;
}

export interface CephLayout {
  osds: OsdPlacement[];
  failureDomain: CephFailureDomain;
  /** Distinct buckets of the failure domain that hold an OSD. */
  buckets: number;
  poolSize: number;
  minSize: number;
  monCount: number;
  mgrCount: number;
  hosts: number;
  disks: number;
  /** What one failure of each kind does to the data, to I/O and to the mons' quorum. */
  survives: Record<FailureKind, FailureOutcome>;
  /** Memory of the Ceph daemons (OSDs, mons, mgrs): the pods' requests and limits. */
  memoryMiB: { requests: number; limits: number };
  /** Findings the plan shows: OSDs sharing a disk, a layout that survives no host failure. */
  warnings: string[];
}

/** The largest odd number up to `n`, capped at `max` (quorum systems want odd counts). */
export function oddUpTo(n: number, max: number): number {
  const capped = Math.min(n, max);
  return capped % 2 === 1 ? capped : Math.max(1, capped - 1);
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

/** The failure domain the OSD nodes' labels support (config/failure-domains.ts). */
export function failureDomainOf(storageNodes: Pick<ClusterNode, "topologyLabels">[]): CephFailureDomain {
  return failureDomainOfLabels(storageNodes.map((n) => n.topologyLabels));
}

function placement(n: Pick<ClusterNode, "name" | "host" | "cephDisk" | "topologyLabels">, domain: CephFailureDomain): OsdPlacement {
  // Unknown (an existing cluster's node): its own machine and disk.
  const host = n.host ?? n.name;
  const disk = n.cephDisk ?? `${host}/${n.name}`;
  const bucket = domain === "zone" ? (n.topologyLabels?.[ZONE_LABEL] as string) : domain === "chassis" ? (n.topologyLabels?.[CHASSIS_LABEL] as string) : n.name;
  return { node: n.name, host, disk, bucket };
}

/**
 * Worst case of one failure: CRUSH places each replica in another bucket, so a failure costs as many
 * replicas as the buckets it touches (a bucket is touched when one of its OSDs depends on the failed
 * unit), at most the pool size.
 */
function outcome(osds: OsdPlacement[], unit: (o: OsdPlacement) => string, poolSize: number, minSize: number, monsPerUnit: number, monCount: number): FailureOutcome {
  let worst = 0;
  for (const u of distinct(osds.map(unit))) {
    worst = Math.max(worst, distinct(osds.filter((o) => unit(o) === u).map((o) => o.bucket)).length);
  }
  const lost = Math.min(worst, poolSize);
  return { data: lost < poolSize, io: poolSize - lost >= minSize, monQuorum: monsPerUnit < Math.floor(monCount / 2) + 1 };
}

/** The layout of the storage nodes (K3s nodes with a Ceph data disk). */
export function cephLayout(storageNodes: Pick<ClusterNode, "name" | "host" | "cephDisk" | "topologyLabels">[]): CephLayout {
  const failureDomain = failureDomainOf(storageNodes);
  const osds = storageNodes.map((n) => placement(n, failureDomain));
  const buckets = distinct(osds.map((o) => o.bucket)).length;
  const poolSize = Math.max(1, Math.min(3, buckets));
  const minSize = poolSize - Math.floor(poolSize / 2);
  const hosts = distinct(osds.map((o) => o.host)).length;
  const disks = distinct(osds.map((o) => o.disk)).length;
  // One mon per storage node (their store is on its state disk), odd, at most 5; Rook keeps them on
  // separate nodes, and with zones the platform spreads them over the zones.
  const monCount = oddUpTo(storageNodes.length, 5);
  // A standby mgr only pays where it can survive its host: on another machine. Known machines only
  // (an existing cluster's are not, and keep the one mgr they had).
  const mgrCount = distinct(storageNodes.flatMap((n) => (n.host === undefined ? [] : [n.host]))).length >= 2 ? 2 : 1;
  // Mons on one unit, worst case: one per storage node (min(count, nodes on it)); with zones the
  // platform spreads them over the hosts (ceil(count / hosts) on one).
  const monsOn = (unit: (o: OsdPlacement) => string, spread: boolean) => (spread ? Math.ceil(monCount / hosts) : Math.min(monCount, maxPer(osds, unit)));
  const survives: Record<FailureKind, FailureOutcome> = {
    disk: outcome(osds, (o) => o.disk, poolSize, minSize, monsOn((o) => o.disk, false), monCount),
    vm: outcome(osds, (o) => o.node, poolSize, minSize, monsOn((o) => o.node, false), monCount),
    host: outcome(osds, (o) => o.host, poolSize, minSize, monsOn((o) => o.host, failureDomain === "zone"), monCount),
  };
  const c = SIZING.ceph;
  const mgrContainers = (r: "requests" | "limits") => memoryMiB(c.mgr[r].memory) + (mgrCount > 1 ? memoryMiB(c["mgr-sidecar"][r].memory) : 0);
  const memory = (r: "requests" | "limits") => osds.length * memoryMiB(c.osd[r].memory) + monCount * memoryMiB(c.mon[r].memory) + mgrCount * mgrContainers(r);
  const warnings: string[] = [];
  for (const disk of distinct(osds.map((o) => o.disk))) {
    const sharing = osds.filter((o) => o.disk === disk).map((o) => o.node);
    if (sharing.length < 2) continue;
    warnings.push(
      `Ceph: OSDs ${sharing.join(", ")} write to the same physical disk (${disk}): their replicas protect against a failed VM, not a failed disk, ` +
        `and each OSD costs ${memoryMiB(c.osd.requests.memory)} MiB; one OSD per physical disk (each storage VM's dataPool on another disk) gives the same protection for less`,
    );
  }
  if (!survives.host.data && hosts >= 2) {
    warnings.push(`Ceph: with failure domain ${failureDomain} over ${hosts} hosts, all ${poolSize} replicas of an object may sit on one host: a host failure can lose data; three hosts with OSDs make the failure domain the host (zone)`);
  }
  return {
    osds,
    failureDomain,
    buckets,
    poolSize,
    minSize,
    monCount,
    mgrCount,
    hosts,
    disks,
    survives,
    memoryMiB: { requests: memory("requests"), limits: memory("limits") },
    warnings,
  };
}

function maxPer(osds: OsdPlacement[], unit: (o: OsdPlacement) => string): number {
  return Math.max(0, ...distinct(osds.map(unit)).map((u) => osds.filter((o) => unit(o) === u).length));
}

/** One line per failure kind, for the plan: "a disk: data kept, I/O goes on, mons keep quorum". */
export function describeSurvival(layout: CephLayout): string[] {
  const names: Record<FailureKind, string> = { disk: "a disk", vm: "a VM", host: "a host" };
  return (Object.keys(names) as FailureKind[]).map((kind) => {
    const o = layout.survives[kind];
    const data = o.data ? (o.io ? "data kept, I/O goes on" : "data kept, I/O waits for recovery (below min_size)") : "data can be lost";
    return `${names[kind]}: ${data}, mons ${o.monQuorum ? "keep" : "lose"} quorum`;
  });
}
