/**
 * An existing Kubernetes cluster as the target of stages 3-4 (the `kubeconfig` key): the cluster the
 * user already has (for example one k3s-ansible made) replaces stages 1-2. What the program needs
 * about its nodes comes from the `existingNodes` list, because the capacity check and the platform's
 * plan (Ceph OSDs per node, NetworkPolicy peers, replica counts) must be known before anything is
 * created, and a run-time lookup (`k8s.core.v1.Node.get`) only answers once the program is already
 * registering resources. `parseExistingCluster` is pure and names every bad key at once.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import type { AcmeServer } from "../cluster-facts";
import { CLUSTER_CONFIG_KEYS } from "./cluster";
import { CONFIG_KEYS, isConfigSet, readRawConfig } from "./load";
import { pemCertificates } from "./platform";
import { parseCidr, parseIpv4 } from "./net";
import { ROLE_CONFIG_KEYS } from "./roles";
import { isSecretConfig } from "./secret";
import { Collector, ConfigError, isObj } from "./validate";

/** The existing-cluster keys as written in Pulumi.<stack>.yaml, before validation (`kubeconfig` is read as a secret, apart). */
export interface RawExistingClusterConfig {
  existingNodes?: unknown;
  existingPodCidr?: unknown;
  ingressServiceType?: unknown;
  ingressAddress?: unknown;
  tlsIssuer?: unknown;
  tlsAcmeServer?: unknown;
  tlsAcmeEmail?: unknown;
  tlsAcmeEabKeyId?: unknown;
  tlsAcmeCaBundle?: unknown;
}

/** The issuer keys (docs/existing-cluster.md, "Certificates"); `tlsAcmeEabHmacKey` is a secret, read apart. */
export const TLS_ISSUER_CONFIG_KEYS = ["tlsIssuer", "tlsAcmeServer", "tlsAcmeEmail", "tlsAcmeEabKeyId", "tlsAcmeCaBundle"] as const;
export const EXISTING_CLUSTER_CONFIG_KEYS: readonly (keyof RawExistingClusterConfig)[] = ["existingNodes", "existingPodCidr", "ingressServiceType", "ingressAddress", ...TLS_ISSUER_CONFIG_KEYS];
/** The EAB HMAC key of the user's ACME server: a secret, like `kubeconfig`. */
export const TLS_ACME_EAB_SECRET_KEY = "tlsAcmeEabHmacKey";

export const TLS_ISSUERS = ["none", "selfSigned", "acme"] as const;
export type TlsIssuerKind = (typeof TLS_ISSUERS)[number];

export const NODE_OS = ["flatcar", "other"] as const;
export type NodeOs = (typeof NODE_OS)[number];

export const INGRESS_SERVICE_TYPES = ["NodePort", "LoadBalancer"] as const;
export type IngressServiceType = (typeof INGRESS_SERVICE_TYPES)[number];

export interface ExistingNode {
  name: string;
  /** `server`: runs the API server (control plane); `agent`: a worker. */
  role: "server" | "agent";
  /** The node's InternalIP (`kubectl get nodes -o wide`). */
  address: string;
  /** What the kubelet reports (`kubectl get node <name> -o jsonpath='{.status.allocatable}'`). */
  allocatable: { cpuMilli: number; memoryMiB: number };
  /** The node's NoSchedule/NoExecute taints, `key[=value]:Effect`. */
  taints: string[];
  /** A raw, empty disk Rook may take whole for a Ceph OSD (`sdb`, `/dev/vdb`); storage nodes only. */
  cephDevice?: string;
  os: NodeOs;
}

/** The issuer an existing cluster's certificates come from (`tlsIssuer`); none: Traefik's default certificate. */
export type ExistingClusterTls = { issuer: "selfSigned" } | { issuer: "acme"; acme: AcmeServer };

export interface ExistingClusterSettings {
  nodes: ExistingNode[];
  tls?: ExistingClusterTls;
  /** The cluster's pod range (K3s's default 10.42.0.0/16 unless the cluster was made with another). */
  podCidr: string;
  ingress: { serviceType: IngressServiceType; address: string };
}

/** K3s's default pod range, which k3s-ansible keeps unless told otherwise. */
export const DEFAULT_POD_CIDR = "10.42.0.0/16";

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DEVICE = /^(\/dev\/)?[a-z][a-z0-9]*(\/[a-z0-9._-]+)*$/;
const TAINT = /^[A-Za-z0-9./_-]+(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/;

/** A Kubernetes CPU quantity (`4`, `3.5`, `3500m`) in millicores, or undefined. */
export function cpuQuantityMilli(value: unknown): number | undefined {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(text.trim());
  if (!m) return undefined;
  return Math.floor(m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000);
}

const MEMORY_UNITS: Record<string, number> = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A Kubernetes memory quantity (`7901212Ki`, `6Gi`, `5248Mi`, bytes) in whole MiB (rounded down), or undefined. */
export function memoryQuantityMiB(value: unknown): number | undefined {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(text.trim());
  if (!m) return undefined;
  return Math.floor((Number(m[1]) * MEMORY_UNITS[m[2] ?? ""]) / 2 ** 20);
}

function parseNode(c: Collector, key: string, item: unknown): ExistingNode | undefined {
  if (!isObj(item)) {
    c.fail(key, "must be an object { name, role: server|agent, address, allocatable: { cpu, memory }, taints?, cephDevice?, os? }");
    return undefined;
  }
  const name = c.string(`${key}.name`, item.name);
  if (name && !NODE_NAME.test(name)) c.fail(`${key}.name`, `"${name}" is not a Kubernetes node name (lowercase RFC 1123 subdomain)`);
  const role = c.oneOf(`${key}.role`, item.role, ["server", "agent"] as const);
  const address = c.string(`${key}.address`, item.address);
  if (address && parseIpv4(address) === undefined) c.fail(`${key}.address`, `"${address}" is not an IPv4 address (the node's InternalIP)`);
  let cpuMilli = 0;
  let memoryMiB = 0;
  if (!isObj(item.allocatable)) {
    c.fail(
      `${key}.allocatable`,
      item.allocatable === undefined
        ? `is required: { cpu, memory } as the node reports them (kubectl get node ${name || "<name>"} -o jsonpath='{.status.allocatable}'); the capacity check runs before anything is created`
        : "must be an object { cpu, memory }",
    );
  } else {
    cpuMilli = cpuQuantityMilli(item.allocatable.cpu) ?? 0;
    memoryMiB = memoryQuantityMiB(item.allocatable.memory) ?? 0;
    if (cpuMilli <= 0) c.fail(`${key}.allocatable.cpu`, `${JSON.stringify(item.allocatable.cpu)} is not a CPU quantity such as 4, 3.5 or 3500m`);
    if (memoryMiB <= 0) c.fail(`${key}.allocatable.memory`, `${JSON.stringify(item.allocatable.memory)} is not a memory quantity such as 7901212Ki, 5248Mi or 6Gi`);
  }
  const taints = c.stringList(`${key}.taints`, item.taints, []);
  taints.forEach((t, i) => {
    if (!TAINT.test(t)) c.fail(`${key}.taints[${i}]`, `"${t}" is not a taint of the form key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
  });
  let cephDevice: string | undefined;
  if (item.cephDevice !== undefined) {
    cephDevice = c.string(`${key}.cephDevice`, item.cephDevice);
    if (cephDevice && !DEVICE.test(cephDevice)) c.fail(`${key}.cephDevice`, `"${cephDevice}" is not a device name such as sdb or /dev/vdb`);
  }
  const os = c.oneOf(`${key}.os`, item.os ?? "other", NODE_OS);
  if (!role || !os) return undefined;
  return { name, role, address, allocatable: { cpuMilli, memoryMiB }, taints, cephDevice, os };
}

export function parseExistingCluster(raw: RawExistingClusterConfig, hmacKeySet = false): ExistingClusterSettings {
  const c = new Collector();
  const nodes: ExistingNode[] = [];
  if (raw.existingNodes === undefined) {
    c.fail(
      "existingNodes",
      "is required with kubeconfig: list the cluster's nodes as { name, role: server|agent, address, allocatable: { cpu, memory }, " +
        "taints?, cephDevice?, os? } (the capacity check and the platform's plan need them before anything is created)",
    );
  } else {
    c.list("existingNodes", raw.existingNodes).forEach((item, i) => {
      const node = parseNode(c, `existingNodes[${i}]`, item);
      if (node) nodes.push(node);
    });
  }
  const seen = new Map<string, string>();
  for (const n of nodes) {
    for (const [what, value] of [["name", n.name], ["address", n.address]]) {
      const owner = seen.get(`${what}:${value}`);
      if (owner !== undefined) c.fail("existingNodes", `duplicate ${what} ${value} (${owner} and ${n.name})`);
      else seen.set(`${what}:${value}`, n.name);
    }
  }
  if (nodes.length > 0 && !nodes.some((n) => n.role === "server")) {
    c.fail("existingNodes", "no node has role server: the platform's policies admit the API server on the servers' addresses (:6443)");
  }
  if (nodes.length > 0 && !nodes.some((n) => n.cephDevice !== undefined)) {
    c.fail("existingNodes", "no node has a cephDevice: the platform's storage (Rook-Ceph, the default StorageClass) needs at least one raw disk");
  }
  const oses = new Set(nodes.map((n) => n.os));
  if (oses.size > 1) {
    c.fail("existingNodes", "mixes os flatcar and other: kured (one DaemonSet on every node) asks Flatcar's update-engine, so either every node is Flatcar or none is");
  }

  const podCidr = c.string("existingPodCidr", raw.existingPodCidr, DEFAULT_POD_CIDR);
  if (podCidr && !parseCidr(podCidr)) c.fail("existingPodCidr", `"${podCidr}" is not an IPv4 network in CIDR form`);

  const serviceType = c.oneOf("ingressServiceType", raw.ingressServiceType ?? "NodePort", INGRESS_SERVICE_TYPES) ?? "NodePort";
  let address = raw.ingressAddress === undefined ? "" : c.string("ingressAddress", raw.ingressAddress);
  if (address && parseIpv4(address) === undefined) c.fail("ingressAddress", `"${address}" is not an IPv4 address`);
  if (!address && serviceType === "LoadBalancer") {
    c.fail("ingressAddress", "is required with ingressServiceType LoadBalancer: the address the cluster's load balancer gives Traefik and Mosquitto (your DNS points the platform's names at it)");
  }
  // NodePort: clients reach any node; the first schedulable worker is the one named in the outputs.
  const entry = nodes.find((n) => n.role === "agent" && !n.taints.some((t) => /:(NoSchedule|NoExecute)$/.test(t))) ?? nodes[0];
  address ||= entry?.address ?? "";

  const tls = parseTlsIssuer(c, raw, hmacKeySet);

  if (c.problems.length > 0) throw new ConfigError(c.problems);
  return { nodes, podCidr, ingress: { serviceType, address }, tls };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * `tlsIssuer` and its keys: `none` (default), `selfSigned` (a CA the program makes; no other key),
 * `acme` (the user's ACME server: `tlsAcmeServer` an https directory URL, `tlsAcmeEmail`, optionally
 * `tlsAcmeEabKeyId` with the secret `tlsAcmeEabHmacKey`, and `tlsAcmeCaBundle` PEM). Each problem
 * names its key; the ACME keys are refused without `tlsIssuer: acme`.
 */
export function parseTlsIssuer(c: Collector, raw: RawExistingClusterConfig, hmacKeySet: boolean): ExistingClusterTls | undefined {
  const kind = c.oneOf("tlsIssuer", raw.tlsIssuer ?? "none", TLS_ISSUERS);
  const acmeKeys = (["tlsAcmeServer", "tlsAcmeEmail", "tlsAcmeEabKeyId", "tlsAcmeCaBundle"] as const).filter((k) => raw[k] !== undefined && raw[k] !== "");
  if (kind !== "acme") {
    for (const k of [...acmeKeys, ...(hmacKeySet ? [TLS_ACME_EAB_SECRET_KEY] : [])]) c.fail(k, `configures the user's ACME server and needs tlsIssuer: acme (tlsIssuer is ${kind ?? JSON.stringify(raw.tlsIssuer)})`);
    return kind === "selfSigned" ? { issuer: "selfSigned" } : undefined;
  }
  const server = raw.tlsAcmeServer === "" ? "" : c.string("tlsAcmeServer", raw.tlsAcmeServer, "");
  let url: URL | undefined;
  try {
    url = server ? new URL(server) : undefined;
  } catch {
    url = undefined;
  }
  if (!server) c.fail("tlsAcmeServer", "is required with tlsIssuer acme: the ACME directory URL, e.g. https://acme.example.net/directory");
  else if (!url || url.protocol !== "https:" || url.username || url.password || url.hash) {
    c.fail("tlsAcmeServer", `"${server}" is not an https ACME directory URL without credentials or fragment (RFC 8555 requires HTTPS)`);
  }
  const email = raw.tlsAcmeEmail === "" ? "" : c.string("tlsAcmeEmail", raw.tlsAcmeEmail, "");
  if (!email) c.fail("tlsAcmeEmail", "is required with tlsIssuer acme: the ACME account's contact (expiry notices)");
  else if (!EMAIL.test(email)) c.fail("tlsAcmeEmail", `"${email}" is not an e-mail address`);
  const eabKeyId = raw.tlsAcmeEabKeyId === undefined || raw.tlsAcmeEabKeyId === "" ? undefined : c.string("tlsAcmeEabKeyId", raw.tlsAcmeEabKeyId);
  if (eabKeyId && !hmacKeySet) c.fail(TLS_ACME_EAB_SECRET_KEY, "is required with tlsAcmeEabKeyId: the External Account Binding's HMAC key, as a secret (pulumi config set --secret tlsAcmeEabHmacKey)");
  if (!eabKeyId && hmacKeySet) c.fail("tlsAcmeEabKeyId", "is required with tlsAcmeEabHmacKey: the External Account Binding's key id");
  let caBundle: string | undefined;
  if (raw.tlsAcmeCaBundle !== undefined && raw.tlsAcmeCaBundle !== "") {
    caBundle = c.string("tlsAcmeCaBundle", raw.tlsAcmeCaBundle);
    const { blocks, valid } = pemCertificates(caBundle);
    if (valid.length === 0 || valid.length < blocks.length) c.fail("tlsAcmeCaBundle", "holds no PEM certificate it can parse (expected the CA bundle the ACME server's HTTPS certificate chains to, its text, not a path)");
  }
  return { issuer: "acme", acme: { server, email, ...(eabKeyId ? { eabKeyId } : {}), ...(caBundle ? { caBundle } : {}) } };
}

/**
 * Keys of stages 1-2 (the VMs, their roles, K3s over SSH): none of them means anything on an existing
 * cluster. `domain` stays (the platform's host names); `deployUpTo` may only keep its default. The
 * secret `sshPrivateKey` is checked apart (read as a secret, never in the clear).
 */
export const VM_ONLY_KEYS: readonly string[] = [...CONFIG_KEYS.filter((k) => k !== "domain"), ...CLUSTER_CONFIG_KEYS, ...ROLE_CONFIG_KEYS];

/** The `default:` of each key declared in Pulumi.yaml: the CLI hands the program those values when a stack does not set the key. */
export function projectDefaults(projectFile = join(__dirname, "..", "Pulumi.yaml")): Record<string, unknown> {
  const doc = parse(readFileSync(projectFile, "utf8")) as { config?: Record<string, { default?: unknown }> };
  return Object.fromEntries(Object.entries(doc.config ?? {}).flatMap(([k, v]) => (v && typeof v === "object" && "default" in v ? [[k, v.default]] : [])));
}

/**
 * The stage 1-2 keys a stack with `kubeconfig` sets anyway (a value other than Pulumi.yaml's default),
 * each as a problem naming the key.
 */
/** A value as the CLI passes it (text; numbers and booleans as their text) equal to Pulumi.yaml's default. */
function isDefault(value: unknown, fallback: unknown): boolean {
  const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return fallback !== undefined && text(value) === text(fallback);
}

export function vmKeysRefused(raw: Record<string, unknown>, defaults: Record<string, unknown>): string[] {
  return VM_ONLY_KEYS.filter((k) => raw[k] !== undefined && !isDefault(raw[k], defaults[k])).map(
    (k) =>
      `${k}: is a key of stages 1-2 (the VMs and K3s over SSH), which a stack with kubeconfig does not build: the existing cluster replaces them. ` +
      "Remove it from this stack (or remove kubeconfig to build the VMs)",
  );
}

/** The existing-cluster keys a stack without `kubeconfig` sets, each as a problem naming the key. */
export function existingKeysRefused(raw: RawExistingClusterConfig, defaults: Record<string, unknown>): string[] {
  return EXISTING_CLUSTER_CONFIG_KEYS.filter((k) => raw[k] !== undefined && !isDefault(raw[k], defaults[k])).map((k) =>
    k === "ingressServiceType"
      ? `${k}: the VM topology's load balancer forwards to NodePorts; LoadBalancer is for a stack with kubeconfig (an existing cluster)`
      : `${k}: describes an existing cluster and needs kubeconfig; the VM topology (vms) describes its own nodes`,
  );
}

/** What `loadExistingCluster` hands the program: the nodes and the secret kubeconfig. */
export interface ExistingClusterConfig {
  settings: ExistingClusterSettings;
  /** The kubeconfig's text, a secret from config to the provider. */
  kubeconfig: pulumi.Output<string>;
  /** The EAB HMAC key of the user's ACME server (`tlsAcmeEabHmacKey`), a secret. */
  acmeEabHmacKey?: pulumi.Output<string>;
}

/** A kubeconfig's text (YAML or JSON) with a cluster, a user and a context; the problem otherwise (never quoting the text). */
export function kubeconfigProblem(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return "is not YAML (expected the kubeconfig's contents, e.g. `pulumi config set --secret kubeconfig < ~/.kube/config`, not its path)";
  }
  if (!isObj(doc)) return "is not a kubeconfig (expected the file's contents, not its path)";
  for (const list of ["clusters", "users", "contexts"]) {
    if (!Array.isArray(doc[list]) || doc[list].length === 0) return `has no ${list}: not a kubeconfig`;
  }
  return undefined;
}

/** Reads and validates the existing-cluster keys; throws one ConfigError naming every bad or missing key. */
export function loadExistingCluster(): ExistingClusterConfig {
  const problems: string[] = [];
  let settings: ExistingClusterSettings | undefined;
  try {
    settings = parseExistingCluster(readRawConfig(EXISTING_CLUSTER_CONFIG_KEYS), isConfigSet(TLS_ACME_EAB_SECRET_KEY));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  if (isConfigSet("kubeconfig") && !isSecretConfig("kubeconfig")) {
    problems.push(
      "kubeconfig: is stored in plain text in the stack config; it holds the cluster's admin credentials. " +
        "Set it as a secret: `pulumi config rm kubeconfig && pulumi config set --secret kubeconfig < ~/.kube/config`",
    );
  }
  if (isConfigSet(TLS_ACME_EAB_SECRET_KEY) && !isSecretConfig(TLS_ACME_EAB_SECRET_KEY)) {
    problems.push(`${TLS_ACME_EAB_SECRET_KEY}: is stored in plain text in the stack config. Set it as a secret: \`pulumi config rm ${TLS_ACME_EAB_SECRET_KEY} && pulumi config set --secret ${TLS_ACME_EAB_SECRET_KEY} <key>\``);
  }
  const secret = new pulumi.Config().getSecret("kubeconfig");
  if (problems.length > 0 || !settings || !secret) throw new ConfigError(problems);
  const acmeEabHmacKey = settings.tls?.issuer === "acme" && settings.tls.acme.eabKeyId ? new pulumi.Config().requireSecret(TLS_ACME_EAB_SECRET_KEY) : undefined;
  const kubeconfig = secret.apply((text) => {
    const problem = kubeconfigProblem(text);
    if (problem) throw new ConfigError([`kubeconfig: ${problem}`]);
    return text;
  });
  return { settings, kubeconfig, acmeEabHmacKey };
}
