/**
 * Stage 1's description of each VM for the next stages (the `NodeInfo` contract in ../nodes.ts):
 * its addresses, disks, and the SSH route the machine running Pulumi takes to it.
 */
import { topologyLabels } from "../config/failure-domains";
import { fqdn, nicOn, NicSpec, OsFamily, primaryNic, reachableNic, Topology, VmSpec } from "../config/topology";
import { NodeInfo, SshRoute } from "../nodes";

/** The SSH user each OS family gives the operator's key. */
export function sshUserFor(os: OsFamily, topology: Topology): string {
  return os === "flatcar" ? "core" : topology.adminUser;
}

/**
 * Straight to the VM's first address, or through the bastion (`sshJumpHost`) when the machine
 * running Pulumi is on the LAN and not on the VM networks: then the VM is dialled on an address on a
 * VM (NAT) network the bastion shares with it. The role firewalls accept SSH only from the VM
 * networks (the bastion is the one SSH entry from the LAN), so a LAN leg such as the load
 * balancer's public entry is never the route.
 */
export function sshRouteFor(target: VmSpec, topology: Topology, jumpHost: string | undefined): SshRoute {
  const direct = { host: primaryNic(target).address, user: sshUserFor(target.os, topology) };
  const jump = topology.vms.find((vm) => vm.name === jumpHost);
  if (!jump || jump.name === target.name) return direct;
  const onVmNetwork = (n: NicSpec) => topology.networks.find((net) => net.name === n.network)?.mode === "nat";
  const nic = target.nics.find((n) => onVmNetwork(n) && nicOn(jump, n.network)) ?? reachableNic(jump, target);
  if (!nic) throw new Error(`jump host ${jump.name} shares no network with ${target.name}`);
  return { host: nic.address, user: direct.user, proxy: { host: primaryNic(jump).address, user: sshUserFor(jump.os, topology) } };
}

export function describeNode(vm: VmSpec, topology: Topology, sshJumpHost?: string): NodeInfo {
  const cluster = nicOn(vm, topology.clusterNetwork);
  const onCluster = vm.role === "k3s-server" || vm.role === "k3s-agent";
  return {
    name: vm.name,
    fqdn: fqdn(vm, topology.domain),
    role: vm.role,
    os: vm.os,
    sshUser: sshUserFor(vm.os, topology),
    ssh: sshRouteFor(vm, topology, sshJumpHost),
    primaryAddress: vm.nics[0].address,
    addresses: vm.nics.map(({ network, address, prefix, iface }) => ({ network, address, prefix, iface })),
    clusterAddress: onCluster ? cluster?.address : undefined,
    clusterIface: onCluster ? cluster?.iface : undefined,
    dataDisks: vm.dataDiskGiB === undefined ? [] : [{ device: "/dev/vdb", sizeGiB: vm.dataDiskGiB }],
    ...(vm.dataDiskGiB === undefined ? {} : { stateDisk: { device: "/dev/vdc", sizeGiB: topology.cephStateDiskGiB } }),
    // The failure-domain labels (zone, chassis) with the configured ones: registered by K3s and
    // kept by the member step like any other.
    labels: { ...vm.labels, ...topologyLabels(topology, vm) },
    taints: vm.taints,
  };
}

/**
 * Stage 1's nodes with, on each one reached through the jump host (`sshRouteFor`), `sshProxyReady`:
 * the jump host's domain id. A connection built from it (`ssh.ts`) depends on the bastion
 * VM, so every command through the bastion runs after it exists and is deleted before it.
 */
export function withSshProxyReady<D, N extends NodeInfo & { domainId: D }>(nodes: N[], jumpHost: string | undefined): (N & { sshProxyReady?: D })[] {
  const jump = nodes.find((n) => n.name === jumpHost);
  return nodes.map((node) => {
    if (!node.ssh.proxy) return node;
    if (!jump) throw new Error(`${node.name} is reached through a jump host, but stage 1 has no VM ${jumpHost ?? "(none named)"}`);
    return { ...node, sshProxyReady: jump.domainId };
  });
}
