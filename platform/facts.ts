/**
 * What stage 3 needs to know about the cluster, as plain data: the K3s nodes (role, taints, address,
 * allocatable resources, Ceph disk) and where clients outside the cluster reach
 * the ingress. `platformFacts` derives them from the validated topology with the same rules stage 1
 * and stage 2 use, so no fact is restated by hand.
 */
import { allocatable, NodeCapacity } from "../cluster/reservations";
import { fqdn, nicOn, reachableNic, Topology, VmSpec, vmsWithRole } from "../config/topology";
import { describeNode } from "../infra/nodes";
import { INGRESS } from "../ports";

export interface PlatformNode {
  /** Kubernetes node name (the VM's host name). */
  name: string;
  role: "k3s-server" | "k3s-agent";
  /** Address on the cluster network (K3s node-ip): API server endpoints, etcd metrics. */
  address: string;
  /** `key[=value]:Effect`, as K3s registers them. */
  taints: string[];
  /** Raw disk stage 1 attached for a Ceph OSD (`/dev/vdb`); only on storage nodes. */
  cephDevice?: string;
  /** What the kubelet reports after the K3s reservations. */
  allocatable: NodeCapacity;
}

export interface IngressEndpoint {
  /** Address clients outside the cluster use: the load balancer (its LAN address when it has one). */
  address: string;
  httpsPort: number;
  mqttPort: number;
}

/** FreeIPA and the load balancer as pods reach them (their legs on the cluster network): for TLS. */
export interface TlsFacts {
  freeipa: { fqdn: string; address: string };
  /** The load balancer's address pods reach (cert-manager's HTTP-01 self-check goes through it). */
  ingressAddress: string;
}

export interface PlatformFacts {
  domain: string;
  nodes: PlatformNode[];
  ingress: IngressEndpoint;
  /** Undefined without a FreeIPA VM: then no ACME issuer, and routes use Traefik's default certificate. */
  tls?: TlsFacts;
}

/** A node ordinary pods land on: no NoSchedule/NoExecute taint. */
export function isSchedulable(node: Pick<PlatformNode, "taints">): boolean {
  return !node.taints.some((t) => /:(NoSchedule|NoExecute)$/.test(t));
}

function platformNode(vm: VmSpec, topology: Topology): PlatformNode {
  const info = describeNode(vm, topology);
  return {
    name: vm.name,
    role: vm.role as PlatformNode["role"],
    address: info.clusterAddress as string,
    taints: [...vm.taints],
    cephDevice: info.dataDisks[0]?.device,
    allocatable: allocatable(vm),
  };
}

export function platformFacts(topology: Topology): PlatformFacts {
  const nodes = topology.vms.filter((vm) => vm.role === "k3s-server" || vm.role === "k3s-agent").map((vm) => platformNode(vm, topology));

  // The load balancer forwards the public ports to the NodePorts; its LAN (bridge) leg is what
  // clients outside the host use. Without a load balancer, clients use a node and the NodePorts.
  const lb = vmsWithRole(topology, "loadbalancer")[0];
  let ingress: IngressEndpoint;
  if (lb) {
    const lan = topology.networks.filter((n) => n.mode === "bridge").map((n) => nicOn(lb, n.name)).find((nic) => nic !== undefined);
    ingress = { address: (lan ?? lb.nics[0]).address, httpsPort: INGRESS.https.publicPort, mqttPort: INGRESS.mqtt.publicPort };
  } else {
    const entry = nodes.find((n) => n.role === "k3s-agent" && isSchedulable(n)) ?? nodes[0];
    ingress = { address: entry.address, httpsPort: INGRESS.https.nodePort, mqttPort: INGRESS.mqtt.nodePort };
  }
  return { domain: topology.domain, nodes, ingress, tls: tlsFacts(topology, ingress) };
}

function tlsFacts(topology: Topology, ingress: IngressEndpoint): TlsFacts | undefined {
  const ipa = vmsWithRole(topology, "freeipa")[0];
  if (!ipa) return undefined;
  const node = topology.vms.find((vm) => vm.role === "k3s-agent" || vm.role === "k3s-server");
  const reach = (vm: VmSpec) => (nicOn(vm, topology.clusterNetwork) ?? (node ? reachableNic(node, vm) : undefined) ?? vm.nics[0]).address;
  const lb = vmsWithRole(topology, "loadbalancer")[0];
  return { freeipa: { fqdn: fqdn(ipa, topology.domain), address: reach(ipa) }, ingressAddress: lb ? reach(lb) : ingress.address };
}
