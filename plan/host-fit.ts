/**
 * The plan per KVM host: what each host's VMs take of its threads, memory (with the hypervisor's
 * overhead) and pools (one per physical disk), what its schedulable K3s nodes offer pods, and the
 * room for apps each host adds: the room left with the hosts up to and including it, less the room
 * left without it (the platform's DaemonSets and its replica counts grow with the nodes, so a host's
 * share is what it adds, measured, not its allocatable). Then what survives the loss of one host:
 * etcd (the K3s servers' quorum), the ingress (the load balancer VMs) and Ceph (./ceph-layout's
 * outcome). Pure: plan/main.ts supplies the room figures from the apps stage's own capacity check.
 */
import { allocatable } from "../cluster/reservations";
import { baseImageReleases, poolDiskBudget, poolVolumes } from "../config/host-disk";
import { hostMemoryBudget } from "../config/host-memory";
import { HostSpec, isStorageNode, Role, Topology, vmsOn, vmsWithRole } from "../config/topology";
import { CephLayout } from "../platform/ceph-layout";
import { Amount, isSchedulable } from "./capacity";
import { cephLayoutOf } from "./ceph-layout";

export interface PoolFit {
  pool: string;
  path: string;
  atCreateBytes: number;
  worstCaseBytes: number;
  capacityGiB?: number;
  fits: boolean;
}

export interface HostFit {
  host: string;
  threads: { used: number; available: number };
  /** GiB: the VMs' memory against what the host has once qemu, libvirt, a local Pulumi run and its OS have theirs. */
  memoryGiB: { used: number; available: number };
  pools: PoolFit[];
  /** Its schedulable K3s nodes and what they offer pods after the kubelet's reservations. */
  nodes: string[];
  allocatable: Amount;
  /** Room for more apps this host adds (requests); undefined when it cannot be measured (see `roomNote`). */
  addsForApps?: Amount;
  fits: boolean;
}

export interface HostsPlan {
  hosts: HostFit[];
  /** Room left for more apps on the whole stack (requests), when the apps stage is built. */
  totalRoom?: Amount;
  /** Why the per-host room is not shown, when it is not. */
  roomNote?: string;
  /** What losing one host does to etcd, the ingress and Ceph. */
  redundancy: Redundancy[];
  /** The Ceph layout of the storage nodes (./ceph-layout.ts), when the topology has any. */
  ceph?: CephLayout;
  /**
   * The VMs the program makes one of and never replicates (FreeIPA, PostgreSQL, the bastion), with
   * their hosts: whatever runs there stops with its host.
   */
  singletons: { vm: string; role: Role; host: string }[];
}

/** Roles of which the program makes no replica: a second VM of one is another instance, not a standby. */
export const UNREPLICATED_ROLES: readonly Role[] = ["freeipa", "postgresql", "bastion"];

export interface Redundancy {
  component: "etcd" | "ingress" | "Ceph";
  /** Members per host (K3s servers, load balancer VMs, OSDs). */
  perHost: Record<string, number>;
  /** Host name -> whether the component goes on without that host. */
  survivesLosing: Record<string, boolean>;
}

const GiB = 1024;

function sum(amounts: Amount[]): Amount {
  return amounts.reduce((s, a) => ({ cpuMilli: s.cpuMilli + a.cpuMilli, memoryMiB: s.memoryMiB + a.memoryMiB }), { cpuMilli: 0, memoryMiB: 0 });
}

export function hostFit(topology: Topology, host: HostSpec): HostFit {
  const vms = vmsOn(topology, host);
  const memory = hostMemoryBudget(host, vms);
  const threads = vms.reduce((s, vm) => s + vm.vcpus, 0);
  const pools = host.pools.map((pool): PoolFit => {
    const budget = poolDiskBudget(poolVolumes(topology, baseImageReleases(), { host: host.name, pool: pool.name }));
    const fits = pool.capacityGiB === undefined || budget.worstCaseBytes <= pool.capacityGiB * 1024 ** 3;
    return { pool: pool.name, path: pool.path, atCreateBytes: budget.atCreateBytes, worstCaseBytes: budget.worstCaseBytes, ...(pool.capacityGiB !== undefined ? { capacityGiB: pool.capacityGiB } : {}), fits };
  });
  const schedulable = vms.filter(isSchedulable);
  return {
    host: host.name,
    threads: { used: threads, available: host.threads },
    memoryGiB: { used: memory.vmsMiB / GiB, available: memory.vmsAvailableMiB / GiB },
    pools,
    nodes: schedulable.map((vm) => vm.name),
    allocatable: sum(schedulable.map((vm) => allocatable(vm))),
    fits: threads <= host.threads && memory.fits && pools.every((p) => p.fits),
  };
}

/** Each member of `counts` lost with one host: does a majority (etcd) or any member (others) remain? */
function survives(counts: Record<string, number>, hosts: string[], keeps: (left: number, total: number) => boolean): Record<string, boolean> {
  const total = Object.values(counts).reduce((s, n) => s + n, 0);
  return Object.fromEntries(hosts.map((h) => [h, keeps(total - (counts[h] ?? 0), total)]));
}

function perHost(topology: Topology, names: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(topology.hosts.map((h) => [h.name, 0]));
  for (const vm of topology.vms.filter((v) => names.includes(v.name))) counts[vm.host] += 1;
  return counts;
}

/**
 * `cephSurvivesHost`: whether Ceph keeps its data and I/O when one host goes (./ceph-layout.ts
 * `survives.host`), when the platform is planned.
 */
export function redundancy(topology: Topology, cephSurvivesHost?: boolean): Redundancy[] {
  const hosts = topology.hosts.map((h) => h.name);
  const servers = perHost(topology, vmsWithRole(topology, "k3s-server").map((v) => v.name));
  const lbVms = vmsWithRole(topology, "loadbalancer");
  const lbs = perHost(topology, lbVms.map((v) => v.name));
  const osds = perHost(topology, topology.vms.filter((v) => v.dataDiskGiB !== undefined).map((v) => v.name));
  const out: Redundancy[] = [
    { component: "etcd", perHost: servers, survivesLosing: survives(servers, hosts, (left, total) => left >= Math.floor(total / 2) + 1) },
    // The ingress address, the K3s API endpoint and its certificate name the first load balancer
    // only (cluster/facts.ts, config/cluster.ts): another load balancer VM is no failover for it.
    {
      component: "ingress",
      perHost: lbs,
      survivesLosing: lbVms.length > 0 ? Object.fromEntries(hosts.map((h) => [h, lbVms[0].host !== h])) : survives(lbs, hosts, (left) => left > 0),
    },
  ];
  if (cephSurvivesHost !== undefined) {
    // A host without OSDs takes no replica with it; one with OSDs keeps Ceph going only if the layout survives a host.
    out.push({ component: "Ceph", perHost: osds, survivesLosing: Object.fromEntries(hosts.map((h) => [h, osds[h] === 0 || cephSurvivesHost])) });
  }
  return out;
}

/**
 * The room for apps each host adds: `roomWith(n)` is the room left (requests) with the first `n`
 * hosts' K3s nodes only, undefined where those nodes cannot carry the platform at all (the first
 * host's share is then the whole room with it).
 */
export function hostsPlan(topology: Topology, roomWith: ((hostCount: number) => Amount | undefined) | undefined, cephSurvivesHost?: boolean): HostsPlan {
  const hosts = topology.hosts.map((h) => hostFit(topology, h));
  const storage = topology.vms.some(isStorageNode);
  const singletons = topology.vms.filter((vm) => UNREPLICATED_ROLES.includes(vm.role)).map((vm) => ({ vm: vm.name, role: vm.role, host: vm.host }));
  const base: HostsPlan = { hosts, redundancy: redundancy(topology, cephSurvivesHost), ...(storage ? { ceph: cephLayoutOf(topology) } : {}), singletons };
  if (!roomWith) return { ...base, roomNote: "apps stage not built: no room for apps measured" };
  const rooms = topology.hosts.map((_, i) => roomWith(i + 1));
  const totalRoom = rooms[rooms.length - 1];
  rooms.forEach((room, i) => {
    const before = i === 0 ? { cpuMilli: 0, memoryMiB: 0 } : rooms[i - 1];
    if (room && before) hosts[i].addsForApps = { cpuMilli: room.cpuMilli - before.cpuMilli, memoryMiB: room.memoryMiB - before.memoryMiB };
  });
  const unmeasured = hosts.filter((h) => !h.addsForApps).map((h) => h.host);
  return { ...base, totalRoom, ...(unmeasured.length > 0 ? { roomNote: `the K3s nodes of the hosts before ${unmeasured.join(", ")} cannot carry the platform alone: that host's share is not separable` } : {}) };
}
