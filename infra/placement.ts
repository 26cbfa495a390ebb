/**
 * Where stage 1's per-host objects live and what they are called. The first host and its first pool
 * keep the names a one-host stack has always had (`<prefix>-host`, `<prefix>-pool`,
 * `<prefix>-<os>-base-<release>`, `<prefix>-<network>`), so such a stack's resources and URNs stay
 * as they are; every other pool and host adds its own name. Host and pool names are RFC 1123 labels
 * (config/hosts.ts), so a `/` between them never collides with a name of the first host's.
 *
 * A resource's provider is part of what it is: Pulumi replaces a resource whose provider changes to
 * another one, and a changed `pool` of a volume is ForceNew. Renaming the first host therefore
 * changes nothing; renaming another host or pool, or moving a VM, would replace its disks
 * (refused by the day-two check: ./placement-day-two.ts `placementProblems`).
 */
import { PoolRef } from "../config/host-disk";
import { networkHost } from "../config/network-span";
import { HostSpec, NetworkSpec, Topology } from "../config/topology";

/** The hosts as far as names go: the topology's, or a deployment record's. */
export interface HostNames {
  hosts: readonly { name: string; pools: readonly { name: string }[] }[];
}

export function isFirstHost(topology: HostNames, host: Pick<HostSpec, "name">): boolean {
  return topology.hosts[0]?.name === host.name;
}

export function isPrimaryPool(topology: HostNames, where: PoolRef): boolean {
  return isFirstHost(topology, { name: where.host }) && topology.hosts[0].pools[0]?.name === where.pool;
}

/**
 * What makes a host's provider the one it is: "" for the first host (`<prefix>-host`, whatever its
 * name), its name for the others. Two placements with the same identity are the same resources.
 */
export function hostIdentity(topology: HostNames, host: string): string {
  return isFirstHost(topology, { name: host }) ? "" : host;
}

/** What makes a pool the one it is: "" for the primary pool; the pool's name on the first host; `<host>/<pool>` elsewhere. */
export function poolIdentity(topology: HostNames, where: PoolRef): string {
  if (isPrimaryPool(topology, where)) return "";
  return isFirstHost(topology, { name: where.host }) ? where.pool : `${where.host}/${where.pool}`;
}

/** The libvirt provider of `host`: `<prefix>-host` for the first. */
export function providerName(prefix: string, topology: HostNames, host: Pick<HostSpec, "name">): string {
  return isFirstHost(topology, host) ? `${prefix}-host` : `${prefix}-host-${host.name}`;
}

export function poolResourceName(prefix: string, topology: HostNames, where: PoolRef): string {
  const suffix = poolIdentity(topology, where);
  return suffix ? `${prefix}-pool-${suffix}` : `${prefix}-pool`;
}

/** The host preflight that checks `where` (and its host) before anything is created there. */
export function preflightName(prefix: string, topology: HostNames, where: PoolRef): string {
  const suffix = poolIdentity(topology, where);
  return suffix ? `${prefix}-host-preflight-${suffix}` : `${prefix}-host-preflight`;
}

export function baseImageName(prefix: string, topology: HostNames, where: PoolRef, os: string, release: string): string {
  const suffix = poolIdentity(topology, where);
  return suffix ? `${prefix}-${suffix}-${os}-base-${release}` : `${prefix}-${os}-base-${release}`;
}

export function networkResourceName(prefix: string, topology: HostNames, host: Pick<HostSpec, "name">, network: string): string {
  return isFirstHost(topology, host) ? `${prefix}-${network}` : `${prefix}-${host.name}/${network}`;
}

/**
 * The libvirt networks defined on `host` (config/network-span.ts): a NAT network on its own host
 * only (`networks[].host`, default the first), since two NAT networks of one name are two separate
 * islands; a bridge-mode network, the host's own bridge onto the shared LAN, on every host with a VM
 * on it, which is what joins them, and always on the first host (as on a one-host stack, where a
 * network may exist before any VM uses it).
 */
export function networksOn(topology: Pick<Topology, "hosts" | "networks" | "vms">, host: Pick<HostSpec, "name">): NetworkSpec[] {
  const used = new Set(topology.vms.filter((vm) => vm.host === host.name).flatMap((vm) => vm.nics.map((n) => n.network)));
  return topology.networks.filter((n) => {
    const home = networkHost(topology, n);
    return home !== undefined ? home === host.name : isFirstHost(topology, host) || used.has(n.name);
  });
}
