/**
 * Resolvers of a VM, chosen so that every lookup path gives the same answer: a VM has exactly one
 * upstream for the domain at any time, never two that disagree.
 *
 * Why not "FreeIPA, then the network's resolver": libvirt's dnsmasq answers the domain local-only
 * (NXDOMAIN for any name it has no host entry for: grafana, traefik, ceph, every later IPA record),
 * and neither systemd-resolved nor glibc tries the next server on NXDOMAIN, only on a timeout or
 * SERVFAIL. systemd-resolved also stays on the server it fell over to (as Flatcar does while FreeIPA
 * installs), so the answer depended on which server a VM happened to pick.
 *
 * - First boot (`firstBootResolversFor`): the network's own resolver only (libvirt's dnsmasq, or the
 *   LAN router on a bridge network). FreeIPA is not installed yet; packages and images download
 *   through it, and dnsmasq knows every VM with a leg on that network.
 * - Once FreeIPA serves the records (`resolversFor`, delivered after boot by the host settings step,
 *   which waits for FreeIPA's records command): FreeIPA only. Its BIND forwards every name it is not
 *   authoritative for to the resolver it was installed with (`--auto-forwarders`: this network's), so
 *   internet names resolve as before and the domain resolves the same everywhere. Pods get the same
 *   answers through CoreDNS (cluster/cluster-dns.ts: the domain and these reverse zones go to FreeIPA).
 * - Without FreeIPA in the topology, and on FreeIPA itself before its installer points it at its own
 *   BIND: the network's resolver.
 * The price is that a FreeIPA outage stops name resolution instead of answering some names wrongly;
 * FreeIPA is the topology's DNS server by design (a replica is the remedy, and is listed here too).
 */
import { primaryNic, serviceAddresses, Topology, VmSpec } from "../../config/topology";
import { networkOf } from "./networks";

/** The resolvers a VM's first boot configures: its primary network's own, independent of FreeIPA. */
export function firstBootResolversFor(vm: VmSpec, topology: Topology): string[] {
  return [...new Set(networkOf(topology, primaryNic(vm).network).dns)];
}

/** The resolvers a VM uses once FreeIPA serves its records: FreeIPA alone, where there is one. */
export function resolversFor(vm: VmSpec, topology: Topology): string[] {
  const ipa = vm.role === "freeipa" ? [] : serviceAddresses(topology, "freeipa", vm);
  return ipa.length > 0 ? [...new Set(ipa)] : firstBootResolversFor(vm, topology);
}
