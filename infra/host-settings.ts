/**
 * Stack-wide settings of every VM, delivered after first boot: the operator's SSH keys, the NTP
 * servers (FreeIPA, else `fallbackNtpServers`) and the DNS resolvers and search domain (FreeIPA,
 * then the network's own resolver). They are shared by all VMs or name another VM, so in first-boot
 * config a key rotation or a moved FreeIPA would give every VM a new root disk. First boot still
 * carries the values current at the VM's creation (SSH must let stage 2 in, the network's own
 * resolver lets downloads work), but they are no part of the VM's first-boot identity
 * (`firstBootIdentity` in ./ignition.ts and ./cloudinit.ts); this step sets and later rotates them
 * in place, by an idempotent script (`scripts/host-settings.sh`).
 *
 * Other stack-wide guest settings plug in here: add a field to `HostSettings`, fill it in
 * `hostSettingsFor` and apply it in the script.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { join } from "path";
import { InfraNode } from "../nodes";
import { connectionTo } from "../ssh";
import { ntpServersFor, primaryNic, Topology, VmSpec } from "../config/topology";
import { renderScriptTemplate, remoteCommand, ShellValue } from "../shell";
import { renderChronyConf } from "./chrony";
import { sshUserFor } from "./nodes";
import { resolversFor } from "./roles/resolvers";

/** How long the step waits for a Rocky VM's first boot (cloud-init) once SSH answers. */
export const HOST_SETTINGS_BOOT_TIMEOUT_SECONDS = 2400;

export interface HostSettings {
  /** The user the keys are for: `core` on Flatcar, `adminUser` on Rocky. */
  keyUser: string;
  authorizedKeys: string[];
  ntpServers: string[];
  dnsServers: string[];
  searchDomains: string[];
  /** The interface that carries the resolvers (the primary NIC). */
  dnsIface: string;
}

export function hostSettingsFor(vm: VmSpec, topology: Topology): HostSettings {
  return {
    keyUser: sshUserFor(vm.os, topology),
    authorizedKeys: [topology.sshPublicKey],
    ntpServers: ntpServersFor(topology, vm),
    dnsServers: resolversFor(vm, topology),
    searchDomains: [topology.domain],
    dnsIface: primaryNic(vm).iface,
  };
}

export function renderHostSettingsScript(vm: VmSpec, settings: HostSettings): string {
  const values: Record<string, ShellValue> = {
    VM_NAME: vm.name,
    OS_FAMILY: vm.os,
    KEY_USER: settings.keyUser,
    AUTHORIZED_KEYS: settings.authorizedKeys,
    NTP_SERVERS: settings.ntpServers,
    DNS_SERVERS: settings.dnsServers,
    SEARCH_DOMAINS: settings.searchDomains,
    DNS_IFACE: settings.dnsIface,
    BOOT_TIMEOUT_SECONDS: HOST_SETTINGS_BOOT_TIMEOUT_SECONDS,
    CHRONY_CONF: renderChronyConf(),
  };
  return renderScriptTemplate(join(__dirname, "scripts"), "host-settings.sh", values);
}

export interface HostSettingsArgs {
  topology: Topology;
  /** Stage 1's nodes: where each command connects, and the domain id that re-runs it on a new VM. */
  nodes: InfraNode[];
  /** The stack's SSH private key (secret). */
  sshPrivateKey: pulumi.Input<string>;
  /**
   * FreeIPA's records commands: a VM is pointed at FreeIPA alone (./roles/resolvers.ts) only once
   * FreeIPA is installed and holds every record, so until then it keeps its first-boot resolver.
   */
  resolversServing?: pulumi.Resource[];
  /**
   * FreeIPA's install commands: a FreeIPA VM gets its settings (chrony restarted, NetworkManager
   * reloaded) only once ipa-server-install, which now runs after first boot, has finished.
   */
  freeipaInstalled?: pulumi.Resource[];
}

/**
 * One command per VM. A new VM runs it from scratch (its domain id is the trigger); a changed
 * setting re-runs the same script in place (`update`) on every VM, replacing none.
 */
export class HostSettingsDelivery extends pulumi.ComponentResource {
  /** The command of each VM, by VM name. */
  declare readonly commands: Record<string, command.remote.Command>;

  constructor(name: string, args: HostSettingsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("flatcarmicrocloud:infra:HostSettings", name, {}, opts);
    const commands: Record<string, command.remote.Command> = {};
    for (const vm of args.topology.vms) {
      const node = args.nodes.find((n) => n.name === vm.name);
      if (!node) throw new Error(`host settings: stage 1 has no node ${vm.name}`);
      const script = remoteCommand(renderHostSettingsScript(vm, hostSettingsFor(vm, args.topology)), { name: "host-settings", root: true });
      commands[vm.name] = new command.remote.Command(
        `${name}-${vm.name}`,
        { connection: connectionTo(node, args.sshPrivateKey), create: script, update: script, triggers: [node.domainId] },
        { parent: this, dependsOn: vm.role === "freeipa" ? (args.freeipaInstalled ?? []) : (args.resolversServing ?? []) },
      );
    }
    this.commands = commands;
    this.registerOutputs({});
  }
}
