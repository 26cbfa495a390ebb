/**
 * First-boot config of the Rocky Linux VMs, read by cloud-init from a NoCloud disk: user-data
 * (#cloud-config), network-config v2 and meta-data. The base document makes a reachable, locked-down
 * machine; roles (bastion, FreeIPA, ...) add fragments that are merged into it.
 */
import { parse, stringify } from "yaml";
import { shortHash } from "../config/identity";
import { fqdn, ntpServersFor, Topology, VmSpec } from "../config/topology";
import { CHRONY_CONF, CHRONY_SOURCES, renderChronyConf, renderChronySources } from "./chrony";
import { guestNics } from "./guest-network";
import { loadScript } from "./roles/shell";

export interface CloudConfigFile {
  path: string;
  content: string;
  permissions?: string;
  owner?: string;
  /** Write after users and packages exist (cloud-init >= 21.3). */
  defer?: boolean;
}

export interface YumRepo {
  name: string;
  baseurl?: string;
  metalink?: string;
  enabled: boolean;
  gpgcheck: boolean;
  gpgkey?: string;
}

/**
 * One first-boot step: a command run by `fmc-first-boot` (scripts/first-boot.sh) in order, with its
 * own log; the first failing step stops first boot and is reported by the after-boot steps.
 */
export interface FirstBootStep {
  /** Unique per VM: letters, digits and dashes (the log file's name). */
  name: string;
  /** Program and plain arguments (no spaces, no shell syntax). */
  command: string[];
}

/**
 * What a role adds to the base cloud-config. Lists are appended in order (base first); anything a
 * role needs beyond these keys belongs in a file plus a command, which keeps roles reviewable.
 */
export interface CloudConfigFragment {
  packages?: string[];
  write_files?: CloudConfigFile[];
  /** Commands run once, at the end of first boot, in order (after the base's). */
  steps?: FirstBootStep[];
  yum_repos?: Record<string, YumRepo>;
}

/** The user-data document as a plain object (rendered to YAML by renderRockyUserData). */
export interface CloudConfig extends Omit<CloudConfigFragment, "steps"> {
  hostname: string;
  fqdn: string;
  prefer_fqdn_over_hostname: boolean;
  manage_etc_hosts: boolean;
  users: Record<string, unknown>[];
  disable_root: boolean;
  ssh_pwauth: boolean;
  timezone: string;
  /** Only `fmc-first-boot`, which runs the steps (cloud-init runs runcmd as one script without `set -e`). */
  runcmd: string[][];
  package_update: boolean;
  final_message: string;
}

/** Marker file written last: stage 2 and operators can tell first boot finished (besides `cloud-init status --wait`). */
export const FIRST_BOOT_DONE = "/var/lib/flatcarmicrocloud/first-boot.done";
/** Written instead when a step failed: "step log exit-status". */
export const FIRST_BOOT_FAILED = "/var/lib/flatcarmicrocloud/first-boot.failed";
export const FIRST_BOOT_RUNNER = "/usr/local/sbin/fmc-first-boot";
export const FIRST_BOOT_STEPS = "/etc/flatcarmicrocloud/first-boot-steps";

/** The steps file fmc-first-boot reads: "name command [argument...]" per line. */
export function renderFirstBootSteps(steps: FirstBootStep[]): string {
  const names = new Set<string>();
  for (const s of steps) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(s.name)) throw new Error(`first-boot step name ${JSON.stringify(s.name)}: letters, digits and dashes only`);
    if (names.has(s.name)) throw new Error(`cloud-config: two first-boot steps are named ${s.name}`);
    names.add(s.name);
    for (const word of s.command) if (!/^[A-Za-z0-9_./:=@+,-]+$/.test(word)) throw new Error(`first-boot step ${s.name}: ${JSON.stringify(word)} is not a plain word`);
  }
  return ["# FlatcarMicroCloud first-boot steps, run in order by fmc-first-boot: name command [argument...]", ...steps.map((s) => `${s.name} ${s.command.join(" ")}`), ""].join("\n");
}

export function mergeFragments(base: CloudConfig & { steps?: FirstBootStep[] }, fragments: CloudConfigFragment[]): CloudConfig & { steps: FirstBootStep[] } {
  const merged: CloudConfig & { steps: FirstBootStep[] } = { ...base, steps: [...(base.steps ?? [])] };
  for (const f of fragments) {
    if (f.packages) merged.packages = [...(merged.packages ?? []), ...f.packages.filter((p) => !(merged.packages ?? []).includes(p))];
    if (f.write_files) {
      for (const wf of f.write_files) {
        if ((merged.write_files ?? []).some((existing) => existing.path === wf.path)) {
          throw new Error(`cloud-config: two fragments write ${wf.path}`);
        }
      }
      merged.write_files = [...(merged.write_files ?? []), ...f.write_files];
    }
    if (f.steps) merged.steps = [...merged.steps, ...f.steps];
    if (f.yum_repos) {
      for (const name of Object.keys(f.yum_repos)) {
        if (merged.yum_repos && name in merged.yum_repos) throw new Error(`cloud-config: two fragments define yum repo ${name}`);
      }
      merged.yum_repos = { ...(merged.yum_repos ?? {}), ...f.yum_repos };
    }
  }
  return merged;
}

export function rockyCloudConfig(vm: VmSpec, topology: Topology, fragments: CloudConfigFragment[] = []): CloudConfig {
  const base: CloudConfig = {
    hostname: vm.name,
    fqdn: fqdn(vm, topology.domain),
    prefer_fqdn_over_hostname: false,
    manage_etc_hosts: true,
    users: [
      {
        name: topology.adminUser,
        gecos: "FlatcarMicroCloud operator",
        groups: ["wheel"],
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        shell: "/bin/bash",
        lock_passwd: true,
        ssh_authorized_keys: [topology.sshPublicKey],
      },
    ],
    disable_root: true,
    ssh_pwauth: false,
    // chrony is Rocky's NTP client; FreeIPA serves time to the whole topology. Configured here, not
    // by cloud-init's ntp module, which has no chrony template for Rocky before 24.4 (./chrony.ts).
    timezone: "UTC",
    package_update: false,
    packages: ["qemu-guest-agent", "chrony"],
    write_files: [
      { path: FIRST_BOOT_RUNNER, content: loadScript("first-boot.sh"), permissions: "0755", owner: "root:root" },
      { path: CHRONY_CONF, content: `${renderChronyConf()}\n`, permissions: "0644", owner: "root:root" },
      { path: CHRONY_SOURCES, content: `${renderChronySources(ntpServersFor(topology, vm))}\n`, permissions: "0644", owner: "root:root" },
    ],
    runcmd: [[FIRST_BOOT_RUNNER]],
    final_message: `${vm.name} first boot finished after $UPTIME seconds`,
  };
  const { steps, ...merged } = mergeFragments(
    {
      ...base,
      steps: [
        { name: "guest-agent", command: ["systemctl", "enable", "--now", "qemu-guest-agent.service"] },
        // chronyd may have started before its config was written: restart it on the new one.
        { name: "chrony-enable", command: ["systemctl", "enable", "chronyd.service"] },
        { name: "chrony", command: ["systemctl", "restart", "chronyd.service"] },
      ],
    },
    fragments,
  );
  // The steps' list is the last file: fmc-first-boot (runcmd, after every file is written) reads it.
  merged.write_files = [...(merged.write_files ?? []), { path: FIRST_BOOT_STEPS, content: renderFirstBootSteps(steps), permissions: "0644", owner: "root:root" }];
  return merged;
}

export function renderRockyUserData(vm: VmSpec, topology: Topology, fragments: CloudConfigFragment[] = []): string {
  if (vm.os !== "rocky") throw new Error(`renderRockyUserData: ${vm.name} runs ${vm.os}, not rocky`);
  return `#cloud-config\n${stringify(rockyCloudConfig(vm, topology, fragments), { lineWidth: 0 })}`;
}

/** network-config version 2: static addresses on NICs matched (and renamed) by MAC. */
export function renderRockyNetworkConfig(vm: VmSpec, topology: Topology): string {
  const ethernets: Record<string, unknown> = {};
  for (const nic of guestNics(vm, topology)) {
    ethernets[nic.iface] = {
      match: { macaddress: nic.mac },
      "set-name": nic.iface,
      dhcp4: false,
      dhcp6: false,
      addresses: [nic.cidrAddress],
      // `to: default` needs cloud-init >= 25.3; Rocky 9's cloud-init rejects it and brings up no network.
      ...(nic.gateway ? { routes: [{ to: "0.0.0.0/0", via: nic.gateway }] } : {}),
      ...(nic.dns.length > 0 ? { nameservers: { addresses: nic.dns, search: [topology.domain] } } : {}),
    };
  }
  return stringify({ version: 2, ethernets }, { lineWidth: 0 });
}

/**
 * meta-data: the instance-id changes with the VM's first-boot identity, so cloud-init treats a
 * replaced VM as a new instance even if a disk were ever reused.
 */
export function renderRockyMetaData(vm: VmSpec, identity: string): string {
  return stringify({ "instance-id": `${vm.name}-${identity}`, "local-hostname": vm.name });
}

/**
 * The VM's first-boot identity (a short hash): user-data and network-config without what every VM
 * shares or what names another VM (the operator's key, the NTP servers, the resolvers). Those are
 * delivered and rotated after boot (./host-settings.ts), so changing them makes no new machine.
 */
export function rockyFirstBootIdentity(vm: VmSpec, topology: Topology, userData: string, networkConfig: string): string {
  const doc = parse(userData.replace(/^#cloud-config\n/, "")) as CloudConfig;
  const neutral = {
    ...doc,
    users: doc.users.map((u) => ({ ...u, ssh_authorized_keys: [] })),
    write_files: (doc.write_files ?? []).map((f) => (f.path === CHRONY_SOURCES ? { ...f, content: "" } : f)),
  };
  const net = parse(networkConfig) as { ethernets: Record<string, Record<string, unknown>> };
  const ethernets = Object.fromEntries(Object.entries(net.ethernets).map(([k, e]) => [k, { ...e, nameservers: undefined }]));
  return shortHash(JSON.stringify([vm.name, neutral, { ...net, ethernets }, topology.stack]));
}
