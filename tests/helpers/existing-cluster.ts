/**
 * An existing cluster as a stack config, for tests: the nodes of a k3s-ansible cluster shaped like
 * prod's K3s nodes (two tainted servers, three workers with a raw disk each, the allocatable the
 * kubelet reports after K3s's reservations), its kubeconfig, nothing of stages 1-2.
 */
import { K3S_YAML } from "./machine-outputs";

export const EXISTING_NODES = [
  { name: "server1", role: "server", address: "192.168.50.11", allocatable: { cpu: "1500m", memory: "1664Mi" }, taints: ["node-role.kubernetes.io/control-plane=true:NoSchedule"] },
  { name: "server2", role: "server", address: "192.168.50.12", allocatable: { cpu: "1500m", memory: "1664Mi" }, taints: ["node-role.kubernetes.io/control-plane=true:NoSchedule"] },
  { name: "agent1", role: "agent", address: "192.168.50.21", allocatable: { cpu: "3500m", memory: "5374Mi" }, cephDevice: "sdb" },
  { name: "agent2", role: "agent", address: "192.168.50.22", allocatable: { cpu: "3.5", memory: "5503242Ki" }, cephDevice: "sdb" },
  { name: "agent3", role: "agent", address: "192.168.50.23", allocatable: { cpu: 3.5, memory: "5374Mi" }, cephDevice: "/dev/sdb" },
];

export const EXISTING_KUBECONFIG = K3S_YAML;

/** The stack config of an existing-cluster stack (keys without the project prefix). */
export function existingClusterConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { domain: "home.example", kubeconfig: EXISTING_KUBECONFIG, existingNodes: EXISTING_NODES, ...overrides };
}
