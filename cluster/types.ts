/**
 * The contract between stage 1 and stage 2, restated structurally so `cluster/` depends on the shape
 * of stage 1's outputs, not on the module that produces them.
 */
import * as pulumi from "@pulumi/pulumi";
import { NodeInfo } from "../infra/nodes";

/** A VM as stage 1 reports it: plain facts plus the libvirt domain id, which changes when the VM is replaced. */
export type InfraNode = NodeInfo & {
  domainId: pulumi.Output<string>;
  /**
   * When `ssh.proxy` is set: the jump host's domain id. Every SSH connection through the jump host
   * carries it, so each command waits for the bastion VM and is deleted before it.
   */
  sshProxyReady?: pulumi.Output<string>;
};
