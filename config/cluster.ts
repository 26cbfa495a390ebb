/**
 * Stage 2 settings: which K3s release, which server starts the cluster, how the API is reached.
 * `parseClusterSettings` is pure (raw config + validated topology in, plain settings out) and fails
 * with every problem at once, each naming its config key, before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { K3S_VERSION } from "../versions";
import { fqdn, hostOf, isStorageNode, primaryNic, Topology, VmSpec, vmsWithRole } from "./topology";
import { topologyLabels } from "./failure-domains";
import { pulumiRunsOnHost } from "./host-memory";
import { isConfigSet, readRawConfig } from "./load";
import { readK3sToken } from "./k3s-token";
import { isSecretConfig } from "./secret";
import { parseRegistryMirror, REGISTRY_MIRROR_PASSWORD_KEY, RegistryMirrorSettings } from "./registry-mirror";
import { Collector, ConfigError } from "./validate";

/** Stage 2 keys as written in Pulumi.<stack>.yaml (without the project prefix), before validation. */
export interface RawClusterConfig {
  /** K3s release tag; defaults to versions.ts. */
  k3sVersion?: unknown;
  /** The K3s servers in join order; the first one runs `cluster-init`. Defaults to config order. */
  k3sServers?: unknown;
  /** Host name or address the machine running Pulumi uses for the Kubernetes API. */
  k3sApiHost?: unknown;
  /** How many K3s nodes one `pulumi up` may re-create or remove (default 1). */
  k3sNodeChangesPerUp?: unknown;
  /** A registry outside the cluster the nodes pull through (./registry-mirror.ts). */
  registryMirror?: unknown;
}

export interface ClusterSettings {
  /** `flatcarmicrocloud-<stack>`: the kubeconfig's cluster/context name and the provider's clusterIdentifier. */
  clusterName: string;
  k3sVersion: string;
  /** Servers in join (and upgrade) order; the first runs `cluster-init`. */
  servers: string[];
  /** Agents in config order. They join (and upgrade) in parallel once every server is done. */
  agents: string[];
  /** K3s nodes with a raw Ceph disk: labelled for Rook. */
  storageNodes: string[];
  /** Host of the API endpoint: `k3sApiHost`, else the load balancer, else the first server. */
  apiHost: string;
  /** Extra names on the API server certificate: the load balancer's addresses and FQDN, the API host. */
  tlsSans: string[];
  /** How many K3s nodes one `pulumi up` may re-create or remove (docs/day-two.md). */
  k3sNodeChangesPerUp: number;
  /**
   * Per K3s node, the libvirt URI of its host (its provider's): the guest is powered off cleanly
   * through it before its domain is deleted.
   */
  libvirtUris: Record<string, string>;
}

/** What `loadClusterSettings` hands the program: the settings, the secret SSH key and K3s token. */
export interface ClusterConfig {
  settings: ClusterSettings;
  /** The operator's SSH private key (OpenSSH or PEM), kept secret from config to connection. */
  sshPrivateKey: pulumi.Output<string>;
  /** `registryMirror` and its secret password (`registryMirrorPassword`); none when unset. */
  registryMirror?: { settings: RegistryMirrorSettings; password?: pulumi.Output<string> };
  /**
   * `k3sToken` (./k3s-token.ts): the K3s server token to build the cluster with (a rebuilt stack's
   * old token); absent: the token the stack generates.
   */
  k3sToken?: pulumi.Output<string>;
}

/** Every stage 2 key the program reads (the private key is read as a secret, separately). */
export const CLUSTER_CONFIG_KEYS: readonly (keyof RawClusterConfig)[] = ["k3sVersion", "k3sServers", "k3sApiHost", "k3sNodeChangesPerUp", "registryMirror"];

export const K3S_VERSION_FORMAT = /^v\d+\.\d+\.\d+\+k3s\d+$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** A Kubernetes label key: `[prefix/]name`, the prefix a DNS subdomain. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (!LABEL_NAME.test(name)) return false;
  return prefix === undefined || (DNS_NAME.test(prefix) && prefix === prefix.toLowerCase());
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** `key[=value]:Effect`, as K3s `node-taint` and `kubectl taint` take it. */
export function isTaint(taint: string): boolean {
  const colon = taint.lastIndexOf(":");
  if (colon === -1 || !TAINT_EFFECTS.includes(taint.slice(colon + 1))) return false;
  const [key, value = "", ...rest] = taint.slice(0, colon).split("=");
  return rest.length === 0 && isLabelKey(key) && isLabelValue(value);
}

function parseServers(c: Collector, raw: unknown, topology: Topology): string[] {
  const inConfigOrder = vmsWithRole(topology, "k3s-server").map((vm) => vm.name);
  if (raw === undefined) return inConfigOrder;
  const names = c.stringList("k3sServers", raw, []);
  if (names.length === 0) {
    if (Array.isArray(raw)) c.fail("k3sServers", "must name at least one K3s server");
    return inConfigOrder;
  }
  const known = new Map(topology.vms.map((vm) => [vm.name, vm]));
  names.forEach((name, i) => {
    const vm = known.get(name);
    if (!vm) {
      c.fail(`k3sServers[${i}]`, `unknown node "${name}"; the K3s servers in vms are: ${inConfigOrder.join(", ") || "(none)"}`);
    } else if (vm.role !== "k3s-server") {
      c.fail(`k3sServers[${i}]`, `${name} has role ${vm.role}, not k3s-server; change its role in vms or remove it here`);
    }
    if (names.indexOf(name) !== i) c.fail(`k3sServers[${i}]`, `${name} is listed twice`);
  });
  const missing = inConfigOrder.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    c.fail("k3sServers", `must list every k3s-server VM (the first one runs cluster-init); missing ${missing.join(", ")}`);
  }
  return names;
}

function checkLabelsAndTaints(c: Collector, topology: Topology, vm: VmSpec): void {
  const key = `vms[${topology.vms.indexOf(vm)}]`;
  for (const [label, value] of Object.entries(topologyLabels(topology, vm))) {
    if (label in vm.labels) c.fail(`${key}.labels`, `${label} is set by the program (the VM's failure domain: ${value}); remove it here`);
    if (!isLabelValue(value)) c.fail(`${key}.host`, `${label} would be "${value}", not a valid Kubernetes label value (at most 63 letters, digits, "-", "_", "."); shorten the host or pool name`);
  }
  for (const [label, value] of Object.entries(vm.labels)) {
    if (!isLabelKey(label)) c.fail(`${key}.labels`, `"${label}" is not a valid Kubernetes label key`);
    if (!isLabelValue(value)) c.fail(`${key}.labels`, `value "${value}" of ${label} is not a valid Kubernetes label value`);
  }
  vm.taints.forEach((taint, i) => {
    if (!isTaint(taint)) {
      c.fail(`${key}.taints[${i}]`, `"${taint}" is not a taint of the form key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
    }
  });
}

export function parseClusterSettings(raw: RawClusterConfig, topology: Topology): ClusterSettings {
  const c = new Collector();
  const k3sVersion = c.string("k3sVersion", raw.k3sVersion, K3S_VERSION);
  if (k3sVersion && !K3S_VERSION_FORMAT.test(k3sVersion)) {
    c.fail("k3sVersion", `"${k3sVersion}" is not a K3s release tag of the form vX.Y.Z+k3sN (e.g. ${K3S_VERSION})`);
  }
  const servers = parseServers(c, raw.k3sServers, topology);
  const k3sNodeChangesPerUp = c.positiveInt("k3sNodeChangesPerUp", raw.k3sNodeChangesPerUp, 1);
  const k3sVms = topology.vms.filter((vm) => vm.role === "k3s-server" || vm.role === "k3s-agent");
  for (const vm of k3sVms) checkLabelsAndTaints(c, topology, vm);

  const lb = vmsWithRole(topology, "loadbalancer")[0];
  const first = topology.vms.find((vm) => vm.name === servers[0]);
  let apiHost = raw.k3sApiHost === undefined ? undefined : c.string("k3sApiHost", raw.k3sApiHost);
  if (apiHost !== undefined && apiHost !== "" && !IPV4.test(apiHost) && !DNS_NAME.test(apiHost)) {
    c.fail("k3sApiHost", `"${apiHost}" is neither an IPv4 address nor a DNS name`);
  }
  // HAProxy serves the API only on the load balancer's VM (NAT) networks, where the KVM host (which
  // runs Pulumi) reaches it directly; its LAN entry carries HTTP(S) and MQTT only.
  const onVmNetwork = (address: string) => {
    const nic = lb?.nics.find((n) => n.address === address);
    return nic === undefined || topology.networks.find((n) => n.name === nic.network)?.mode === "nat";
  };
  if (apiHost && lb && !onVmNetwork(apiHost)) {
    c.fail("k3sApiHost", `${apiHost} is ${lb.name}'s LAN address; the API is served on its VM-network addresses only`);
  }
  const lbApiAddress = lb?.nics.find((n) => onVmNetwork(n.address))?.address;
  const defaultApiHost = lbApiAddress ?? (first ? primaryNic(first).address : "");
  // A remote libvirtUri means Pulumi runs on another machine (e.g. a CI runner), which does not sit
  // on the host's NAT networks: stages 1 and 2 work (libvirt over SSH, nodes through the bastion),
  // stage 3 would time out on the API. The operator must say how that machine reaches it.
  // The host whose NAT networks serve the API: the load balancer's (or the first server's).
  const apiVm = lb ?? first;
  const apiVmUri = (apiVm ? hostOf(topology, apiVm) : topology.hosts[0]).libvirtUri;
  if (!apiHost && !pulumiRunsOnHost(apiVmUri)) {
    c.fail(
      "k3sApiHost",
      `is required with the remote libvirtUri ${apiVmUri}: Pulumi then runs on another machine, which cannot reach ` +
        `the Kubernetes API at ${defaultApiHost} (a NAT network of the KVM host), so stage 3 would time out. Set it to the address ` +
        `that machine reaches the API at: 127.0.0.1 with \`ssh -N -L 6443:${defaultApiHost}:6443 <kvm host>\` open during the run, ` +
        `or ${defaultApiHost} when that machine is a WireGuard peer of the bastion (docs/cluster.md); or run Pulumi on the KVM host`,
    );
  }
  apiHost ||= defaultApiHost;

  if (c.problems.length > 0) throw new ConfigError(c.problems);

  const tlsSans = [...(lb ? [...lb.nics.map((n) => n.address), fqdn(lb, topology.domain)] : []), apiHost];
  return {
    clusterName: `flatcarmicrocloud-${topology.stack}`,
    k3sVersion,
    servers,
    agents: k3sVms.filter((vm) => vm.role === "k3s-agent").map((vm) => vm.name),
    storageNodes: k3sVms.filter(isStorageNode).map((vm) => vm.name),
    apiHost,
    tlsSans: [...new Set(tlsSans)],
    k3sNodeChangesPerUp,
    libvirtUris: Object.fromEntries(k3sVms.map((vm) => [vm.name, hostOf(topology, vm).libvirtUri])),
  };
}

const PRIVATE_KEY = /-----BEGIN ([A-Z]+ )*PRIVATE KEY-----/;

/** Reads and validates the stage 2 keys; throws one ConfigError naming every bad or missing key. */
export function loadClusterSettings(topology: Topology): ClusterConfig {
  const config = new pulumi.Config();
  const raw: RawClusterConfig = readRawConfig(CLUSTER_CONFIG_KEYS);
  const problems: string[] = [];
  let settings: ClusterSettings | undefined;
  try {
    settings = parseClusterSettings(raw, topology);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  // getSecret keeps the key a secret Output from here to the SSH connection (and out of any log).
  // (Read as a secret first: the offline plan supplies its placeholder on that read.)
  const secret = config.getSecret("sshPrivateKey");
  const key = isConfigSet("sshPrivateKey") ? secret : undefined;
  if (key !== undefined && !isSecretConfig("sshPrivateKey")) {
    problems.push(
      "sshPrivateKey: is stored in plain text in the stack config; set it as a secret: " +
        "`pulumi config rm sshPrivateKey && pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`",
    );
  }
  if (key === undefined) {
    problems.push(
      "sshPrivateKey: is required to install K3s over SSH; set it with " +
        "`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519` (the key matching sshPublicKey)",
    );
  }
  // The mirror's password: a secret key, refused in plain text like the SSH key.
  const passwordSet = isConfigSet(REGISTRY_MIRROR_PASSWORD_KEY);
  if (passwordSet && !isSecretConfig(REGISTRY_MIRROR_PASSWORD_KEY)) {
    problems.push(`${REGISTRY_MIRROR_PASSWORD_KEY}: is stored in plain text in the stack config; set it with \`pulumi config set --secret ${REGISTRY_MIRROR_PASSWORD_KEY} <password>\``);
  }
  const mirrorCollector = new Collector();
  const mirrorSettings = parseRegistryMirror(mirrorCollector, raw.registryMirror, passwordSet);
  problems.push(...mirrorCollector.problems);
  const registryMirror = mirrorSettings && { settings: mirrorSettings, password: passwordSet ? config.getSecret(REGISTRY_MIRROR_PASSWORD_KEY) : undefined };
  const tokenCheck = new Collector();
  const k3sToken = readK3sToken(tokenCheck);
  problems.push(...tokenCheck.problems);
  if (problems.length > 0 || !settings || !key) throw new ConfigError(problems);
  const sshPrivateKey = key.apply((k) => {
    if (!PRIVATE_KEY.test(k)) {
      throw new ConfigError(["sshPrivateKey: is not an SSH private key (expected an OpenSSH or PEM block, not the .pub file)"]);
    }
    // OpenSSH rejects a key without its final newline; config values often lose it.
    return k.endsWith("\n") ? k : `${k}\n`;
  });
  return { settings, sshPrivateKey, registryMirror, k3sToken };
}
