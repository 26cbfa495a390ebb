import type { NodeCapacity } from "../cluster-facts";
import { VmSpec } from "../config/topology";

/**
 * Resources each K3s node keeps away from pods. Stage 2 passes them to the kubelet
 * (`kubelet-arg`), and the platform's capacity check subtracts them, so both read them here.
 * With the kubelet's default `enforce-node-allocatable=pods`, the pods' cgroup is capped at the node
 * less `system-reserved` and `kube-reserved`: no pod can take what is reserved here.
 */
export const NODE_RESERVATIONS = {
  /** OS daemons (systemd, sshd, journald, containerd shims). */
  systemReserved: { cpuMilli: 250, memoryMiB: 384 },
  /**
   * The k3s process itself. On an agent: kubelet, kube-proxy, flannel, containerd. On a server also
   * the API server, controller-manager, scheduler and embedded etcd: the API server's cache grows
   * with every CRD the platform installs (Rook, Strimzi, Prometheus operator), and etcd needs room
   * for its database and compaction, so servers keep far more.
   */
  kubeReserved: {
    server: { cpuMilli: 500, memoryMiB: 1280 },
    agent: { cpuMilli: 250, memoryMiB: 512 },
  },
  /**
   * Hard eviction thresholds: the kubelet evicts pods before the node runs this low. Once
   * `eviction-hard` is given, Kubernetes drops every default threshold it does not name (they become
   * 0, i.e. off), so all of them are stated: memory, the node's root filesystem (space and inodes)
   * and the image filesystem (space and inodes; on K3s the same disk). The values are Kubernetes'
   * own defaults, memory raised for the reservation above.
   */
  evictionHard: {
    "memory.available": "256Mi",
    "nodefs.available": "10%",
    "nodefs.inodesFree": "5%",
    "imagefs.available": "15%",
    "imagefs.inodesFree": "5%",
  },
} as const;

export type ReservationKind = keyof typeof NODE_RESERVATIONS.kubeReserved;

/**
 * What the guest kernel keeps of the VM's RAM before anything runs: the kubelet's capacity is the
 * guest's `MemTotal` (cAdvisor reads /proc/meminfo), not the domain's memory. An ESTIMATE, stated once:
 * the page map (a 64-byte `struct page` per 4 KiB page: 16 MiB per GiB) with some slack, plus a fixed
 * part for the kernel image, firmware tables and early boot reservations. It puts a 6 GiB guest's
 * MemTotal 184 MiB below its RAM, inside the 150-250 MiB measured on such guests. Measure it on a real
 * node: `kubectl get node <name> -o jsonpath='{.status.capacity.memory}'` (KiB) against `memoryMiB`.
 */
export const GUEST_KERNEL_MEMORY = { fixedMiB: 64, perGiBMiB: 20 } as const;

/** The guest's estimated MemTotal for a VM of `memoryMiB` (see GUEST_KERNEL_MEMORY). */
export function guestMemTotalMiB(memoryMiB: number): number {
  const k = GUEST_KERNEL_MEMORY;
  return memoryMiB - k.fixedMiB - Math.ceil((memoryMiB / 1024) * k.perGiBMiB);
}

export type { NodeCapacity } from "../cluster-facts";

/** `256Mi` -> 256. Only the binary units the thresholds above use. */
function quantityMiB(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`eviction threshold ${quantity} is not a Mi/Gi quantity`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

export const EVICTION_HARD_MEMORY_MIB = quantityMiB(NODE_RESERVATIONS.evictionHard["memory.available"]);

export function reservationKind(role: VmSpec["role"]): ReservationKind {
  return role === "k3s-server" ? "server" : "agent";
}

/**
 * What the kubelet will report as allocatable on a K3s VM of this size and role: the guest's MemTotal
 * (an estimate, above) less the reservations and the eviction threshold, as the kubelet computes it.
 */
export function allocatable(vm: Pick<VmSpec, "vcpus" | "memoryMiB" | "role">): NodeCapacity {
  const r = NODE_RESERVATIONS;
  const kube = r.kubeReserved[reservationKind(vm.role)];
  return {
    cpuMilli: vm.vcpus * 1000 - r.systemReserved.cpuMilli - kube.cpuMilli,
    memoryMiB: guestMemTotalMiB(vm.memoryMiB) - r.systemReserved.memoryMiB - kube.memoryMiB - EVICTION_HARD_MEMORY_MIB,
  };
}

/** The kubelet arguments that make `allocatable` true on the node. */
export function kubeletReservationArgs(kind: ReservationKind): string[] {
  const r = NODE_RESERVATIONS;
  const kube = r.kubeReserved[kind];
  const eviction = Object.entries(r.evictionHard).map(([signal, threshold]) => `${signal}<${threshold}`);
  return [
    `system-reserved=cpu=${r.systemReserved.cpuMilli}m,memory=${r.systemReserved.memoryMiB}Mi`,
    `kube-reserved=cpu=${kube.cpuMilli}m,memory=${kube.memoryMiB}Mi`,
    `eviction-hard=${eviction.join(",")}`,
  ];
}
