/**
 * Which networks reach which hosts (issue 19, docs/multi-host-networks.md "Networks across hosts").
 *
 * A libvirt NAT network is host-local: libvirt creates its bridge, dnsmasq and NAT rules on one host,
 * and "inbound connections from other networks are all prohibited" (libvirt formatnetwork, forward
 * mode nat). A bridge-mode network is the user's LAN segment (the switch, or a VLAN of it): libvirt
 * only plugs the VMs into the host bridge that already carries it, so the same network exists on
 * every host whose bridge is on that segment. The program therefore defines a NAT network on its host
 * only (`networks[].host`, default the first host) and a bridge network on every host with a VM on
 * it (infra/placement.ts `networksOn`), and refuses, before anything is created, VMs that must talk but share only a NAT network
 * across hosts.
 *
 * Plain data in, problems out: validate.ts and roles.ts turn them into config errors.
 */
import { K3S_ROLES, NetworkSpec, VmSpec } from "./topology";

/** The parts of a topology this module reads (plain data; a `hosts` entry needs only its name). */
export interface SpanTopology {
  hosts: { name: string }[];
  networks: NetworkSpec[];
  vms: SpanVm[];
  clusterNetwork: string;
}
export type SpanVm = Pick<VmSpec, "name" | "role" | "nics" | "host">;

/** A config problem: the key it comes from and what is wrong. */
export interface SpanProblem {
  key: string;
  problem: string;
}

/** Whether the network is the LAN's (a host bridge on every host) rather than one host's NAT network. */
export function spansHosts(spec: NetworkSpec): boolean {
  return spec.mode === "bridge";
}

/** The host a NAT network lives on (`networks[].host`, default the first host); undefined for a bridge network. */
export function networkHost(topology: Pick<SpanTopology, "hosts">, spec: NetworkSpec): string | undefined {
  return spansHosts(spec) ? undefined : (spec.host ?? topology.hosts[0]?.name);
}

/** The host bridge a bridge network attaches to on `host` (`networks[].hostBridges`, else `bridge`). */
export function bridgeOn(spec: NetworkSpec, host: string): string | undefined {
  return spec.hostBridges?.[host] ?? spec.bridge;
}

/**
 * How `from` reaches `target` directly: the first network both have a NIC on (from's primary first)
 * that carries traffic between their hosts, or, when they share networks but none does, the
 * host-local one that does not (for the message). A NAT network carries it only when both VMs run on
 * its host.
 */
export function linkBetween(topology: SpanTopology, from: SpanVm, target: SpanVm): { network: NetworkSpec } | { hostLocal: NetworkSpec } | undefined {
  const ordered = [...from.nics].sort((a, b) => Number(b.primary) - Number(a.primary));
  let hostLocal: NetworkSpec | undefined;
  for (const own of ordered) {
    if (!target.nics.some((n) => n.network === own.network)) continue;
    const spec = topology.networks.find((n) => n.name === own.network);
    if (!spec) continue;
    const home = networkHost(topology, spec);
    if (home === undefined || (home === from.host && home === target.host)) return { network: spec };
    hostLocal = hostLocal ?? spec;
  }
  return hostLocal ? { hostLocal } : undefined;
}

/**
 * The message for a pair that must talk but shares only a host-local network, naming both VMs, their
 * hosts and the network; undefined when they reach each other (or share nothing, which the callers'
 * own message covers).
 */
export function hostLocalOnly(topology: SpanTopology, from: SpanVm, target: SpanVm, why: string): string | undefined {
  const link = linkBetween(topology, from, target);
  if (!link || !("hostLocal" in link)) return undefined;
  const net = link.hostLocal;
  return (
    `${from.name} (host ${from.host}) and ${target.name} (host ${target.host}) must talk (${why}) but share only ${net.name}, ` +
    `a NAT network of host ${networkHost(topology, net)} that does not leave that host: put both on a bridge network ` +
    `(mode: bridge), the LAN segment or VLAN every host's bridge is on (docs/multi-host-networks.md)`
  );
}

/** A network's `host` and `hostBridges` name known hosts (the other rules need them to). */
export function checkNetworkHosts(topology: Pick<SpanTopology, "hosts" | "networks">): SpanProblem[] {
  const problems: SpanProblem[] = [];
  const hostNames = topology.hosts.map((h) => h.name);
  topology.networks.forEach((spec, i) => {
    if (spec.host !== undefined && !hostNames.includes(spec.host)) {
      problems.push({ key: `networks[${i}].host`, problem: `unknown host "${spec.host}" (hosts: ${hostNames.join(", ")})` });
    }
    for (const host of Object.keys(spec.hostBridges ?? {}).filter((h) => !hostNames.includes(h))) {
      problems.push({ key: `networks[${i}].hostBridges`, problem: `unknown host "${host}" (hosts: ${hostNames.join(", ")})` });
    }
  });
  return problems;
}

/**
 * Where VMs sit on the networks of the hosts (with every network's host known): no VM has a NIC on
 * another host's NAT network (libvirt would not find the network on the VM's host), and the cluster
 * network reaches every host that has K3s nodes.
 */
export function checkNetworkPlacement(topology: SpanTopology): SpanProblem[] {
  const problems: SpanProblem[] = [];
  topology.vms.forEach((vm, i) => {
    vm.nics.forEach((nic, j) => {
      const spec = topology.networks.find((n) => n.name === nic.network);
      const home = spec && networkHost(topology, spec);
      if (!spec || home === undefined || home === vm.host) return;
      problems.push({
        key: `vms[${i}].nics[${j}].network`,
        problem:
          `${vm.name} runs on host ${vm.host} but ${spec.name} is a NAT network of host ${home} (networks[${topology.networks.indexOf(spec)}].host): ` +
          `libvirt creates a NAT network on its own host only; give ${vm.name} a NIC on a bridge network instead, or a NAT network of ${vm.host}`,
      });
    });
  });
  const cluster = topology.networks.find((n) => n.name === topology.clusterNetwork);
  const k3sHosts = [...new Set(topology.vms.filter((vm) => K3S_ROLES.includes(vm.role)).map((vm) => vm.host))];
  const home = cluster && networkHost(topology, cluster);
  if (home !== undefined && k3sHosts.some((h) => h !== home)) {
    const away = topology.vms.filter((vm) => K3S_ROLES.includes(vm.role) && vm.host !== home);
    problems.push({
      key: "clusterNetwork",
      problem:
        `${cluster?.name} is a NAT network of host ${home}, but K3s nodes run on ${k3sHosts.join(", ")} ` +
        `(${away.map((vm) => `${vm.name} on ${vm.host}`).join(", ")}): the cluster network must reach every host with K3s nodes; ` +
        "make it a bridge network (mode: bridge) on the LAN segment or VLAN all hosts share (docs/multi-host-networks.md)",
    });
  }
  return problems;
}
