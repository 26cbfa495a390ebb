/**
 * The registry opt-in (`registry`): an OCI registry in the cluster (zot, platform/values/zot.ts) whose
 * images live on a Ceph volume, that caches the public registries on demand for the K3s nodes
 * (cluster/registries.ts writes their registries.yaml) and, if asked, scans its images for CVEs.
 * `parseRegistry` is pure and names `registry.<field>` in every problem.
 */
import { OPT_IN_HOSTS } from "../../ports";
import { Collector } from "../validate";

/**
 * The public registries zot can cache on demand, and the upstream each is fetched from (Docker
 * Hub's API host is registry-1.docker.io, not docker.io).
 */
export const PUBLIC_REGISTRIES = {
  "docker.io": "https://registry-1.docker.io",
  "ghcr.io": "https://ghcr.io",
  "quay.io": "https://quay.io",
  "registry.k8s.io": "https://registry.k8s.io",
} as const;
export type PublicRegistry = keyof typeof PUBLIC_REGISTRIES;

/** Trivy's databases as zot's CVE scanner downloads them (OCI artifacts), unless the config names a copy. */
export const TRIVY_DATABASES = { db: "ghcr.io/aquasecurity/trivy-db", javaDb: "ghcr.io/aquasecurity/trivy-java-db" } as const;

export interface RegistrySettings {
  /** The Ceph volume (ceph-block) holding every image, GiB. */
  volumeGiB: number;
  /**
   * Public registries zot caches on demand (its sync extension) and, on a K3s cluster of this
   * program's, the nodes pull through it with the public endpoint as fallback.
   */
  mirrors: PublicRegistry[];
  /** zot's CVE scanning (search extension with Trivy) and where Trivy's databases come from; off when undefined. */
  scanning?: { dbRepository: string; javaDbRepository: string };
}

/** The registry's route host (ports.ts OPT_IN_HOSTS): routed, with a certificate, only while the opt-in is on. */
export function registryHost(domain: string): string {
  return `${OPT_IN_HOSTS.registry.registry}.${domain}`;
}

/** The registry as clients outside the pod name it: the route's host, with the HTTPS port when not 443. */
export function registryEndpoint(domain: string, httpsPort: number): string {
  return httpsPort === 443 ? registryHost(domain) : `${registryHost(domain)}:${httpsPort}`;
}

/**
 * `appsRegistry`'s `host[:port]` when it names the in-cluster registry (its host name, whatever the
 * port, is `registry.<domain>`), else undefined. The apps then pull from zot and the builds push to it.
 */
export function inClusterRegistryOf(appsRegistry: string | undefined, domain: string): string | undefined {
  const host = appsRegistry?.split("/")[0];
  return host && host.replace(/:\d+$/, "") === registryHost(domain) ? host : undefined;
}

/** What `appsRegistry` naming the in-cluster registry is checked against (cluster facts, known before anything is created). */
export interface AppsRegistryContext {
  appsRegistry?: string;
  registry?: RegistrySettings;
  domain: string;
  /** The route's HTTPS port (443 behind the load balancer, Traefik's NodePort otherwise). */
  httpsPort: number;
  /**
   * Why the route has no certificate a node or a build could check (no FreeIPA VM, `tlsIssuer: none`),
   * undefined when the cluster's issuer signs it.
   */
  noCertificate?: string;
}

/**
 * `appsRegistry: registry.<domain>[:port]/<path>`: refused while the registry opt-in is off, on
 * another port than the route's, or when the route has no certificate the nodes' containerd and
 * BuildKit could verify (they would refuse it with an x509 error at the first pull or push).
 */
export function appsRegistryProblems(ctx: AppsRegistryContext): string[] {
  const host = inClusterRegistryOf(ctx.appsRegistry, ctx.domain);
  if (!host) return [];
  const endpoint = registryEndpoint(ctx.domain, ctx.httpsPort);
  const named = `appsRegistry: "${ctx.appsRegistry}" names the in-cluster registry (${registryHost(ctx.domain)})`;
  if (!ctx.registry) return [`${named}, but the registry opt-in is off: turn it on (registry: true) or point appsRegistry at another registry`];
  const problems: string[] = [];
  if (host !== endpoint) problems.push(`${named} on ${host}, but its route answers on ${endpoint}: write appsRegistry: ${endpoint}/${ctx.appsRegistry?.split("/").slice(1).join("/") || "<path>"}`);
  if (ctx.noCertificate) {
    problems.push(`${named}, whose route has no certificate the nodes and the builds could check (${ctx.noCertificate}): give the cluster an issuer (a FreeIPA VM; tlsIssuer selfSigned or acme on an existing cluster) or point appsRegistry at another registry`);
  }
  return problems;
}


/** zot's users (htpasswd): `push` reads and writes every repository, `pull` reads (nodes, Prometheus). */
export const REGISTRY_USER_NAMES = { push: "push", pull: "pull" } as const;

export const REGISTRY_DEFAULTS = { volumeGiB: 20, maxVolumeGiB: 2048 } as const;
const FIELDS = ["volumeGiB", "mirrors", "scanning"] as const;
/** An OCI repository reference without tag: host[:port]/path (what Trivy's --db-repository takes). */
const OCI_REPOSITORY = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `registry` of the stack config, or undefined when the key is absent (the opt-in is off). */
export function parseRegistry(c: Collector, value: unknown): RegistrySettings | undefined {
  if (value === undefined || value === false || value === "false") return undefined;
  // `true`: every default (an empty object reads as unset: Pulumi.yaml's default for the key).
  if (value === true || value === "true") value = {};
  if (!isObject(value)) {
    c.fail("registry", `must be true or an object such as { volumeGiB: 20 } (got ${JSON.stringify(value)}); leave the key out for no registry`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!(FIELDS as readonly string[]).includes(key)) c.fail(`registry.${key}`, `is not a registry setting (${FIELDS.join(", ")})`);
  }
  const volumeGiB = c.positiveInt("registry.volumeGiB", value.volumeGiB, REGISTRY_DEFAULTS.volumeGiB);
  if (volumeGiB > REGISTRY_DEFAULTS.maxVolumeGiB) c.fail("registry.volumeGiB", `${volumeGiB} GiB is more than ${REGISTRY_DEFAULTS.maxVolumeGiB} GiB on the cluster's Ceph pool`);
  const known = Object.keys(PUBLIC_REGISTRIES);
  const mirrors = c.stringList("registry.mirrors", value.mirrors, [...known]);
  mirrors.forEach((m, i) => {
    if (!known.includes(m)) c.fail(`registry.mirrors[${i}]`, `"${m}" is not a public registry zot caches here (${known.join(", ")})`);
    else if (mirrors.indexOf(m) !== i) c.fail(`registry.mirrors[${i}]`, `"${m}" is listed twice`);
  });
  return { volumeGiB, mirrors: mirrors.filter((m): m is PublicRegistry => known.includes(m)), scanning: parseScanning(c, value.scanning) };
}

/** `registry.scanning`: true (Trivy's public databases), false/absent, or the repositories of copies (air gap). */
function parseScanning(c: Collector, value: unknown): RegistrySettings["scanning"] {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { dbRepository: TRIVY_DATABASES.db, javaDbRepository: TRIVY_DATABASES.javaDb };
  if (!isObject(value)) {
    c.fail("registry.scanning", `must be true, false or { dbRepository, javaDbRepository } (got ${JSON.stringify(value)})`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (key !== "dbRepository" && key !== "javaDbRepository") c.fail(`registry.scanning.${key}`, "is not a scanning setting (dbRepository, javaDbRepository)");
  }
  const repo = (key: "dbRepository" | "javaDbRepository", fallback: string): string => {
    const text = c.string(`registry.scanning.${key}`, value[key], fallback);
    if (text && !OCI_REPOSITORY.test(text)) c.fail(`registry.scanning.${key}`, `"${text}" is not an OCI repository (host[:port]/path, no tag, lowercase)`);
    return text;
  };
  return { dbRepository: repo("dbRepository", TRIVY_DATABASES.db), javaDbRepository: repo("javaDbRepository", TRIVY_DATABASES.javaDb) };
}
