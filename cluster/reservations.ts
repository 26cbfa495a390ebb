import { VmSpec } from "../config/topology";

/**
 * Resources each K3s node keeps away from pods. Stage 2 passes them to the kubelet
 * (`kubelet-arg`), and the platform's capacity check subtracts them, so both read them here.
 */
export const NODE_RESERVATIONS = {
  /** OS daemons (systemd, sshd, journald, containerd shims). */
  systemReserved: { cpuMilli: 250, memoryMiB: 384 },
  /** The k3s process itself (kubelet, kube-proxy, flannel; the API server on servers). */
  kubeReserved: { cpuMilli: 250, memoryMiB: 512 },
  /** Hard eviction threshold: the kubelet evicts pods before the node runs this low. */
  evictionHardMemoryMiB: 256,
} as const;

export interface NodeCapacity {
  cpuMilli: number;
  memoryMiB: number;
}

/** What the kubelet will report as allocatable on a VM of this size. */
export function allocatable(vm: Pick<VmSpec, "vcpus" | "memoryMiB">): NodeCapacity {
  const r = NODE_RESERVATIONS;
  return {
    cpuMilli: vm.vcpus * 1000 - r.systemReserved.cpuMilli - r.kubeReserved.cpuMilli,
    memoryMiB: vm.memoryMiB - r.systemReserved.memoryMiB - r.kubeReserved.memoryMiB - r.evictionHardMemoryMiB,
  };
}

/** The kubelet arguments that make `allocatable` true on the node. */
export function kubeletReservationArgs(): string[] {
  const r = NODE_RESERVATIONS;
  return [
    `system-reserved=cpu=${r.systemReserved.cpuMilli}m,memory=${r.systemReserved.memoryMiB}Mi`,
    `kube-reserved=cpu=${r.kubeReserved.cpuMilli}m,memory=${r.kubeReserved.memoryMiB}Mi`,
    `eviction-hard=memory.available<${r.evictionHardMemoryMiB}Mi`,
  ];
}
