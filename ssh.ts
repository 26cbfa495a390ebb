/**
 * How the stages after stage 1 reach a node (the guest roles' commands, K3s's steps): SSH with the
 * stack's private key, through the bastion when one is given, retrying long enough for a VM that is
 * still on its first boot. Below every stage, like the node contract (./nodes.ts) it reads.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { InfraNode } from "./nodes";

/**
 * A fresh VM answers SSH only after firmware, Ignition / cloud-init and sshd: 60 dials of up to
 * 10 s each (plus the provider's back-off between them) give it about ten minutes.
 */
export const DIAL_ERROR_LIMIT = 60;
export const PER_DIAL_TIMEOUT_SECONDS = 10;

/** Seconds between two probes of a node (its sshd, its readiness), and how long a VM may take to
 * finish its first boot once SSH answers (systemd jobs, cloud-init). */
export const READY_INTERVAL_SECONDS = 5;
export const BOOT_TIMEOUT_SECONDS = 900;

/**
 * The connection to `node` along the route stage 1 computed (directly or through the bastion). Its
 * host is derived from the node's domain id, so it is unknown until the VM exists and every command
 * on the node waits for (and follows) the VM. The jump host's address is derived from the bastion's
 * domain id (`sshProxyReady`) the same way: a command through the bastion runs only once the bastion
 * VM exists, and `pulumi destroy` deletes it (drain, uninstall) before the bastion.
 */
export function connectionTo(node: InfraNode, privateKey: pulumi.Input<string>): command.types.input.remote.ConnectionArgs {
  const { host, user, proxy } = node.ssh;
  const retries = { dialErrorLimit: DIAL_ERROR_LIMIT, perDialTimeout: PER_DIAL_TIMEOUT_SECONDS };
  return {
    // Through the bastion, only once the bastion saw sshd answer steadily (infra/ssh-first-contact.ts).
    host: (node.sshReady ?? node.domainId).apply(() => host),
    user,
    privateKey,
    ...retries,
    proxy: proxy
      ? { host: node.sshProxyReady ? node.sshProxyReady.apply(() => proxy.host) : proxy.host, user: proxy.user, privateKey, ...retries }
      : undefined,
  };
}
