/**
 * Settings of the guest roles (bastion VPN, SSH jump host, PostgreSQL database and backups), read
 * from the stack config next to the topology and validated against it before any resource exists.
 * The topology says which VMs run which role; these keys say how the roles behave.
 */
import * as pulumi from "@pulumi/pulumi";
import { readRawConfig } from "./load";
import { cidrsOverlap, firstHost, formatIpv4, Ipv4Cidr, parseCidr, parseIpv4 } from "./net";
import { isK3sNode, reachableNic, Topology, vmsWithRole } from "./topology";
import { Collector, ConfigError, isObj } from "./validate";

export interface WireguardPeer {
  /** Label of the peer (a person or a device), written as a comment in wg0.conf. */
  name: string;
  /** The peer's WireGuard public key (base64 of 32 bytes). */
  publicKey: string;
  /** Addresses routed to this peer, as CIDRs inside the VPN subnet (a bare address means /32). */
  allowedIps: string[];
}

export interface WireguardSettings {
  port: number;
  /** The VPN's own subnet; the bastion takes its first address. */
  subnet: string;
  prefix: number;
  serverAddress: string;
  peers: WireguardPeer[];
}

export interface PostgresSettings {
  /** Database created for the microservices. */
  database: string;
  /** Login role that owns it; its password is generated and exported as a secret. */
  role: string;
  /** Days a nightly dump is kept on the VM. */
  backupRetentionDays: number;
  /** Local time of the nightly dump, `HH:MM`. */
  backupTime: string;
}

export interface RoleSettings {
  wireguard: WireguardSettings;
  /** Bastion VM that stage 2 tunnels its SSH connections through; undefined connects directly. */
  sshJumpHost?: string;
  postgres: PostgresSettings;
  warnings: string[];
}

/** Role keys in the stack config (without the project prefix), before validation. */
export interface RawRoleConfig {
  wireguardPort?: unknown;
  wireguardSubnet?: unknown;
  wireguardPeers?: unknown;
  sshJumpHost?: unknown;
  postgresDatabase?: unknown;
  postgresRole?: unknown;
  postgresBackupRetentionDays?: unknown;
  postgresBackupTime?: unknown;
}

export const ROLE_CONFIG_KEYS: readonly (keyof RawRoleConfig)[] = [
  "wireguardPort",
  "wireguardSubnet",
  "wireguardPeers",
  "sshJumpHost",
  "postgresDatabase",
  "postgresRole",
  "postgresBackupRetentionDays",
  "postgresBackupTime",
];

export const ROLE_DEFAULTS = {
  wireguardPort: 51820,
  wireguardSubnet: "10.17.99.0/24",
  postgresDatabase: "microservices",
  postgresRole: "microservices",
  postgresBackupRetentionDays: 7,
  postgresBackupTime: "02:30",
} as const;

/** A WireGuard key is 32 bytes in base64: 43 significant characters and one `=` of padding. */
const WIREGUARD_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const PEER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Lower-case SQL identifiers only, so no quoting questions reach the shell, psql or pg_hba. */
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function lastAddress(cidr: Ipv4Cidr): number {
  return cidr.base + 2 ** (32 - cidr.prefix) - 1;
}

/** Inside `outer`, sparing its network and broadcast addresses. */
function strictlyInside(inner: Ipv4Cidr, outer: Ipv4Cidr): boolean {
  return inner.base > outer.base && lastAddress(inner) < lastAddress(outer);
}

function port(c: Collector, key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) {
    c.fail(key, `must be a port number from 1 to 65535 (got ${JSON.stringify(value)})`);
    return fallback;
  }
  return n;
}

function parsePeers(c: Collector, raw: unknown, subnet: Ipv4Cidr | undefined, server: string): WireguardPeer[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    c.fail("wireguardPeers", "must be a list of { name, publicKey, allowedIps }");
    return [];
  }
  const peers: WireguardPeer[] = [];
  raw.forEach((item, i) => {
    const key = `wireguardPeers[${i}]`;
    if (!isObj(item)) return c.fail(key, "must be an object { name, publicKey, allowedIps }");
    const name = c.string(`${key}.name`, item.name);
    if (name && !PEER_NAME.test(name)) c.fail(`${key}.name`, `"${name}" must be letters, digits, dots, dashes or underscores`);
    const publicKey = c.string(`${key}.publicKey`, item.publicKey);
    if (publicKey && !WIREGUARD_KEY.test(publicKey)) {
      c.fail(`${key}.publicKey`, `"${publicKey}" is not a WireGuard public key (44 characters of base64 ending in "=", as printed by \`wg pubkey\`)`);
    }
    const allowedIps: string[] = [];
    const ips = item.allowedIps === undefined ? undefined : c.stringList(`${key}.allowedIps`, item.allowedIps, []);
    if (ips === undefined || ips.length === 0) c.fail(`${key}.allowedIps`, "must list the peer's address(es) inside wireguardSubnet");
    for (const ip of ips ?? []) {
      const cidrText = ip.includes("/") ? ip : `${ip}/32`;
      const [addr, len] = cidrText.split("/");
      const base = parseIpv4(addr);
      const prefix = /^\d{1,2}$/.test(len) ? Number(len) : NaN;
      if (base === undefined || !(prefix >= 8 && prefix <= 32) || base % 2 ** (32 - prefix) !== 0) {
        c.fail(`${key}.allowedIps`, `"${ip}" is not an IPv4 address or network`);
        continue;
      }
      const range = { base, prefix };
      if (subnet && !strictlyInside(range, subnet)) {
        c.fail(`${key}.allowedIps`, `${ip} is outside the VPN subnet ${formatIpv4(subnet.base)}/${subnet.prefix}`);
        continue;
      }
      const serverIp = parseIpv4(server);
      if (serverIp !== undefined && serverIp >= base && serverIp <= lastAddress(range)) {
        c.fail(`${key}.allowedIps`, `${ip} contains the bastion's own VPN address ${server}`);
        continue;
      }
      allowedIps.push(cidrText);
    }
    peers.push({ name, publicKey, allowedIps });
  });
  const seen = new Map<string, string>();
  for (const peer of peers) {
    for (const [what, value] of [["name", peer.name], ["public key", peer.publicKey], ...peer.allowedIps.map((a) => ["address", a])]) {
      const owner = seen.get(`${what}:${value}`);
      if (owner !== undefined) c.fail("wireguardPeers", `peers ${owner} and ${peer.name} share the ${what} ${value}`);
      seen.set(`${what}:${value}`, peer.name);
    }
  }
  return peers;
}

function parseJumpHost(c: Collector, raw: unknown, topology: Topology): string | undefined {
  const bastions = vmsWithRole(topology, "bastion");
  if (raw === undefined) return bastions[0]?.name;
  const name = c.string("sshJumpHost", raw);
  if (name === "none") return undefined;
  const vm = topology.vms.find((v) => v.name === name);
  if (!vm) {
    const hint = bastions.length > 0 ? `; bastion VMs: ${bastions.map((b) => b.name).join(", ")}` : "";
    c.fail("sshJumpHost", `unknown VM "${name}" (use a bastion VM's name or "none")${hint}`);
    return undefined;
  }
  if (vm.role !== "bastion") c.fail("sshJumpHost", `${name} has role ${vm.role}; only a bastion VM is hardened as an SSH entry`);
  return name;
}

/**
 * Role rules that depend on the topology: the load balancer must share a network with every backend
 * it forwards to, and the VPN subnet must not collide with a VM network.
 */
function checkRoleTopology(c: Collector, topology: Topology, subnet: Ipv4Cidr | undefined): void {
  for (const lb of vmsWithRole(topology, "loadbalancer")) {
    for (const backend of topology.vms.filter(isK3sNode)) {
      if (!reachableNic(lb, backend)) {
        c.fail(
          "vms",
          `load balancer ${lb.name} cannot reach backend ${backend.name} (${backend.nics.map((n) => `${n.address} on ${n.network}`).join(", ")}): ` +
            `its networks are ${lb.nics.map((n) => n.network).join(", ")}`,
        );
      }
    }
  }
  if (!subnet) return;
  for (const network of topology.networks) {
    const cidr = parseCidr(network.cidr);
    if (cidr && cidrsOverlap(cidr, subnet)) {
      c.fail("wireguardSubnet", `${formatIpv4(subnet.base)}/${subnet.prefix} overlaps network ${network.name} (${network.cidr})`);
    }
  }
}

export function parseRoleSettings(raw: RawRoleConfig, topology: Topology): RoleSettings {
  const c = new Collector();
  const wgPort = port(c, "wireguardPort", raw.wireguardPort, ROLE_DEFAULTS.wireguardPort);
  const subnetText = c.string("wireguardSubnet", raw.wireguardSubnet, ROLE_DEFAULTS.wireguardSubnet);
  const subnet = parseCidr(subnetText);
  if (!subnet) c.fail("wireguardSubnet", `"${subnetText}" is not an IPv4 network in CIDR form (a.b.c.0/8-30)`);
  const serverAddress = subnet ? firstHost(subnet) : "";
  const peers = parsePeers(c, raw.wireguardPeers, subnet, serverAddress);
  if (peers.length > 0 && vmsWithRole(topology, "bastion").length === 0) {
    c.warnings.push("wireguardPeers: the topology has no bastion VM, so no VPN endpoint will use these peers");
  }

  const database = c.string("postgresDatabase", raw.postgresDatabase, ROLE_DEFAULTS.postgresDatabase);
  const role = c.string("postgresRole", raw.postgresRole, ROLE_DEFAULTS.postgresRole);
  for (const [key, value] of [["postgresDatabase", database], ["postgresRole", role]]) {
    if (value && !SQL_IDENTIFIER.test(value)) c.fail(key, `"${value}" must be a lower-case SQL identifier (a-z, 0-9, _; not starting with a digit)`);
  }
  if (role === "postgres") c.fail("postgresRole", "must not be the superuser postgres");
  const backupRetentionDays = c.positiveInt("postgresBackupRetentionDays", raw.postgresBackupRetentionDays, ROLE_DEFAULTS.postgresBackupRetentionDays);
  if (backupRetentionDays > 3650) c.fail("postgresBackupRetentionDays", `${backupRetentionDays} days is more than ten years`);
  const backupTime = c.string("postgresBackupTime", raw.postgresBackupTime, ROLE_DEFAULTS.postgresBackupTime);
  if (backupTime && !CLOCK_TIME.test(backupTime)) c.fail("postgresBackupTime", `"${backupTime}" is not a time of day HH:MM (24 h)`);

  const sshJumpHost = parseJumpHost(c, raw.sshJumpHost, topology);
  if (c.problems.length === 0) checkRoleTopology(c, topology, subnet);
  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return {
    wireguard: { port: wgPort, subnet: subnetText, prefix: subnet?.prefix ?? 0, serverAddress, peers },
    sshJumpHost,
    postgres: { database, role, backupRetentionDays, backupTime },
    warnings: c.warnings,
  };
}

/** Reads the role keys of the stack config and validates them against the topology. */
export function loadRoleSettings(topology: Topology): RoleSettings {
  const settings = parseRoleSettings(readRawConfig(ROLE_CONFIG_KEYS), topology);
  for (const warning of settings.warnings) void pulumi.log.warn(warning);
  return settings;
}
