/**
 * What the apps stage needs from the guest roles, as plain data: the PostgreSQL VM as pods reach it.
 * Pods leave their node through its cluster-network leg (flannel masquerades to the node address),
 * so the database address is the VM's leg on that network, the same one the K3s nodes use.
 */
import { PostgresSettings } from "../config/roles";
import { isK3sNode, nicOn, reachableNic, Topology, vmsWithRole } from "../config/topology";
import { POSTGRESQL_PORT } from "../infra/roles/postgresql";
import { AppDatabase } from "./render";

/** The port the PostgreSQL role listens on. */
export const POSTGRES_PORT = POSTGRESQL_PORT;

export function appDatabase(topology: Topology, postgres: PostgresSettings): AppDatabase | undefined {
  const vm = vmsWithRole(topology, "postgresql")[0];
  if (!vm) return undefined;
  const node = topology.vms.find(isK3sNode);
  const nic = nicOn(vm, topology.clusterNetwork) ?? (node ? reachableNic(node, vm) : undefined) ?? vm.nics[0];
  return { address: nic.address, port: POSTGRES_PORT, database: postgres.database, user: postgres.role };
}
