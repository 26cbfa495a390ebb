/**
 * The host preflight: what must be true of the hypervisor and of the machine running Pulumi before
 * stage 1 creates anything, checked by a script (scripts/host-preflight.sh) that the Infra component
 * runs as the first step of `pulumi up`. A preview, the offline plan and the tests register it but
 * never run it, so they need no host.
 *
 * The facts come from terraform-provider-libvirt 0.8.3's source:
 * - libvirt/cloudinit_def.go `createISO` runs `mkisofs` in the provider's process, i.e. on the Pulumi
 *   machine (not on a remote host);
 * - libvirt/utils_xslt.go runs `xsltproc` there for a Domain's `xml.xslt` (infra/ignition-delivery.ts);
 * - libvirt/utils_domain_def.go `getMachineTypeForArch` gives an x86_64 domain without `machine` the
 *   type "pc" (i440fx) and nothing else, and libvirt/domain.go `newDiskForCloudInit` attaches the
 *   cloud-init ISO as an IDE CD-ROM (`hdd`, bus `ide`). EL10's qemu-kvm has neither.
 */
import { readFileSync } from "fs";
import * as path from "path";
import { baseImageReleases, PoolRef, PoolVolume, poolVolumes, primaryPool } from "../config/host-disk";
import { bridgeOn } from "../config/network-span";
import { hostKey, poolKey } from "../config/hosts";
import { hostOf, NetworkSpec, poolOn, Topology, vmsOn } from "../config/topology";
import { shellAssignment, ShellValue } from "../shell";
import { MIN_LIBVIRT_FOR_FWCFG } from "./ignition-delivery";
import { poolArgs } from "./machines";
import { networksOn } from "./placement";

/** The machine type provider 0.8.3 gives every x86_64 domain (we set no `machine`). */
export const PROVIDER_MACHINE_TYPE = "pc";
/** The bus provider 0.8.3 puts the cloud-init CD-ROM on. */
export const PROVIDER_CLOUDINIT_BUS = "ide";

/** Hosts the program is meant for: libvirt >= 6.5 and a qemu with i440fx ("pc") and IDE. */
export const SUPPORTED_HOSTS =
  "Rocky Linux / RHEL / AlmaLinux 9 (the seed's host), Debian 12 or newer, Ubuntu 22.04 or newer; not EL10";

export interface LocalTool {
  tool: string;
  why: string;
  install: string;
}

export const MKISOFS: LocalTool = {
  tool: "mkisofs",
  why: "the libvirt provider runs it to build each Rocky VM's cloud-init ISO",
  install: "genisoimage (Debian, Ubuntu: apt-get install genisoimage; it provides mkisofs) or xorriso (Rocky, RHEL, Fedora: dnf install xorriso; its alternatives provide mkisofs)",
};

export const XSLTPROC: LocalTool = {
  tool: "xsltproc",
  why: "the libvirt provider runs it to apply the Flatcar domains' stylesheet (Ignition over libvirt's fw_cfg entry)",
  install: "xsltproc (Debian, Ubuntu) or libxslt (Rocky, RHEL, Fedora)",
};

export interface HostPreflight {
  libvirtUri: string;
  localTools: LocalTool[];
  /** Host bridges the bridge-mode networks attach to, each with the config key that names it. */
  bridges: { bridge: string; key: string }[];
  /** Every VM address on a bridge-mode network: none may already be the host's own. */
  bridgeAddresses: { vm: string; address: string }[];
  /** The storage pool and every volume stage 1 keeps in it (config/host-disk.ts): its free space must hold the missing ones. */
  pool: { name: string; path: string; volumes: PoolVolume[] };
  /**
   * The config keys the messages name for this host and pool: the one-host keys (libvirtUri,
   * hostAddresses, storagePoolPath, storagePoolCapacityGiB) or `hosts[i].…` (config/hosts.ts).
   */
  keys: { libvirtUri: string; addresses: string; poolPath: string; poolCapacity: string };
}

/** The key naming the bridge of `spec` on `host`: its `hostBridges` entry, else its `bridge`. */
function bridgeKey(topology: Topology, spec: NetworkSpec, host: string): string {
  const i = topology.networks.indexOf(spec);
  return spec.hostBridges?.[host] !== undefined ? `networks[${i}].hostBridges.${host}` : `networks[${i}].bridge`;
}

/**
 * What the topology needs of the host of pool `where` (default: the first host's first pool), of
 * that pool, and of the Pulumi machine. One preflight per pool: each host's checks run before its
 * first pool's objects, and every pool's free space is checked.
 */
export function hostPreflightFor(topology: Topology, where: PoolRef = primaryPool(topology)): HostPreflight {
  const host = hostOf(topology, { host: where.host, name: `pool ${where.pool}` });
  const i = topology.hosts.indexOf(host);
  const j = host.pools.findIndex((p) => p.name === where.pool);
  const bridgeNetworks = networksOn(topology, host).filter((n) => n.mode === "bridge");
  const localTools: LocalTool[] = [];
  if (topology.vms.some((vm) => vm.os === "rocky")) localTools.push(MKISOFS);
  if (topology.vms.some((vm) => vm.os === "flatcar")) localTools.push(XSLTPROC);
  return {
    libvirtUri: host.libvirtUri,
    localTools,
    bridges: bridgeNetworks
      .flatMap((n) => {
        const bridge = bridgeOn(n, host.name);
        return bridge === undefined ? [] : [{ bridge, key: bridgeKey(topology, n, host.name) }];
      })
      .filter((b, k, all) => all.findIndex((o) => o.bridge === b.bridge) === k),
    bridgeAddresses: vmsOn(topology, host).flatMap((vm) =>
      vm.nics.filter((nic) => bridgeNetworks.some((n) => n.name === nic.network)).map((nic) => ({ vm: vm.name, address: nic.address })),
    ),
    pool: { name: poolArgs(topology, where).name, path: poolOn(host, where.pool).path, volumes: poolVolumes(topology, baseImageReleases(), where) },
    keys: {
      libvirtUri: hostKey(topology, i, "libvirtUri"),
      addresses: hostKey(topology, i, "addresses"),
      poolPath: poolKey(topology, i, j, "path"),
      poolCapacity: poolKey(topology, i, j, "capacityGiB"),
    },
  };
}

function loadPreflightScript(): string {
  return readFileSync(path.join(__dirname, "scripts", "host-preflight.sh"), "utf8").replace(/^# shellcheck shell=bash\n/, "");
}

/** The preflight script for `facts`: its settings, then scripts/host-preflight.sh. */
export function renderHostPreflightScript(facts: HostPreflight): string {
  for (const t of facts.localTools) {
    if ([t.tool, t.why, t.install].some((field) => field.includes("|"))) throw new Error(`local tool ${t.tool}: '|' separates fields`);
  }
  for (const b of facts.bridges) {
    if ([b.bridge, b.key].some((field) => field.includes("|"))) throw new Error(`bridge ${b.bridge}: '|' separates fields`);
  }
  for (const v of facts.pool.volumes) {
    if ([v.name, v.what].some((field) => field.includes("|") || field.includes(";"))) throw new Error(`pool volume ${v.name}: '|' and ';' separate fields`);
  }
  const vars: Record<string, ShellValue> = {
    FMC_LIBVIRT_URI: facts.libvirtUri,
    FMC_LOCAL_TOOLS: facts.localTools.map((t) => `${t.tool}|${t.why}|${t.install}`),
    FMC_MACHINE_TYPE: PROVIDER_MACHINE_TYPE,
    FMC_CDROM_BUS: PROVIDER_CLOUDINIT_BUS,
    FMC_MIN_LIBVIRT: MIN_LIBVIRT_FOR_FWCFG,
    FMC_SUPPORTED_HOSTS: SUPPORTED_HOSTS,
    FMC_BRIDGES: facts.bridges.map((b) => `${b.bridge}|${b.key}`),
    FMC_BRIDGE_ADDRESSES: facts.bridgeAddresses.map((a) => `${a.vm} ${a.address}`),
    FMC_POOL_NAME: facts.pool.name,
    FMC_POOL_PATH: facts.pool.path,
    FMC_POOL_VOLUMES: facts.pool.volumes.map((v) => `${v.name}|${v.worstCaseBytes}|${v.kind}|${v.what}`),
    FMC_URI_KEY: facts.keys.libvirtUri,
    FMC_ADDRESSES_KEY: facts.keys.addresses,
    FMC_POOL_PATH_KEY: facts.keys.poolPath,
    FMC_POOL_CAPACITY_KEY: facts.keys.poolCapacity,
  };
  return [
    "#!/bin/bash",
    "# Generated by FlatcarMicroCloud (infra/host-preflight.ts): run by `pulumi up` before stage 1 creates anything.",
    "set -euo pipefail",
    ...Object.entries(vars).map(([name, value]) => shellAssignment(name, value)),
    // The provider's own switch for hosts without KVM (TCG): check the domain type it will use.
    'FMC_VIRT_TYPE="${TERRAFORM_LIBVIRT_TEST_DOMAIN_TYPE:-kvm}"',
    "",
    loadPreflightScript(),
  ].join("\n");
}
