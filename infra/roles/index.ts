/**
 * The guest roles of the Rocky Linux VMs: what each role adds to the base cloud-config. Pure
 * functions of plain data, so the rendered documents are tested without the engine. No password is
 * first-boot data (the cloud-init disk is a world-readable file on the host: provider 0.8.3 creates
 * every volume with mode 0644); infra/guest-roles.ts delivers them after boot, on stdin.
 */
import { RoleSettings } from "../../config/roles";
import { Topology, VmSpec } from "../../config/topology";
import { CloudConfigFragment } from "../cloudinit";
import { bastionFragment } from "./bastion";
import { freeipaFragment } from "./freeipa";
import { loadBalancerFragment } from "./loadbalancer";
import { postgresqlFragment } from "./postgresql";

export function roleFragments(vm: VmSpec, topology: Topology, settings: RoleSettings): CloudConfigFragment[] {
  switch (vm.role) {
    case "bastion":
      return [bastionFragment(vm, topology, settings)];
    case "loadbalancer":
      return [loadBalancerFragment(vm, topology, settings)];
    case "freeipa":
      return [freeipaFragment(vm, topology, settings)];
    case "postgresql":
      return [postgresqlFragment(vm, topology, settings)];
    case "k3s-server":
    case "k3s-agent":
      // K3s nodes are Flatcar, configured by Ignition and stage 2.
      return [];
  }
}

export { renderWireguardClientConfig } from "./bastion";
export { firstBootResolversFor, resolversFor } from "./resolvers";
