/**
 * Does the platform fit the cluster? Sums the CPU and memory requests of every workload (replicas
 * counted, DaemonSets once per node they run on) and compares them with the allocatable resources of
 * the nodes ordinary pods can use. Pure: the workloads come from the same typed values the charts get.
 */
import { isSchedulable, PlatformNode } from "./facts";
import { cpuMilli, memoryMiB, Resources } from "./resources";

export interface Container {
  name: string;
  resources: Resources;
}

export interface Workload {
  /** The release (or custom resource) that creates it. */
  release: string;
  name: string;
  kind: "Deployment" | "StatefulSet" | "DaemonSet" | "Job";
  /** Pods; ignored for DaemonSets (one per eligible node). */
  replicas: number;
  containers: Container[];
  /**
   * Jobs only: counted in the steady requests like a Deployment, because its room must be free
   * whenever it is started (a build started by hand), not only at a scheduled time.
   */
  reserved?: boolean;
  /**
   * DaemonSets only: tolerates NoSchedule taints, so it also runs on the tainted servers. Those pods
   * use the servers' allocatable resources, not the workers', and are reported separately.
   */
  toleratesTaints?: boolean;
}

export interface Figures {
  cpuMilli: number;
  memoryMiB: number;
}

export interface CapacityReport {
  /** Nodes ordinary pods land on and their allocatable total. */
  nodes: string[];
  allocatable: Figures;
  /** Steady-state requests and limits on those nodes (one-off Jobs excluded). */
  requests: Figures;
  limits: Figures;
  /** Requests per release, for the README's table. */
  byRelease: Record<string, Figures>;
  /** DaemonSet pods on tainted nodes, against those nodes' allocatable. */
  tainted: { nodes: string[]; allocatable: Figures; requests: Figures };
  /** The largest single pod's requests, which must fit one node. */
  largestPod: { name: string } & Figures;
  fits: boolean;
  problems: string[];
}

const zero = (): Figures => ({ cpuMilli: 0, memoryMiB: 0 });

function add(into: Figures, f: Figures, times = 1): void {
  into.cpuMilli += f.cpuMilli * times;
  into.memoryMiB += f.memoryMiB * times;
}

/** Requests (or limits) of one pod: the sum over its containers. */
export function podFigures(w: Workload, which: "requests" | "limits"): Figures {
  const f = zero();
  for (const c of w.containers) add(f, { cpuMilli: cpuMilli(c.resources[which].cpu), memoryMiB: memoryMiB(c.resources[which].memory) });
  return f;
}

/** Pods of a workload on schedulable nodes. */
export function podCount(w: Workload, schedulable: number): number {
  if (w.kind === "Job" && !w.reserved) return 0;
  return w.kind === "DaemonSet" ? schedulable : w.replicas;
}

export function capacityReport(workloads: Workload[], nodes: PlatformNode[]): CapacityReport {
  const open = nodes.filter(isSchedulable);
  const tainted = nodes.filter((n) => !isSchedulable(n));
  const allocatable = zero();
  for (const n of open) add(allocatable, n.allocatable);
  const taintedAllocatable = zero();
  for (const n of tainted) add(taintedAllocatable, n.allocatable);

  const requests = zero();
  const limits = zero();
  const taintedRequests = zero();
  const byRelease: Record<string, Figures> = {};
  let largestPod = { name: "", ...zero() };
  for (const w of workloads) {
    const req = podFigures(w, "requests");
    const pods = podCount(w, open.length);
    add(requests, req, pods);
    add(limits, podFigures(w, "limits"), pods);
    add((byRelease[w.release] ??= zero()), req, pods);
    if (w.kind === "DaemonSet" && w.toleratesTaints) add(taintedRequests, req, tainted.length);
    if (req.memoryMiB > largestPod.memoryMiB) largestPod = { name: `${w.release}/${w.name}`, ...req };
  }

  const problems: string[] = [];
  const pct = (a: number, b: number) => `${Math.round((a / b) * 100)}%`;
  if (requests.cpuMilli > allocatable.cpuMilli) {
    problems.push(`CPU requests ${requests.cpuMilli}m exceed the ${allocatable.cpuMilli}m allocatable on ${open.map((n) => n.name).join(", ")} (${pct(requests.cpuMilli, allocatable.cpuMilli)})`);
  }
  if (requests.memoryMiB > allocatable.memoryMiB) {
    problems.push(`memory requests ${requests.memoryMiB} MiB exceed the ${allocatable.memoryMiB} MiB allocatable on ${open.map((n) => n.name).join(", ")} (${pct(requests.memoryMiB, allocatable.memoryMiB)})`);
  }
  if (taintedRequests.cpuMilli > taintedAllocatable.cpuMilli || taintedRequests.memoryMiB > taintedAllocatable.memoryMiB) {
    problems.push(`DaemonSets on the tainted nodes request more than those nodes have`);
  }
  const biggestNode = open.reduce((best, n) => (n.allocatable.memoryMiB > best.memoryMiB ? n.allocatable : best), zero());
  if (largestPod.memoryMiB > biggestNode.memoryMiB || largestPod.cpuMilli > Math.max(0, ...open.map((n) => n.allocatable.cpuMilli))) {
    problems.push(`pod ${largestPod.name} requests more than any single node has`);
  }
  return {
    nodes: open.map((n) => n.name),
    allocatable,
    requests,
    limits,
    byRelease,
    tainted: { nodes: tainted.map((n) => n.name), allocatable: taintedAllocatable, requests: taintedRequests },
    largestPod,
    fits: problems.length === 0,
    problems,
  };
}

/** One line for logs and the README: `requests 4.1 of 10.5 cores (39%), 14.2 of 17.6 GiB (81%)`. */
export function describeCapacity(r: CapacityReport): string {
  const cores = (m: number) => (m / 1000).toFixed(2);
  const gib = (m: number) => (m / 1024).toFixed(1);
  const pct = (a: number, b: number) => `${Math.round((a / b) * 100)}%`;
  return (
    `requests ${cores(r.requests.cpuMilli)} of ${cores(r.allocatable.cpuMilli)} cores (${pct(r.requests.cpuMilli, r.allocatable.cpuMilli)}), ` +
    `${gib(r.requests.memoryMiB)} of ${gib(r.allocatable.memoryMiB)} GiB (${pct(r.requests.memoryMiB, r.allocatable.memoryMiB)}) ` +
    `allocatable on ${r.nodes.join(", ")}; limits ${cores(r.limits.cpuMilli)} cores, ${gib(r.limits.memoryMiB)} GiB`
  );
}
