/**
 * The guest side of the network plan, shared by the Flatcar (systemd-networkd) and Rocky
 * (cloud-init network-config) renderers: which NIC gets which name, address, route and resolvers.
 */
import { NicSpec, Topology, VmSpec } from "../config/topology";
import { firstBootResolversFor } from "./roles/resolvers";

export interface GuestNic {
  iface: string;
  mac: string;
  /** `address/prefix`. */
  cidrAddress: string;
  /** Only the primary NIC has a default route. */
  gateway?: string;
  /**
   * Only the primary NIC carries the resolvers and search domain. First boot: the network's own
   * resolver, so nothing waits for FreeIPA; the host settings step later switches to FreeIPA alone
   * (./roles/resolvers.ts).
   */
  dns: string[];
}

export function guestNics(vm: VmSpec, topology: Topology): GuestNic[] {
  return vm.nics.map((nic: NicSpec) => {
    const network = topology.networks.find((n) => n.name === nic.network);
    if (!network) throw new Error(`VM ${vm.name}: unknown network ${nic.network}`);
    return {
      iface: nic.iface,
      mac: nic.mac,
      cidrAddress: `${nic.address}/${nic.prefix}`,
      gateway: nic.primary ? network.gateway : undefined,
      dns: nic.primary ? firstBootResolversFor(vm, topology) : [],
    };
  });
}
