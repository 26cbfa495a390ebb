/**
 * The contract between stage 1 and stage 2, restated structurally so `cluster/` depends on the shape
 * of stage 1's outputs, not on the module that produces them.
 */
import * as pulumi from "@pulumi/pulumi";
import { NodeInfo } from "../infra/nodes";

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
