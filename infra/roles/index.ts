/**
 * The guest roles of the Rocky Linux VMs: what each role adds to the base cloud-config. Pure
 * functions of plain data (the passwords included), so the rendered documents are tested without
 * the engine; infra/guest-roles.ts wires the generated secrets in.
 */
import { RoleSettings } from "../../config/roles";
import { Topology, VmSpec } from "../../config/topology";
import { CloudConfigFragment } from "../cloudinit";
import { bastionFragment } from "./bastion";
import { freeipaFragment } from "./freeipa";
import { loadBalancerFragment } from "./loadbalancer";
import { postgresqlFragment } from "./postgresql";

/** Generated passwords, as plain strings (they travel as Pulumi secrets up to this call). */
export interface RoleSecrets {
  freeipaAdminPassword?: string;
  freeipaDirectoryManagerPassword?: string;
  postgresPassword?: string;
}

function required(value: string | undefined, what: string, vm: VmSpec): string {
  if (value === undefined || value === "") throw new Error(`${vm.name} (${vm.role}) needs the ${what}`);
  return value;
}

export function roleFragments(vm: VmSpec, topology: Topology, settings: RoleSettings, secrets: RoleSecrets): CloudConfigFragment[] {
  switch (vm.role) {
    case "bastion":
      return [bastionFragment(vm, topology, settings)];
    case "loadbalancer":
      return [loadBalancerFragment(vm, topology, settings)];
    case "freeipa":
      return [
        freeipaFragment(vm, topology, settings, {
          adminPassword: required(secrets.freeipaAdminPassword, "FreeIPA admin password", vm),
          directoryManagerPassword: required(secrets.freeipaDirectoryManagerPassword, "FreeIPA Directory Manager password", vm),
        }),
      ];
    case "postgresql":
      return [postgresqlFragment(vm, topology, settings, { appPassword: required(secrets.postgresPassword, "PostgreSQL password", vm) })];
    case "k3s-server":
    case "k3s-agent":
      // K3s nodes are Flatcar, configured by Ignition and stage 2.
      return [];
  }
}

/** Which generated secrets a role's first-boot config carries (so only those VMs' user-data is secret). */
export function secretsUsedBy(vm: VmSpec): (keyof RoleSecrets)[] {
  switch (vm.role) {
    case "freeipa":
      return ["freeipaAdminPassword", "freeipaDirectoryManagerPassword"];
    case "postgresql":
      return ["postgresPassword"];
    default:
      return [];
  }
}

export { renderWireguardClientConfig } from "./bastion";
export { firstBootResolversFor, resolversFor } from "./resolvers";
