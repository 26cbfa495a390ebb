/**
 * Does the stack fit its hardware? Two checks, both from plain data:
 * - the VMs' vCPUs and memory against the host's declared capacity, less what the hypervisor, the
 *   Pulumi run and the host OS need (`config/host-memory.ts`);
 * - the platform's summed requests and limits against what the schedulable K3s nodes offer pods
 *   after the kubelet's reservations (`cluster/reservations.ts`).
 * Requests must fit: the scheduler places pods by requests, and what does not fit stays Pending.
 * Limits may add up to more than the nodes have (burstable pods); the overcommit is shown, since
 * under memory pressure the kubelet evicts and the kernel OOM-kills the pods above their requests.
 */
import { allocatable, GUEST_KERNEL_MEMORY, guestMemTotalMiB, NODE_RESERVATIONS } from "../cluster/reservations";
import { baseImageReleases, PoolDiskBudget, poolDiskBudget, PoolRef, poolVolumes, primaryPool } from "../config/host-disk";
import { describeHostOverhead, hostMemoryBudget } from "../config/host-memory";
import { poolKey } from "../config/hosts";
import { HostSpec, isK3sNode, Topology, VmSpec, vmsOn } from "../config/topology";
import { cephMemoryTargetMiB } from "../platform/ceph-memory";
import { SIZING } from "../platform/sizing";
import { checkVendorMinimums, MinimumCheck } from "../platform/vendor-minimums";
import { HostsPlan, hostsPlan } from "./host-fit";

export interface Amount {
  cpuMilli: number;
  memoryMiB: number;
}

/** The platform's steady-state totals, as the platform stage's own pure capacity check sums them. */
export interface LogsOption {
  stack: string;
  requests: Amount;
  free: Amount;
  fits: boolean;
  configured: boolean;
}

export interface PlatformTotals {
  requests: Amount;
  limits: Amount;
  /** Requests per Helm release (replicas and DaemonSet pods counted). */
  byRelease: { name: string; requests: Amount }[];
  /** What the platform's check found beyond the totals (a pod larger than any node, ...). */
  problems: string[];
  /**
   * When the apps stage is built, the totals above are platform and apps together, and this splits
   * them: the platform's requests, the apps' (at their autoscalers' maximum) and what is left.
   */
  budget?: { platform: Amount; apps: Amount; free: Amount };
  /** With the apps stage: the room left (requests) with the first n hosts' K3s nodes only, at [n - 1]. */
  roomByHostCount?: (Amount | undefined)[];
  /** Each logging stack of the `logs` opt-in: what it adds and whether it fits (apps/logs-footprint.ts). */
  logs?: LogsOption[];
  /** Whether Ceph keeps data, I/O and mon quorum when one host goes (platform/ceph-layout.ts). */
  cephSurvivesHost?: boolean;
}

export interface CapacityLine {
  what: string;
  used: number;
  available: number;
  unit: "vCPU" | "GiB" | "CPU";
  /** False when `used` exceeds `available` and that is an error. */
  fits: boolean;
  /** Shown after the numbers (e.g. "overcommit allowed: throttles only"). */
  note?: string;
}

/** A storage pool's disk budget (config/host-disk.ts) against its stated capacity, when stated. */
export interface DiskReport extends PoolDiskBudget {
  /** The host and the pool's name on it. */
  host: string;
  pool: string;
  poolPath: string;
  /** The config key that states its capacity (`storagePoolCapacityGiB`, `hosts[i].pools[j].capacityGiB`). */
  capacityKey: string;
  capacityGiB?: number;
  /** False only when a stated capacity is too small (the config check refuses that stack too). */
  fits: boolean;
}

export interface CapacityReport {
  vms: CapacityLine[];
  /** Every pool of every host, in the order of `hosts` and their `pools`. */
  disks: DiskReport[];
  /** Nodes pods may run on (K3s nodes without a NoSchedule/NoExecute taint) and what each offers. */
  schedulable: { name: string; allocatable: Amount }[];
  /** Undefined when the platform stage is not built; `platformNote` says why. */
  platform?: CapacityLine[];
  platformNote?: string;
  /** What the platform's own check found beyond the totals: each one fails the plan. */
  platformProblems: string[];
  /** Releases by requested memory, largest first. */
  releases: { name: string; requests: Amount }[];
  /** Platform, apps and room left (requests), when the apps stage is built. */
  budget?: { platform: Amount; apps: Amount; free: Amount };
  /** Which of the figures above are estimates, and where each is stated (to measure on a real stack). */
  estimates: string[];
  /** Per KVM host: its fit, the room for apps it adds, and what survives losing it (./host-fit.ts). */
  hosts: HostsPlan;
  /** Each platform component's request beside its vendor's documented minimum (when the platform is built). */
  minimums: MinimumCheck[];
  /** What Ceph derives from the platform's sizing (its memory targets), for the reader to check. */
  ceph: string;
  /** The logging stacks' footprints (opt-in `logs`), when the apps stage is built. */
  logs?: LogsOption[];
  fits: boolean;
}

const GiB = 1024;

export function isSchedulable(vm: VmSpec): boolean {
  return isK3sNode(vm) && !vm.taints.some((t) => /:(NoSchedule|NoExecute)$/.test(t));
}

/**
 * The VMs against the host: vCPUs against threads, and the guests' RAM against what the host has
 * left once the qemu processes, libvirt, the Pulumi run (when it runs on the host) and the host OS
 * have theirs (`config/host-memory.ts`, the same sum the config check uses).
 */
export function vmCapacity(topology: Topology): CapacityLine[] {
  return topology.hosts.flatMap((host) => hostCapacity(topology, host));
}

function hostCapacity(topology: Topology, host: HostSpec): CapacityLine[] {
  const vms = vmsOn(topology, host);
  const vcpus = vms.reduce((s, vm) => s + vm.vcpus, 0);
  const memory = hostMemoryBudget(host, vms);
  const on = topology.hosts.length > 1 ? ` (${host.name})` : "";
  return [
    { what: `VM vCPUs / host threads${on}`, used: vcpus, available: host.threads, unit: "vCPU", fits: vcpus <= host.threads },
    {
      what: `VM memory / host's ${host.memoryGiB} GiB less hypervisor and host${on}`,
      used: memory.vmsMiB / GiB,
      available: memory.vmsAvailableMiB / GiB,
      unit: "GiB",
      fits: memory.fits,
      note: describeHostOverhead(memory, vms.length),
    },
  ];
}

/**
 * What the stack puts into the pool `where` (default: the first host's first pool, every disk of a
 * one-host, one-pool stack): preallocated raw disks, root overlays at their size, images.
 */
export function diskCapacity(topology: Topology, where: PoolRef = primaryPool(topology)): DiskReport {
  const i = topology.hosts.findIndex((h) => h.name === where.host);
  const j = topology.hosts[i].pools.findIndex((p) => p.name === where.pool);
  const pool = topology.hosts[i].pools[j];
  const budget = poolDiskBudget(poolVolumes(topology, baseImageReleases(), where));
  const capacityGiB = pool.capacityGiB;
  return {
    ...budget,
    host: where.host,
    pool: where.pool,
    poolPath: pool.path,
    capacityKey: poolKey(topology, i, j, "capacityGiB"),
    ...(capacityGiB !== undefined ? { capacityGiB } : {}),
    fits: capacityGiB === undefined || budget.worstCaseBytes <= capacityGiB * 1024 ** 3,
  };
}

/** Every pool of every host: each is a directory (ideally a physical disk) of its own. */
export function disksCapacity(topology: Topology): DiskReport[] {
  return topology.hosts.flatMap((h) => h.pools.map((p) => diskCapacity(topology, { host: h.name, pool: p.name })));
}

function overcommit(used: number, available: number): string | undefined {
  return used > available ? `overcommitted ${(used / available).toFixed(1)}x: allowed, limits are not reserved` : undefined;
}

/**
 * The estimates the capacity figures rest on. The kubelet's reservations and the pods' requests are
 * settings (they are what the scheduler counts); these are what the real machines may contradict.
 */
export function capacityEstimates(topology: Topology): string[] {
  const k3s = topology.vms.filter(isK3sNode);
  const sizes = [...new Set(k3s.map((vm) => vm.memoryMiB))].sort((a, b) => a - b);
  const kernel = sizes.map((m) => `${m - guestMemTotalMiB(m)} of ${m} MiB`).join(", ");
  const k = GUEST_KERNEL_MEMORY;
  return [
    `guest MemTotal = VM memory less the guest kernel's share (${kernel}; ${k.fixedMiB} MiB + ${k.perGiBMiB} MiB per GiB: cluster/reservations.ts)`,
    `what the K3s process and the OS use (kube-reserved ${NODE_RESERVATIONS.kubeReserved.agent.memoryMiB}/${NODE_RESERVATIONS.kubeReserved.server.memoryMiB} MiB agent/server, system-reserved ${NODE_RESERVATIONS.systemReserved.memoryMiB} MiB: cluster/reservations.ts)`,
    "the pods' resident memory their requests stand for (Prometheus's series, Kafka's heap and non-heap, the Ceph mons: platform/sizing.ts)",
    "the host's own overheads (qemu per VM, libvirt, the Pulumi run: config/host-memory.ts)",
  ];
}

/** Ceph's memory targets as Ceph derives them from the sizing table (platform/ceph-memory.ts). */
export function describeCephMemory(): string {
  const osd = SIZING.ceph.osd;
  const mon = SIZING.ceph.mon;
  return (
    `osd_memory_target ${cephMemoryTargetMiB(osd)} MiB per OSD (request ${osd.requests.memory}, limit ${osd.limits.memory}; Rook and Ceph recommend 2 GiB), ` +
    `mon_memory_target ${cephMemoryTargetMiB(mon)} MiB (request ${mon.requests.memory}, limit ${mon.limits.memory})`
  );
}

export function capacityReport(topology: Topology, platform: PlatformTotals | undefined, platformNote?: string): CapacityReport {
  const vms = vmCapacity(topology);
  const disks = disksCapacity(topology);
  const schedulable = topology.vms.filter(isSchedulable).map((vm) => ({ name: vm.name, allocatable: allocatable(vm) }));
  const offer = schedulable.reduce((s, n) => ({ cpuMilli: s.cpuMilli + n.allocatable.cpuMilli, memoryMiB: s.memoryMiB + n.allocatable.memoryMiB }), {
    cpuMilli: 0,
    memoryMiB: 0,
  });

  let lines: CapacityLine[] | undefined;
  if (platform) {
    const { requests, limits } = platform;
    const cpu = (m: number) => m / 1000;
    const mem = (m: number) => m / GiB;
    const who = platform.budget ? "platform and apps" : "platform";
    lines = [
      { what: `${who} CPU requests / allocatable`, used: cpu(requests.cpuMilli), available: cpu(offer.cpuMilli), unit: "CPU", fits: requests.cpuMilli <= offer.cpuMilli },
      { what: `${who} memory requests / allocatable`, used: mem(requests.memoryMiB), available: mem(offer.memoryMiB), unit: "GiB", fits: requests.memoryMiB <= offer.memoryMiB },
      { what: `${who} CPU limits / allocatable`, used: cpu(limits.cpuMilli), available: cpu(offer.cpuMilli), unit: "CPU", fits: true, note: overcommit(limits.cpuMilli, offer.cpuMilli) },
      { what: `${who} memory limits / allocatable`, used: mem(limits.memoryMiB), available: mem(offer.memoryMiB), unit: "GiB", fits: true, note: overcommit(limits.memoryMiB, offer.memoryMiB) },
    ];
  }
  const releases = [...(platform?.byRelease ?? [])].sort((a, b) => b.requests.memoryMiB - a.requests.memoryMiB);
  const problems = platform?.problems ?? [];
  const rooms = platform?.roomByHostCount;
  const hosts = hostsPlan(topology, rooms ? (n) => rooms[n - 1] : undefined, platform?.cephSurvivesHost);
  const fits = vms.every((l) => l.fits) && disks.every((d) => d.fits) && hosts.hosts.every((h) => h.fits) && (lines ?? []).every((l) => l.fits) && problems.length === 0;
  return {
    vms,
    disks,
    schedulable,
    platform: lines,
    platformNote: platform ? undefined : platformNote,
    platformProblems: problems,
    releases,
    budget: platform?.budget,
    logs: platform?.logs,
    hosts,
    minimums: platform ? checkVendorMinimums() : [],
    estimates: capacityEstimates(topology),
    ceph: describeCephMemory(),
    fits,
  };
}
