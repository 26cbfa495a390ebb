/**
 * Turns the raw stack config into a typed Topology, or fails with every problem found, each naming
 * the config key it comes from. Runs before any resource is registered, so bad config never reaches
 * the hypervisor.
 */
import { etcdSpread } from "./failure-domains";
import { K3S_NETWORK } from "../ports";
import { macFor } from "./identity";
import { checkHostAddresses, checkHostCapacity, parseHosts, parsePlacement } from "./hosts";
import { checkNetworkHosts, checkNetworkPlacement, hostLocalOnly } from "./network-span";
import { cidrsOverlap, firstHost, isUsableHost, parseCidr, parseIpv4, Ipv4Cidr } from "./net";
import { IMAGES } from "../versions";
import {
  DEPLOY_STAGES,
  HostSpec,
  isK3sNode,
  NETWORK_MODES,
  NetworkMode,
  NetworkSpec,
  NicSpec,
  OS_FAMILIES,
  OsFamily,
  reachableNic,
  Role,
  ROLES,
  Topology,
  VmSpec,
} from "./topology";

/** The stack config as written in Pulumi.<stack>.yaml, before validation (keys without the project prefix). */
export interface RawStackConfig {
  domain?: unknown;
  libvirtUri?: unknown;
  hostName?: unknown;
  hostVcpus?: unknown;
  hostMemoryGiB?: unknown;
  hostReservedMemoryGiB?: unknown;
  hostAddresses?: unknown;
  storagePoolPath?: unknown;
  storagePoolCapacityGiB?: unknown;
  /** The KVM hosts (config/hosts.ts); absent: one host from the one-host keys above. */
  hosts?: unknown;
  sshPublicKey?: unknown;
  adminUser?: unknown;
  clusterNetwork?: unknown;
  fallbackNtpServers?: unknown;
  protectStatefulDisks?: unknown;
  flatcarImageUrl?: unknown;
  rockyImageUrl?: unknown;
  vmCpuMode?: unknown;
  deployUpTo?: unknown;
  cephStateDiskGiB?: unknown;
  networks?: unknown;
  vms?: unknown;
}

/**
 * The Ceph state disk of each storage node (Rook's dataDirHostPath: the mon store, OSD metadata,
 * crash reports). A mon store is tens of MiB on a healthy small cluster but grows while Ceph is
 * unhealthy (it keeps every map until the cluster is clean again); Ceph warns at 15 GiB
 * (mon_data_size_warn), so the default leaves room for a long degraded spell on a small cluster. The
 * volume is raw and preallocated in full when it is created (provider 0.8.3 sets no allocation:
 * config/host-disk.ts), so every GiB here is taken from the pool's filesystem at once.
 */
export const CEPH_STATE_DISK_GIB = { default: 20, min: 5, max: 200 } as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** RFC 1123 host label: letters, digits and hyphens, not starting or ending with a hyphen, 1-63 chars. */
export const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const SSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+=*( .*)?$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;
const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const DEFAULT_NTP = ["0.flatcar.pool.ntp.org", "1.flatcar.pool.ntp.org"];

/** Roles that run Rocky Linux services and roles that run K3s on Flatcar. */
const OS_OF_ROLE: Record<Role, OsFamily> = {
  bastion: "rocky",
  loadbalancer: "rocky",
  freeipa: "rocky",
  postgresql: "rocky",
  "k3s-server": "flatcar",
  "k3s-agent": "flatcar",
};

/** Roles every K3s node must reach directly, when the topology has them. */
const SERVICES_NODES_NEED: Role[] = ["freeipa", "postgresql", "loadbalancer", "k3s-server"];

type Obj = Record<string, unknown>;

/** A DNS domain: dot-separated RFC 1123 labels. */
export function isDnsDomain(domain: string): boolean {
  return domain.split(".").every((label) => HOST_LABEL.test(label));
}

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export class Collector {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];

  fail(key: string, problem: string): void {
    this.problems.push(`${key}: ${problem}`);
  }

  string(key: string, value: unknown, fallback?: string): string {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "string" || value.trim() === "") {
      this.fail(key, value === undefined ? "is required" : "must be a non-empty string");
      return "";
    }
    return value.trim();
  }

  positiveInt(key: string, value: unknown, fallback?: number): number {
    if (value === undefined && fallback !== undefined) return fallback;
    const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) {
      this.fail(key, value === undefined ? "is required" : `must be a positive whole number (got ${JSON.stringify(value)})`);
      return 0;
    }
    return n;
  }

  boolean(key: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    this.fail(key, `must be true or false (got ${JSON.stringify(value)})`);
    return fallback;
  }

  stringList(key: string, value: unknown, fallback: string[]): string[] {
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      this.fail(key, "must be a list of strings");
      return fallback;
    }
    return value;
  }

  list(key: string, value: unknown): unknown[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.fail(key, value === undefined ? "is required" : "must be a non-empty list");
      return [];
    }
    return value;
  }

  oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[]): T | undefined {
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    this.fail(key, `unknown value ${JSON.stringify(value)}; expected one of ${allowed.join(", ")}`);
    return undefined;
  }
}

function parseNetworks(c: Collector, raw: unknown): { spec: NetworkSpec; cidr: Ipv4Cidr }[] {
  const out: { spec: NetworkSpec; cidr: Ipv4Cidr }[] = [];
  c.list("networks", raw).forEach((item, i) => {
    const key = `networks[${i}]`;
    if (!isObj(item)) return c.fail(key, "must be an object");
    const name = c.string(`${key}.name`, item.name);
    const mode = c.oneOf<NetworkMode>(`${key}.mode`, item.mode, NETWORK_MODES);
    const cidrText = c.string(`${key}.cidr`, item.cidr);
    const cidr = parseCidr(cidrText);
    if (cidrText && !cidr) c.fail(`${key}.cidr`, `"${cidrText}" is not an IPv4 network in CIDR form (a.b.c.0/8-30)`);
    let bridge: string | undefined;
    if (mode === "bridge") bridge = c.string(`${key}.bridge`, item.bridge);
    if (!cidr || !mode) return;
    // On NAT networks libvirt owns the gateway (its first address); on a LAN bridge the router does.
    const gateway = mode === "nat" ? firstHost(cidr) : c.string(`${key}.gateway`, item.gateway);
    if (mode === "bridge" && gateway && !isUsableHost(cidr, parseIpv4(gateway) ?? -1)) {
      c.fail(`${key}.gateway`, `${gateway} is not an address inside ${cidrText}`);
    }
    const dns = c.stringList(`${key}.dns`, item.dns, [gateway]);
    out.push({ spec: { name, mode, cidr: cidrText, bridge, gateway, dns, ...parseNetworkPlacement(c, key, item, mode) }, cidr });
  });

  for (const n of out) {
    for (const [range, cidr] of Object.entries(K3S_NETWORK)) {
      const k3s = parseCidr(cidr) as Ipv4Cidr;
      if (cidrsOverlap(n.cidr, k3s)) c.fail("networks", `"${n.spec.name}" (${n.spec.cidr}) overlaps K3s's ${range} ${cidr}`);
    }
  }
  out.forEach((a, i) => {
    out.slice(i + 1).forEach((b) => {
      if (a.spec.name === b.spec.name) c.fail("networks", `network name "${a.spec.name}" is used twice`);
      if (cidrsOverlap(a.cidr, b.cidr)) {
        c.fail("networks", `"${a.spec.name}" (${a.spec.cidr}) overlaps "${b.spec.name}" (${b.spec.cidr})`);
      }
    });
  });
  return out;
}

/**
 * Where a network sits when there are several hosts (config/network-span.ts): a NAT network on one
 * host (`host`), a bridge network on every host with a VM on it, under another bridge name on some
 * (`hostBridges`). Whether the hosts named exist is checked with the hosts.
 */
function parseNetworkPlacement(c: Collector, key: string, item: Obj, mode: NetworkMode): Pick<NetworkSpec, "host" | "hostBridges"> {
  const placement: Pick<NetworkSpec, "host" | "hostBridges"> = {};
  if (item.host !== undefined) {
    if (mode === "bridge") c.fail(`${key}.host`, "only a NAT network lives on one host; a bridge network reaches every host with a VM on it (hostBridges names its bridge where it differs)");
    else placement.host = c.string(`${key}.host`, item.host);
  }
  if (item.hostBridges !== undefined) {
    if (mode !== "bridge") c.fail(`${key}.hostBridges`, "only a bridge network attaches to host bridges");
    else if (!isObj(item.hostBridges) || !Object.values(item.hostBridges).every((v) => typeof v === "string" && v.trim() !== "")) {
      c.fail(`${key}.hostBridges`, "must be a map of host name to bridge name");
    } else placement.hostBridges = item.hostBridges as Record<string, string>;
  }
  return placement;
}

function parseLabels(c: Collector, key: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isObj(raw) || !Object.values(raw).every((v) => typeof v === "string")) {
    c.fail(key, "must be a map of strings");
    return {};
  }
  return raw as Record<string, string>;
}

function parseVms(c: Collector, raw: unknown, networks: Map<string, { spec: NetworkSpec; cidr: Ipv4Cidr }>, hosts: HostSpec[]): VmSpec[] {
  const vms: VmSpec[] = [];
  c.list("vms", raw).forEach((item, i) => {
    const key = `vms[${i}]`;
    if (!isObj(item)) return c.fail(key, "must be an object");
    const name = c.string(`${key}.name`, item.name);
    if (name && !HOST_LABEL.test(name)) {
      const hint = name.includes("_") ? ` (underscores are not allowed: use "${name.replace(/_/g, "")}")` : "";
      c.fail(`${key}.name`, `"${name}" is not a valid RFC 1123 host name: lowercase letters, digits and inner hyphens only${hint}`);
    }
    const role = c.oneOf<Role>(`${key}.role`, item.role, ROLES);
    const os = c.oneOf<OsFamily>(`${key}.os`, item.os, OS_FAMILIES);
    if (role && os && OS_OF_ROLE[role] !== os) {
      c.fail(`${key}.os`, `role ${role} runs on ${OS_OF_ROLE[role]}, not ${os}`);
    }
    const vcpus = c.positiveInt(`${key}.vcpus`, item.vcpus);
    const memoryMiB = c.positiveInt(`${key}.memoryMiB`, item.memoryMiB);
    const rootDiskGiB = c.positiveInt(`${key}.rootDiskGiB`, item.rootDiskGiB);
    const dataDiskGiB = item.dataDiskGiB === undefined ? undefined : c.positiveInt(`${key}.dataDiskGiB`, item.dataDiskGiB);
    if (dataDiskGiB !== undefined && role && !role.startsWith("k3s-")) {
      c.fail(`${key}.dataDiskGiB`, "only K3s nodes can be Ceph storage nodes");
    }
    const nics: NicSpec[] = [];
    c.list(`${key}.nics`, item.nics).forEach((rawNic, j) => {
      const nicKey = `${key}.nics[${j}]`;
      if (!isObj(rawNic)) return c.fail(nicKey, "must be an object");
      const network = c.string(`${nicKey}.network`, rawNic.network);
      const address = c.string(`${nicKey}.address`, rawNic.address);
      const net = networks.get(network);
      if (network && !net) return c.fail(`${nicKey}.network`, `unknown network "${network}"`);
      const ip = parseIpv4(address);
      if (address && ip === undefined) return c.fail(`${nicKey}.address`, `"${address}" is not an IPv4 address`);
      if (!net || ip === undefined) return;
      if (!isUsableHost(net.cidr, ip)) {
        return c.fail(`${nicKey}.address`, `${address} is outside network ${network} (${net.spec.cidr})`);
      }
      if (address === net.spec.gateway) {
        return c.fail(`${nicKey}.address`, `${address} is the gateway of ${network}`);
      }
      if (rawNic.mac !== undefined && typeof rawNic.mac !== "string") return c.fail(`${nicKey}.mac`, "must be a string");
      const mac = rawNic.mac === undefined ? macFor(name, network) : rawNic.mac.toLowerCase();
      if (!MAC.test(mac)) return c.fail(`${nicKey}.mac`, `"${mac}" is not a MAC address`);
      if (nics.some((n) => n.network === network)) {
        return c.fail(`${nicKey}.network`, `${name} has two NICs on ${network}`);
      }
      nics.push({ network, address, prefix: net.cidr.prefix, mac, iface: `nic${j}`, primary: j === 0 });
    });
    const placement = parsePlacement(c, key, item, hosts, dataDiskGiB !== undefined);
    if (!role || !os || !placement) return;
    vms.push({
      name,
      role,
      os,
      vcpus,
      memoryMiB,
      rootDiskGiB,
      dataDiskGiB,
      ...placement,
      nics,
      labels: parseLabels(c, `${key}.labels`, item.labels),
      taints: c.stringList(`${key}.taints`, item.taints, []),
    });
  });
  return vms;
}

function checkUnique(c: Collector, what: string, entries: { value: string; owner: string }[]): void {
  const seen = new Map<string, string>();
  for (const { value, owner } of entries) {
    const first = seen.get(value);
    if (first !== undefined) c.fail("vms", `duplicate ${what} ${value} (${first} and ${owner})`);
    else seen.set(value, owner);
  }
}

function checkTopologyRules(c: Collector, t: Omit<Topology, "warnings">): void {
  checkUnique(c, "hostname", t.vms.map((vm) => ({ value: vm.name, owner: vm.name })));
  const nics = t.vms.flatMap((vm) => vm.nics.map((nic) => ({ vm, nic })));
  checkUnique(c, "address", nics.map(({ vm, nic }) => ({ value: nic.address, owner: vm.name })));
  checkUnique(c, "MAC", nics.map(({ vm, nic }) => ({ value: nic.mac, owner: `${vm.name} on ${nic.network}` })));
  checkHostAddresses(c, t);

  const servers = t.vms.filter((vm) => vm.role === "k3s-server");
  if (servers.length === 0) c.fail("vms", "no VM has role k3s-server: the cluster needs at least one");
  else if (servers.length % 2 === 0) {
    c.warnings.push(
      `vms: ${servers.length} K3s servers (${servers.map((s) => s.name).join(", ")}): etcd needs a majority, so an even ` +
        `count tolerates no more failures than ${servers.length - 1}; use an odd number of servers`,
    );
  }
  // No host may hold an etcd majority once there are three hosts (./failure-domains.ts).
  const spread = etcdSpread(t, servers.map((s) => s.name));
  c.problems.push(...spread.problems);
  c.warnings.push(...spread.warnings);

  if (!t.networks.some((n) => n.name === t.clusterNetwork)) {
    c.fail("clusterNetwork", `unknown network "${t.clusterNetwork}"`);
  }
  // With several hosts, a NAT network stays on its host (config/network-span.ts); the pairs below are
  // checked across hosts once every network's host is known.
  const unknownHosts = checkNetworkHosts(t);
  for (const { key, problem } of unknownHosts.length > 0 ? unknownHosts : checkNetworkPlacement(t)) c.fail(key, problem);
  const acrossHosts = (from: VmSpec, target: VmSpec, why: string) => {
    const problem = unknownHosts.length > 0 ? undefined : hostLocalOnly(t, from, target, why);
    if (problem) c.fail("vms", problem);
  };
  for (const vm of t.vms.filter(isK3sNode)) {
    if (!vm.nics.some((n) => n.network === t.clusterNetwork)) {
      c.fail("vms", `K3s node ${vm.name} has no NIC on the cluster network ${t.clusterNetwork}`);
    }
    for (const role of SERVICES_NODES_NEED) {
      for (const target of t.vms.filter((v) => v.role === role && v.name !== vm.name)) {
        if (!reachableNic(vm, target)) {
          c.fail("vms", `${vm.name} shares no network with ${target.name} (${role}); give one of them a NIC on the other's network`);
        }
        acrossHosts(vm, target, `K3s nodes use the ${role}`);
      }
    }
  }
  for (const bastion of t.vms.filter((vm) => vm.role === "bastion")) {
    for (const target of t.vms.filter((v) => v.name !== bastion.name && !reachableNic(bastion, v))) {
      c.fail("vms", `bastion ${bastion.name} shares no network with ${target.name}, so it cannot reach it over SSH`);
    }
    for (const target of t.vms.filter((v) => v.name !== bastion.name)) acrossHosts(bastion, target, "the bastion reaches every VM over SSH");
  }

  checkHostCapacity(c, t);
}

/**
 * A base image URL: a mirror's copy of the pinned release (libvirt downloads it itself, over HTTP(S)).
 * Only the location is configurable; the release stays the one versions.ts pins.
 */
function imageUrl(c: Collector, key: string, value: unknown, pinned: string): string {
  const url = c.string(key, value, pinned);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !["http:", "https:"].includes(parsed.protocol)) c.fail(key, `must be an http(s) URL (got ${JSON.stringify(url)})`);
  return url;
}

export function parseTopology(raw: RawStackConfig, stack: string): Topology {
  const c = new Collector();
  const domain = c.string("domain", raw.domain).toLowerCase();
  if (domain && !isDnsDomain(domain)) {
    c.fail("domain", `"${domain}" is not a valid DNS domain`);
  }
  const sshPublicKey = c.string("sshPublicKey", raw.sshPublicKey);
  if (sshPublicKey && !SSH_PUBLIC_KEY.test(sshPublicKey)) {
    c.fail("sshPublicKey", "is not an OpenSSH public key (expected e.g. \"ssh-ed25519 AAAA... comment\")");
  }
  const adminUser = c.string("adminUser", raw.adminUser, "ops");
  if (!LINUX_USER.test(adminUser)) c.fail("adminUser", `"${adminUser}" is not a valid Linux user name`);
  const { hosts, listed } = parseHosts(c, raw, stack);

  const networks = parseNetworks(c, raw.networks);
  const byName = new Map(networks.map((n) => [n.spec.name, n]));
  const vms = parseVms(c, raw.vms, byName, hosts);
  const clusterNetwork = c.string("clusterNetwork", raw.clusterNetwork);
  const fallbackNtpServers = c.stringList("fallbackNtpServers", raw.fallbackNtpServers, DEFAULT_NTP);
  const protectStatefulDisks = c.boolean("protectStatefulDisks", raw.protectStatefulDisks, true);
  const imageUrls = {
    flatcar: imageUrl(c, "flatcarImageUrl", raw.flatcarImageUrl, IMAGES.flatcar.url),
    rocky: imageUrl(c, "rockyImageUrl", raw.rockyImageUrl, IMAGES.rocky.url),
  };
  const deployUpTo = c.oneOf("deployUpTo", raw.deployUpTo ?? "apps", DEPLOY_STAGES) ?? "apps";
  const cephStateDiskGiB = c.positiveInt("cephStateDiskGiB", raw.cephStateDiskGiB, CEPH_STATE_DISK_GIB.default);
  if (cephStateDiskGiB > 0 && (cephStateDiskGiB < CEPH_STATE_DISK_GIB.min || cephStateDiskGiB > CEPH_STATE_DISK_GIB.max)) {
    c.fail("cephStateDiskGiB", `${cephStateDiskGiB} GiB is outside ${CEPH_STATE_DISK_GIB.min}-${CEPH_STATE_DISK_GIB.max} GiB (the mon store needs a few GiB, more while Ceph is unhealthy)`);
  }
  // The state step tells its blank disk from the OSD disk by size before it formats anything
  // (infra/scripts/ceph-state-disk.sh): a guest that enumerated the disks in another order must find
  // a size that does not match, never the OSD disk.
  vms.forEach((vm, i) => {
    if (vm.dataDiskGiB !== undefined && vm.dataDiskGiB === cephStateDiskGiB) {
      c.fail(
        `vms[${i}].dataDiskGiB`,
        `${vm.name}'s Ceph OSD disk has the size of its Ceph state disk (cephStateDiskGiB, ${cephStateDiskGiB} GiB); the two must differ, so the state disk can never be mistaken for the OSD disk before it is formatted`,
      );
    }
  });

  const topology = {
    stack,
    domain,
    hosts,
    ...(listed ? { hostsListed: true as const } : {}),
    networks: networks.map((n) => n.spec),
    vms,
    clusterNetwork,
    sshPublicKey,
    adminUser,
    fallbackNtpServers,
    protectStatefulDisks,
    imageUrls,
    deployUpTo,
    cephStateDiskGiB,
  };
  // Cross-cutting rules only make sense once each entry parsed on its own.
  if (c.problems.length === 0) checkTopologyRules(c, topology);
  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return { ...topology, warnings: c.warnings };
}
