/** Topology lookups the role renderers share. */
import { isK3sNode, NetworkSpec, Topology, VmSpec } from "../../config/topology";

export function networkOf(topology: Topology, name: string): NetworkSpec {
  const network = topology.networks.find((n) => n.name === name);
  if (!network) throw new Error(`unknown network ${name}`);
  return network;
}

/** The libvirt NAT networks `vm` has a NIC on: the VM networks, as opposed to the LAN bridge. */
export function vmNetworksOf(vm: VmSpec, topology: Topology): NetworkSpec[] {
  return vm.nics.map((nic) => networkOf(topology, nic.network)).filter((n) => n.mode === "nat");
}

/** Networks of `vm` where K3s nodes live: the ones its cluster clients connect from. */
export function nodeNetworksOf(vm: VmSpec, topology: Topology): NetworkSpec[] {
  const nodes = topology.vms.filter(isK3sNode);
  return vm.nics
    .filter((nic) => nodes.some((node) => node.nics.some((n) => n.network === nic.network)))
    .map((nic) => networkOf(topology, nic.network));
}
