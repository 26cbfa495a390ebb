/**
 * First contact with the VMs reached through the bastion, made safe against a half-up sshd.
 *
 * `@pulumi/command` 1.2.1 dials a proxied host by opening one TCP stream through the jump host and
 * retrying only the SSH handshake on it (provider/pkg/provider/remote/connection.go, `Dial`): one
 * reset from an sshd that accepts before it can serve (Flatcar's socket-activated sshd while host
 * keys are generated, Rocky's sshd restarted by cloud-init) fails the command despite
 * `dialErrorLimit`. Direct connections re-dial in full on every attempt. So for every VM behind the
 * bastion, one command on the bastion itself (a direct connection) waits until the VM's sshd
 * serves a key exchange with stable host keys, and every connection to that VM (`connectionTo`)
 * carries that command's output: nothing dials the VM through the bastion before it passed.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { join } from "path";
import { InfraNode } from "../nodes";
import { remoteCommand, renderScriptTemplate } from "../shell";
import { BOOT_TIMEOUT_SECONDS, connectionTo, READY_INTERVAL_SECONDS } from "../ssh";

/** Consecutive probes (READY_INTERVAL_SECONDS apart) that must see the same host keys. */
export const STABLE_SSHD_PROBES = 3;
export const SSH_PORT = 22;

/**
 * The bastion-side wait for `target`'s sshd (its address on a network the bastion shares). The
 * template's header still names its former place (cluster/ssh-first-contact.ts): the rendered text
 * is each command's `create` input, and rewording it would re-run every live stack's waits.
 */
export function renderWaitForSshd(args: { target: string; port?: number; timeoutSeconds?: number; intervalSeconds?: number }): string {
  return renderScriptTemplate(join(__dirname, "scripts"), "wait-for-sshd.sh", {
    TARGET: args.target,
    PORT: args.port ?? SSH_PORT,
    TIMEOUT_SECONDS: args.timeoutSeconds ?? BOOT_TIMEOUT_SECONDS,
    INTERVAL_SECONDS: args.intervalSeconds ?? READY_INTERVAL_SECONDS,
    STABLE_PROBES: STABLE_SSHD_PROBES,
  });
}

export interface SshFirstContactArgs {
  nodes: InfraNode[];
  sshPrivateKey: pulumi.Input<string>;
}

export class SshFirstContact extends pulumi.ComponentResource {
  /** Stage 1's nodes; those behind the bastion carry `sshReady`, which `connectionTo` waits for. */
  declare readonly nodes: InfraNode[];

  constructor(name: string, args: SshFirstContactArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:infra:SshFirstContact", name, {}, opts);
    this.nodes = args.nodes.map((node) => {
      const proxy = node.ssh.proxy;
      if (!proxy) return node;
      const jump = args.nodes.find((n) => !n.ssh.proxy && n.ssh.host === proxy.host);
      if (!jump) throw new Error(`SshFirstContact: ${node.name} is reached through ${proxy.host}, which is no VM of stage 1`);
      const wait = new command.remote.Command(
        `${name}-${node.name}`,
        {
          connection: connectionTo(jump, args.sshPrivateKey),
          create: remoteCommand(renderWaitForSshd({ target: node.ssh.host }), { name: "wait-for-sshd", root: false }),
          // A new VM (or a new bastion) is probed again.
          triggers: [node.domainId, jump.domainId],
        },
        { parent: this, deleteBeforeReplace: true },
      );
      return { ...node, sshReady: wait.stdout };
    });
    this.registerOutputs({});
  }
}
