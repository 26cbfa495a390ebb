/**
 * The contract between the stages about the VMs: what stage 1 (infra/) reports about each VM and
 * what the stages after it (the guest roles' commands, cluster/) take. It lives below every stage
 * so that data flows one way: infra/ describes the nodes (infra/nodes.ts `describeNode`), cluster/
 * reads them, and neither imports the other for the shape.
 */
import * as pulumi from "@pulumi/pulumi";
import { OsFamily, Role } from "./config/topology";

export interface SshEndpoint {
  host: string;
  user: string;
}

/** How the machine running Pulumi (and an operator) reaches a VM over SSH. */
export interface SshRoute extends SshEndpoint {
  /** The jump host (OpenSSH ProxyJump; `remote.Command`'s `connection.proxy`). */
  proxy?: SshEndpoint;
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

export interface StateDisk {
  /** Where the blank disk appears before it is formatted (the third virtio disk). */
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
  /** How SSH reaches the node (directly or through the bastion). */
  ssh: SshRoute;
  /** Address of the first NIC: the seed's address of the VM. */
  primaryAddress: string;
  addresses: NodeAddress[];
  /** Address and interface on the cluster network (K3s node-ip and flannel-iface); K3s nodes only. */
  clusterAddress?: string;
  clusterIface?: string;
  /** Raw disks for Ceph OSDs (never partitioned or formatted by stage 1). */
  dataDisks: DataDisk[];
  /**
   * Storage nodes: the Ceph state disk (Rook's dataDirHostPath), the third disk, formatted and
   * mounted at /var/lib/rook after boot by stage 2 (infra/ceph-state-disk.ts). Never an OSD: Rook's
   * devices are listed per node (platform/values/rook.ts).
   */
  stateDisk?: StateDisk;
  labels: Record<string, string>;
  taints: string[];
}

/**
 * A VM as stage 1 reports it: plain facts plus two identities. `domainId` changes whenever the VM is
 * re-created, also on the same disks (a resize: vCPU and memory are ForceNew on the libvirt domain);
 * `rootVolumeId` changes only with a new root disk, i.e. a new machine (its first-boot identity
 * changed). What lives on the disk (K3s, its data, its cluster membership) follows `rootVolumeId`;
 * what must happen around a reboot into the same disk (drain, then uncordon) follows `domainId`.
 */
export type InfraNode = NodeInfo & {
  domainId: pulumi.Output<string>;
  rootVolumeId: pulumi.Output<string>;
  /**
   * When `ssh.proxy` is set: the jump host's domain id. Every SSH connection through the jump host
   * carries it, so each command waits for the bastion VM and is deleted before it.
   */
  sshProxyReady?: pulumi.Output<string>;
  /**
   * When `ssh.proxy` is set: known once the bastion saw the VM's sshd answer steadily
   * (`SshFirstContact`). Every connection to the VM waits for it.
   */
  sshReady?: pulumi.Output<string>;
  /**
   * Storage nodes (`stateDisk` set): whether the domain has its Ceph state disk attached in this
   * run (a stack deployed before the disk existed gets it one node per run).
   */
  stateDiskAttached?: pulumi.Output<boolean>;
};
