/**
 * Failure domains of a VM topology: which physical machine (KVM host) and which physical disk (the
 * host's storage pool) each K3s node and each Ceph OSD depends on, the node labels that tell
 * Kubernetes and Rook so, and the K3s servers' spread over the hosts.
 *
 * Labels are set only where they carry information, so a one-host, one-pool stack (every stack
 * before `hosts`) gets none and previews with no changes:
 * - `topology.kubernetes.io/zone` = the node's host, on every K3s node, once the K3s nodes span two
 *   or more hosts. The kubelet may set it on its own Node (NodeRestriction), so it is registered
 *   from config.yaml (`node-label`) before anything is scheduled there; K3s also patches its
 *   `node-label`s onto the Node at every start (k3s pkg/agent/run.go `configureNode`,
 *   `updateMutableLabels`), and the member step sets it with kubectl on nodes that already exist.
 * - `topology.rook.io/chassis` = `<host>-<pool>` (the physical disk), on every storage node, once
 *   the Ceph data disks lie on two or more physical disks. Rook v1.20.6 puts an OSD in the CRUSH
 *   map under the buckets its node's labels name (pkg/operator/ceph/cluster/osd/topology:
 *   region > zone > datacenter > ... > chassis > host), read once, when the OSD is first deployed
 *   (the location is kept in the OSD deployment's `--crush-location`, osd.go `getOSDInfo`): the
 *   label must be on the node before Rook prepares the OSD, which registration guarantees.
 *
 * Pure: plain topology in, plain data out.
 */
import { dataPoolOf, isK3sNode, isStorageNode, Topology, VmSpec } from "./topology";

/** The topology as validation sees it (before its warnings exist) or as every stage does. */
type Placed = Omit<Topology, "warnings">;

export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const CHASSIS_LABEL = "topology.rook.io/chassis";

/** Where a VM runs: its host and, on a storage node, the pool (physical disk) of its Ceph data disk. */
export interface Placement {
  vm: string;
  host: string;
  /** `<host>-<pool>`: one name per physical disk, unique across hosts (CRUSH names are global). */
  disk?: string;
}

/** The host and data disk of a VM: its `host`, and on a storage node its `dataPool` (default: `pool`). */
export function placementOf(vm: VmSpec): Placement {
  return isStorageNode(vm) ? { vm: vm.name, host: vm.host, disk: diskName(vm.host, dataPoolOf(vm)) } : { vm: vm.name, host: vm.host };
}

/** The CRUSH chassis (physical disk) name of a pool on a host. */
export function diskName(host: string, pool: string): string {
  return `${host}-${pool}`;
}

function distinct(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined))];
}

/** Whether the K3s nodes span two or more hosts: then each carries its host as its zone. */
export function zonesInUse(topology: Placed): boolean {
  return distinct(topology.vms.filter(isK3sNode).map((vm) => placementOf(vm).host)).length >= 2;
}

/** Whether the Ceph data disks lie on two or more physical disks: then each OSD node carries its disk. */
export function disksInUse(topology: Placed): boolean {
  return distinct(topology.vms.filter((vm) => isK3sNode(vm) && isStorageNode(vm)).map((vm) => placementOf(vm).disk)).length >= 2;
}

/** The failure-domain labels the program sets on a K3s node (none on other VMs, none where uninformative). */
export function topologyLabels(topology: Placed, vm: VmSpec): Record<string, string> {
  if (!isK3sNode(vm)) return {};
  const place = placementOf(vm);
  return {
    ...(zonesInUse(topology) ? { [ZONE_LABEL]: place.host } : {}),
    ...(place.disk !== undefined && disksInUse(topology) ? { [CHASSIS_LABEL]: place.disk } : {}),
  };
}

/** How the K3s servers (etcd members) sit on the hosts. */
export interface EtcdSpread {
  /** Refusals: with three or more hosts, one host holding an etcd majority. */
  problems: string[];
  /** With two hosts one always holds a majority: said, not refused. */
  warnings: string[];
}

/**
 * etcd keeps serving while a majority of its members (floor(n/2)+1) runs. With three or more hosts a
 * host must hold fewer than that, or losing that one machine stops the Kubernetes API although the
 * other hosts run. With two hosts no placement avoids it, so it is a warning.
 */
export function etcdSpread(topology: Placed, servers: string[]): EtcdSpread {
  const hosts = distinct(topology.vms.map((vm) => placementOf(vm).host));
  const out: EtcdSpread = { problems: [], warnings: [] };
  if (hosts.length < 2 || servers.length === 0) return out;
  const majority = Math.floor(servers.length / 2) + 1;
  const perHost = new Map<string, string[]>();
  for (const name of servers) {
    const vm = topology.vms.find((v) => v.name === name);
    if (!vm) continue;
    const host = placementOf(vm).host;
    perHost.set(host, [...(perHost.get(host) ?? []), name]);
  }
  for (const [host, names] of perHost) {
    if (names.length < majority) continue;
    const what =
      `host ${host} holds ${names.length} of the ${servers.length} K3s servers (${names.join(", ")}), an etcd majority (${majority}): ` +
      `losing that one machine stops the Kubernetes API (etcd loses quorum) while the other hosts run`;
    if (hosts.length >= 3) {
      const key = `vms[${topology.vms.findIndex((v) => v.name === names[0])}].host`;
      out.problems.push(
        `${key}: ${what}; place the servers so that no host holds ${majority} or more of them (e.g. three servers, one on each of three hosts; move one by adding a new server on another host, then removing the old one)`,
      );
    } else {
      out.warnings.push(`${what}; with two hosts no placement avoids it: a third host with a server does`);
    }
  }
  return out;
}

/** The CRUSH level the platform spreads Ceph's replicas over (platform/ceph-layout.ts). */
export type CephFailureDomain = "host" | "chassis" | "zone";

/**
 * The failure domain the OSD nodes' labels support: `zone` when every one carries a zone and there
 * are three or more; `chassis` when every one carries a chassis and there are two or more; `host`
 * (Rook's CRUSH host: the node, i.e. the VM) otherwise.
 */
export function failureDomainOfLabels(storageNodeLabels: (Record<string, string> | undefined)[]): CephFailureDomain {
  const count = (label: string) =>
    storageNodeLabels.length > 0 && storageNodeLabels.every((l) => l?.[label] !== undefined) ? new Set(storageNodeLabels.map((l) => l?.[label])).size : 0;
  if (count(ZONE_LABEL) >= 3) return "zone";
  if (count(CHASSIS_LABEL) >= 2) return "chassis";
  return "host";
}

/** The failure domain of a VM topology's Ceph: from the labels its storage K3s nodes get. */
export function cephFailureDomain(topology: Placed): CephFailureDomain {
  return failureDomainOfLabels(topology.vms.filter((vm) => isK3sNode(vm) && isStorageNode(vm)).map((vm) => topologyLabels(topology, vm)));
}
