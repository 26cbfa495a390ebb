/**
 * The cluster facts of the K3s stage (`ClusterFacts`, ../cluster-facts.ts), derived from the
 * validated topology with the same rules stage 1 and stage 2 use, so no fact is restated by hand:
 * the K3s nodes (role, taints, address on the cluster network, allocatable after the K3s
 * reservations, Ceph disk) and where clients outside the cluster reach the ingress.
 */
import { ClusterFacts, ClusterNode, IngressEndpoint, isSchedulable, TlsFacts } from "../cluster-facts";
import { placementOf, topologyLabels } from "../config/failure-domains";
import { fqdn, nicOn, reachableNic, Topology, VmSpec, vmsWithRole } from "../config/topology";
import { describeNode } from "../infra/nodes";
import { vmNetworkAddresses } from "../infra/roles/loadbalancer";
import { INGRESS, K3S_NETWORK } from "../ports";
import { allocatable } from "./reservations";

function k3sNode(vm: VmSpec, topology: Topology): ClusterNode {
  const info = describeNode(vm, topology);
  const place = placementOf(vm);
  return {
    name: vm.name,
    role: vm.role as ClusterNode["role"],
    address: info.clusterAddress as string,
    taints: [...vm.taints],
    cephDevice: info.dataDisks[0]?.device,
    allocatable: allocatable(vm),
    host: place.host,
    ...(place.disk !== undefined ? { cephDisk: place.disk } : {}),
    topologyLabels: topologyLabels(topology, vm),
  };
}

export function k3sClusterFacts(topology: Topology): ClusterFacts {
  const nodes = topology.vms.filter((vm) => vm.role === "k3s-server" || vm.role === "k3s-agent").map((vm) => k3sNode(vm, topology));

  // The load balancer forwards the public ports to the NodePorts; its LAN (bridge) leg is what
  // clients outside the host use. Without a load balancer, clients use a node and the NodePorts.
  const lb = vmsWithRole(topology, "loadbalancer")[0];
  // MQTT (plain text) only on the load balancer's VM-network legs (infra/roles/loadbalancer.ts).
  let ingress: IngressEndpoint;
  const entry = nodes.find((n) => n.role === "k3s-agent" && isSchedulable(n)) ?? nodes[0];
  if (lb) {
    const lan = topology.networks.filter((n) => n.mode === "bridge").map((n) => nicOn(lb, n.name)).find((nic) => nic !== undefined);
    const vmNetwork = vmNetworkAddresses(lb, topology)[0];
    ingress = {
      address: (lan ?? lb.nics[0]).address,
      httpsPort: INGRESS.https.publicPort,
      ...(vmNetwork ? { mqttAddress: vmNetwork, mqttPort: INGRESS.mqtt.publicPort } : { mqttAddress: entry.address, mqttPort: INGRESS.mqtt.nodePort }),
      serviceType: "NodePort",
    };
  } else {
    ingress = { address: entry.address, httpsPort: INGRESS.https.nodePort, mqttAddress: entry.address, mqttPort: INGRESS.mqtt.nodePort, serviceType: "NodePort" };
  }
  return {
    domain: topology.domain,
    nodes,
    ingress,
    podCidr: K3S_NETWORK.clusterCidr,
    // Every K3s node is a Flatcar VM whose Ignition holds update reboots for kured.
    flatcarReboots: true,
    tls: tlsFacts(topology, ingress),
  };
}

function tlsFacts(topology: Topology, ingress: IngressEndpoint): TlsFacts | undefined {
  const ipa = vmsWithRole(topology, "freeipa")[0];
  if (!ipa) return undefined;
  const node = topology.vms.find((vm) => vm.role === "k3s-agent" || vm.role === "k3s-server");
  const reach = (vm: VmSpec) => (nicOn(vm, topology.clusterNetwork) ?? (node ? reachableNic(node, vm) : undefined) ?? vm.nics[0]).address;
  const lb = vmsWithRole(topology, "loadbalancer")[0];
  return { issuer: "freeipa", freeipa: { fqdn: fqdn(ipa, topology.domain), address: reach(ipa) }, ingressAddress: lb ? reach(lb) : ingress.address };
}
