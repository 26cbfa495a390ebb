/**
 * How stage 2 reaches a node: SSH with the stack's private key, through the bastion when one is
 * given, retrying long enough for a VM that is still on its first boot.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { InfraNode, JumpHost } from "./types";

/**
 * A fresh VM answers SSH only after firmware, Ignition / cloud-init and sshd: 60 dials of up to
 * 10 s each (plus the provider's back-off between them) give it about ten minutes.
 */
export const DIAL_ERROR_LIMIT = 60;
export const PER_DIAL_TIMEOUT_SECONDS = 10;

export interface SshAccess {
  privateKey: pulumi.Input<string>;
  jumpHost?: JumpHost;
  /** The node's address as the bastion reaches it (by node name); primary address otherwise. */
  addressFromBastion: Record<string, string>;
}

/**
 * The connection to `node`. Its host is derived from the node's domain id, so it is unknown until
 * the VM exists and every command on the node waits for (and follows) the VM.
 */
export function connectionTo(node: InfraNode, access: SshAccess): command.types.input.remote.ConnectionArgs {
  const address = access.jumpHost ? (access.addressFromBastion[node.name] ?? node.primaryAddress) : node.primaryAddress;
  return {
    host: node.domainId.apply(() => address),
    user: node.sshUser,
    privateKey: access.privateKey,
    dialErrorLimit: DIAL_ERROR_LIMIT,
    perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
    proxy: access.jumpHost
      ? {
          host: access.jumpHost.host,
          user: access.jumpHost.user,
          privateKey: access.privateKey,
          dialErrorLimit: DIAL_ERROR_LIMIT,
          perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
        }
      : undefined,
  };
}
