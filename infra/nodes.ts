import { fqdn, nicOn, OsFamily, Role, Topology, VmSpec } from "../config/topology";

/** The SSH user each OS family gives the operator's key. */
export function sshUserFor(os: OsFamily, topology: Topology): string {
  return os === "flatcar" ? "core" : topology.adminUser;
}

export interface NodeAddress {
  network: string;
  address: string;
  /** Prefix length of the network. */
  prefix: number;
  /** Interface name inside the guest (`nic0`, ...). */
  iface: string;
}

export interface DataDisk {
  /** Device name inside the guest; Rook's deviceFilter `^vd[b-z]` matches it. */
  device: string;
  sizeGiB: number;
}

/**
 * What stage 1 tells the next stages about each VM: plain data, the contract between `infra/` and
 * `cluster/` (and the stack output `nodes`).
 */
export interface NodeInfo {
  name: string;
  fqdn: string;
  role: Role;
  os: OsFamily;
  sshUser: string;
  /** Address of the first NIC: the seed's address of the VM. */
  primaryAddress: string;
  addresses: NodeAddress[];
  /** Address and interface on the cluster network (K3s node-ip and flannel-iface); K3s nodes only. */
  clusterAddress?: string;
  clusterIface?: string;
  /** Raw disks for Ceph OSDs (never partitioned or formatted by stage 1). */
  dataDisks: DataDisk[];
  labels: Record<string, string>;
  taints: string[];
}

export function describeNode(vm: VmSpec, topology: Topology): NodeInfo {
  const cluster = nicOn(vm, topology.clusterNetwork);
  const onCluster = vm.role === "k3s-server" || vm.role === "k3s-agent";
  return {
    name: vm.name,
    fqdn: fqdn(vm, topology.domain),
    role: vm.role,
    os: vm.os,
    sshUser: sshUserFor(vm.os, topology),
    primaryAddress: vm.nics[0].address,
    addresses: vm.nics.map(({ network, address, prefix, iface }) => ({ network, address, prefix, iface })),
    clusterAddress: onCluster ? cluster?.address : undefined,
    clusterIface: onCluster ? cluster?.iface : undefined,
    dataDisks: vm.dataDiskGiB === undefined ? [] : [{ device: "/dev/vdb", sizeGiB: vm.dataDiskGiB }],
    labels: vm.labels,
    taints: vm.taints,
  };
}
