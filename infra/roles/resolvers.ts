/**
 * Resolvers of a VM: FreeIPA first (it knows every VM's name), then the network's own resolvers
 * (libvirt's dnsmasq, or the LAN router). While FreeIPA is not up yet, lookups fall through to the
 * next server, so nothing in the cluster bootstrap waits for FreeIPA.
 */
import { primaryNic, serviceAddresses, Topology, VmSpec } from "../../config/topology";
import { networkOf } from "./networks";

export function resolversFor(vm: VmSpec, topology: Topology): string[] {
  const network = networkOf(topology, primaryNic(vm).network);
  // FreeIPA itself starts on the network's resolvers; its installer then points it at its own BIND.
  const ipa = vm.role === "freeipa" ? [] : serviceAddresses(topology, "freeipa", vm);
  return [...new Set([...ipa, ...network.dns])];
}
