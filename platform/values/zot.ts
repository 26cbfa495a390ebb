/**
 * The registry opt-in (`registry`): zot (project-zot chart), an OCI-only registry in one Go process.
 * - images on a Ceph volume (`ceph-block`, `registry.volumeGiB`): a claim of the program's (REGISTRY_CLAIM,
 *   `registryClaimSpec`) that the chart's StatefulSet mounts (`pvc.create: false`), because a
 *   StatefulSet's volumeClaimTemplates are immutable: a larger `volumeGiB` then grows the claim in
 *   place (ceph-block allows expansion), where the chart's template would make Helm's upgrade fail;
 * - users from an htpasswd Secret of the program's (bcrypt hashes of generated passwords, never the
 *   passwords): `push` may read, create and update every repository (builds, `docker push`), `pull`
 *   may read (the K3s nodes through registries.yaml, Prometheus for /metrics); nobody is anonymous;
 * - the public registries of `registry.mirrors` cached on demand (sync extension): a node asking for
 *   `docker.io/library/nginx` through its registries.yaml rewrite gets it from zot, which fetches it
 *   from Docker Hub once; digests are preserved (`compat: docker2s2`, `preserveDigest`), so a pull by
 *   digest gets the same manifest the upstream serves;
 * - CVE scanning (`registry.scanning`): the search extension with Trivy, which downloads its databases
 *   (OCI artifacts) from `dbRepository`/`javaDbRepository` every `updateInterval`;
 * - its route: the chart's Ingress on Traefik's HTTPS entry point with the host's Certificate, like
 *   Grafana's (../certificates.ts).
 * Builds (Tekton) push to PUSH endpoint with the credentials in REGISTRY_PUSH_SECRET (see registryPush).
 */
import { PublicRegistry, PUBLIC_REGISTRIES, registryEndpoint, registryHost, RegistrySettings, REGISTRY_USER_NAMES } from "../../config/opt-ins/registry";
import { CHARTS } from "../../versions";
import { Workload } from "../capacity";
import { tlsSecretName } from "../certificates";
import { NAMESPACES } from "../namespaces";
import type { PlatformPlan } from "../plan";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { STORAGE_CLASS, TRAEFIK_HTTPS_INGRESS_ANNOTATIONS } from "./rook";
import { INGRESS_CLASS } from "./traefik";

export const ZOT_RELEASE = "zot";
export const REGISTRY_NAMESPACE = NAMESPACES.registry.name;
/** zot's port in the pod and on its Service (the chart's `zot` port). */
export const ZOT_PORT = 5000;
/** The htpasswd file zot reads (a Secret of the program's, mounted at /secret). */
export const REGISTRY_HTPASSWD_SECRET = "zot-htpasswd";
export const REGISTRY_HTPASSWD_KEY = "htpasswd";
const HTPASSWD_DIR = "/secret";
export const REGISTRY_USERS = REGISTRY_USER_NAMES;
/**
 * The push credentials as a `kubernetes.io/dockerconfigjson` Secret in the registry's namespace (key
 * `.dockerconfigjson`, for the route's host): what a build copies into its own namespace or reads
 * through `platform.registry` (Tekton's and buildah's `--authfile` format).
 */
export const REGISTRY_PUSH_SECRET = "registry-push";
/** Prometheus's basic auth for /metrics (the `pull` user), in the registry's namespace. */
export const REGISTRY_METRICS_SECRET = "registry-metrics-auth";
/** Where the images live in the pod (the chart mounts the claim here). */
const ROOT_DIRECTORY = "/var/lib/registry";
/** The images' claim (the program's, in the registry's namespace), which the chart mounts by name. */
export const REGISTRY_CLAIM = "zot-images";

/** The images' claim: ceph-block, one writer (one zot pod), `volumeGiB`. */
export function registryClaimSpec(settings: RegistrySettings): { storageClassName: string; accessModes: string[]; resources: { requests: { storage: string } } } {
  return { storageClassName: STORAGE_CLASS, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${settings.volumeGiB}Gi` } } };
}

export { registryEndpoint, registryHost };


/** A `.dockerconfigjson` document for one registry and user (what docker login writes). */
export function dockerConfigJson(registry: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [registry]: { username, password, auth } } });
}

/** An htpasswd file of bcrypt hashes (zot checks `$2a$`/`$2y$` hashes; the passwords never reach it). */
export function htpasswdFile(users: { name: string; bcryptHash: string }[]): string {
  return users.map((u) => `${u.name}:${u.bcryptHash}`).join("\n") + "\n";
}

/** The local repository prefix under which a public registry's images are cached (`docker.io/library/nginx`). */
export function mirrorPrefix(registry: PublicRegistry): string {
  return registry;
}

/** zot's config.json (pkg/api/config): storage, auth and access control, extensions. */
export function zotConfig(settings: RegistrySettings): Record<string, unknown> {
  const extensions: Record<string, unknown> = {
    metrics: { enable: true, prometheus: { path: "/metrics" } },
    // Verifies stored blobs against their digests once a day (bit rot, a volume restored from backup).
    scrub: { enable: true, interval: "24h" },
    // The UI needs the search extension; CVE scanning is one of its parts.
    search: {
      enable: true,
      ...(settings.scanning
        ? { cve: { updateInterval: "24h", trivy: { dbRepository: settings.scanning.dbRepository, javaDBRepository: settings.scanning.javaDbRepository } } }
        : {}),
    },
    ui: { enable: true },
  };
  if (settings.mirrors.length > 0) {
    extensions.sync = {
      enable: true,
      registries: settings.mirrors.map((m) => ({
        urls: [PUBLIC_REGISTRIES[m]],
        onDemand: true,
        tlsVerify: true,
        preserveDigest: true,
        maxRetries: 3,
        retryDelay: "5m",
        // Each upstream under its own prefix, so two registries' `library/x` never meet.
        content: [{ prefix: "**", destination: `/${mirrorPrefix(m)}` }],
      })),
    };
  }
  return {
    distSpecVersion: "1.1.1",
    storage: { rootDirectory: ROOT_DIRECTORY, dedupe: true, gc: true, gcDelay: "1h", gcInterval: "24h" },
    http: {
      address: "0.0.0.0",
      port: String(ZOT_PORT),
      realm: "zot",
      // Docker schema 2 images stored as they are (not converted to OCI): digests stay the upstream's.
      compat: ["docker2s2"],
      auth: { htpasswd: { path: `${HTPASSWD_DIR}/${REGISTRY_HTPASSWD_KEY}` }, failDelay: 5 },
      accessControl: {
        repositories: {
          "**": {
            policies: [
              { users: [REGISTRY_USERS.push], actions: ["read", "create", "update"] },
              { users: [REGISTRY_USERS.pull], actions: ["read"] },
            ],
            defaultPolicy: [],
          },
        },
        metrics: { users: [REGISTRY_USERS.pull] },
      },
    },
    log: { level: "info" },
    extensions,
  };
}

export interface ZotValues {
  image: { repository: string; tag: string; pullPolicy: "IfNotPresent" };
  replicaCount: 1;
  service: { type: "ClusterIP"; port: number };
  ingress: {
    enabled: true;
    className: string;
    annotations: Record<string, string>;
    pathtype: "Prefix";
    hosts: { host: string; paths: { path: string }[] }[];
    tls: { secretName: string; hosts: string[] }[];
  };
  httpGet: { scheme: "HTTP"; port: number };
  mountConfig: true;
  configFiles: { "config.json": string };
  mountSecret: false;
  externalSecrets: { secretName: string; mountPath: string }[];
  persistence: true;
  pvc: { create: false; name: string };
  strategy: { type: "RollingUpdate" };
  podSecurityContext: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  extraVolumes: { name: string; emptyDir: { sizeLimit: string } }[];
  extraVolumeMounts: { name: string; mountPath: string }[];
  resources: Resources;
  metrics: { enabled: false };
}

export function zotValues(plan: PlatformPlan, settings: RegistrySettings): ZotValues {
  const host = registryHost(plan.domain);
  return {
    image: { repository: CHARTS.zot.image.repository, tag: CHARTS.zot.image.tag, pullPolicy: "IfNotPresent" },
    replicaCount: 1,
    // Reached through Traefik (the route) and in the cluster; never a NodePort (the chart's default).
    service: { type: "ClusterIP", port: ZOT_PORT },
    ingress: {
      enabled: true,
      className: INGRESS_CLASS,
      annotations: { ...TRAEFIK_HTTPS_INGRESS_ANNOTATIONS },
      pathtype: "Prefix",
      hosts: [{ host, paths: [{ path: "/" }] }],
      // Always named: without an issuer Traefik serves its default certificate for the missing Secret.
      tls: [{ secretName: tlsSecretName(host), hosts: [host] }],
    },
    // The probes (/livez, /readyz, /startupz) answer without credentials.
    httpGet: { scheme: "HTTP", port: ZOT_PORT },
    mountConfig: true,
    configFiles: { "config.json": JSON.stringify(zotConfig(settings), null, 2) },
    // The chart's own Secret would carry the htpasswd file in the values; the program's is mounted instead.
    mountSecret: false,
    externalSecrets: [{ secretName: REGISTRY_HTPASSWD_SECRET, mountPath: HTPASSWD_DIR }],
    persistence: true,
    pvc: { create: false, name: REGISTRY_CLAIM },
    strategy: { type: "RollingUpdate" },
    podSecurityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    // Trivy unpacks layers and zot stages uploads in temporary files: /tmp is the only writable path
    // besides the volume.
    extraVolumes: [{ name: "tmp", emptyDir: { sizeLimit: "2Gi" } }],
    extraVolumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    resources: settings.scanning ? SIZING.zotScanning : SIZING.zot,
    // The platform's own ServiceMonitor (with the pull user's basic auth) replaces the chart's.
    metrics: { enabled: false },
  };
}

export function zotWorkloads(v: ZotValues): Workload[] {
  return [{ release: ZOT_RELEASE, name: "zot", kind: "StatefulSet", replicas: v.replicaCount, containers: [{ name: "zot", resources: v.resources }] }];
}

/** What builds and `docker push` use: the registry's host, its user, and the Secret with the credentials. */
export interface RegistryPush {
  /** `registry.<domain>[:port]`: push `<endpoint>/<repository>:<tag>` over HTTPS. */
  endpoint: string;
  /** In the cluster only, plain HTTP (no TLS): `zot.registry.svc.cluster.local:5000`. */
  internalEndpoint: string;
  username: string;
  /** A `kubernetes.io/dockerconfigjson` Secret in `namespace` with the push credentials for `endpoint`. */
  secretName: string;
  namespace: string;
}

export function registryPush(domain: string, httpsPort: number): RegistryPush {
  return {
    endpoint: registryEndpoint(domain, httpsPort),
    internalEndpoint: `${ZOT_RELEASE}.${REGISTRY_NAMESPACE}.svc.cluster.local:${ZOT_PORT}`,
    username: REGISTRY_USERS.push,
    secretName: REGISTRY_PUSH_SECRET,
    namespace: REGISTRY_NAMESPACE,
  };
}

/** The TCP ports zot reaches outside the cluster: 443 for the mirrored registries, each Trivy database's. */
export function registryUpstreamPorts(settings: RegistrySettings): number[] {
  const ports = new Set<number>();
  if (settings.mirrors.length > 0) ports.add(443);
  if (settings.scanning) {
    for (const repo of [settings.scanning.dbRepository, settings.scanning.javaDbRepository]) {
      const port = /^[^/]+:(\d+)\//.exec(repo)?.[1];
      ports.add(port ? Number(port) : 443);
    }
  }
  return [...ports].sort((a, b) => a - b);
}
