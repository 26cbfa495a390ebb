/**
 * Argo CD (argo-helm `argo-cd` chart), only with the `gitops` opt-in (config/opt-ins/gitops.ts):
 * it syncs the user's apps from git into the one namespace the AppProject allows (../gitops.ts).
 * Trimmed to what syncing needs: the application controller, the repo server, the API server (UI
 * behind Traefik) and redis without HA. Dex, notifications and the commit server are off; the
 * ApplicationSet controller has no switch in this chart and is scaled to zero.
 * - TLS ends at Traefik (`server.insecure`), like Grafana: the Ingress on the websecure entry point
 *   with the host's certificate from the platform's issuer.
 * - `argocd-secret` (the admin's bcrypt hash, the server's signing key) and `argocd-redis` are the
 *   program's Secrets (../gitops.ts), so no password passes through the values and no hook Job runs.
 * - The CRDs are chart templates (Helm installs and upgrades them) with `helm.sh/resource-policy:
 *   keep`: uninstalling (gitops removed) leaves them, like the CRDs Helm installs from crds/.
 * - NetworkPolicies are the platform's (../network-policies.ts), not the chart's.
 */
import { CHARTS } from "../../versions";
import { Workload } from "../capacity";
import { tlsSecretName } from "../certificates";
import { OPT_IN_HOSTS } from "../../ports";
import { PlatformPlan } from "../plan";
import { Resources } from "../resources";
import { SIZING } from "../sizing";
import { INGRESS_CLASS } from "./traefik";
import { TRAEFIK_HTTPS_INGRESS_ANNOTATIONS } from "./rook";

export const ARGOCD_RELEASE = "argocd";
/** Argo CD's fixed Secret names (the settings manager and the chart read these). */
export const ARGOCD_SECRET = "argocd-secret";
export const ARGOCD_REDIS_SECRET = "argocd-redis";
export const ARGOCD_REDIS_SECRET_KEY = "auth";
export const ARGOCD_ADMIN_USER = "admin";
/** Argo CD watches only Secrets with this label (util/settings: `app.kubernetes.io/part-of=argocd`). */
export const ARGOCD_PART_OF = { "app.kubernetes.io/part-of": "argocd" } as const;
/** Container ports (values.yaml `containerPorts`): the API server, the repo server, redis, and the metrics. */
export const ARGOCD_PORTS = { server: 8080, repoServer: 8081, redis: 6379, controllerMetrics: 8082, serverMetrics: 8083, repoServerMetrics: 8084 } as const;
/** Pod labels (the chart's selector labels: `argocd-<component name>`). */
export const ARGOCD_POD_LABELS = {
  server: { "app.kubernetes.io/name": "argocd-server" },
  repoServer: { "app.kubernetes.io/name": "argocd-repo-server" },
  controller: { "app.kubernetes.io/name": "argocd-application-controller" },
  redis: { "app.kubernetes.io/name": "argocd-redis" },
} as const;

type Image = { repository: string; tag: string };
interface Component {
  replicas: number;
  resources: Resources;
  metrics?: { enabled: boolean };
}

export interface ArgoCdValues {
  global: { domain: string; image: Image; networkPolicy: { create: boolean } };
  crds: { install: boolean; keep: boolean };
  configs: {
    cm: { url: string; "admin.enabled": boolean; "exec.enabled": boolean; "statusbadge.enabled": boolean };
    params: { "server.insecure": boolean };
    secret: { createSecret: boolean };
    ssh: { extraHosts: string };
  };
  controller: Component;
  repoServer: Component & { copyutil: { resources: Resources } };
  server: Component & {
    ingress: {
      enabled: boolean;
      ingressClassName: string;
      hostname: string;
      annotations: Record<string, string>;
      tls: boolean;
      extraTls: { hosts: string[]; secretName: string }[];
    };
  };
  applicationSet: Component;
  redis: { enabled: boolean; image: Image; resources: Resources; exporter: { enabled: boolean } };
  "redis-ha": { enabled: boolean };
  redisSecretInit: { enabled: boolean };
  dex: { enabled: boolean };
  notifications: { enabled: boolean };
  commitServer: { enabled: boolean };
}

export function argocdHost(plan: Pick<PlatformPlan, "domain">): string {
  return `${OPT_IN_HOSTS.gitops.argocd}.${plan.domain}`;
}

export function argocdValues(plan: PlatformPlan, sshKnownHosts: readonly string[]): ArgoCdValues {
  const host = argocdHost(plan);
  const s = SIZING.argocd;
  const port = plan.ingress.httpsPort === 443 ? "" : `:${plan.ingress.httpsPort}`;
  return {
    global: { domain: host, image: { ...CHARTS.argoCd.image }, networkPolicy: { create: false } },
    crds: { install: true, keep: true },
    configs: {
      // `url`: the address users reach (SSO callbacks and links in the UI).
      cm: { url: `https://${host}${port}`, "admin.enabled": true, "exec.enabled": false, "statusbadge.enabled": false },
      params: { "server.insecure": true },
      secret: { createSecret: false },
      ssh: { extraHosts: sshKnownHosts.join("\n") },
    },
    controller: { replicas: 1, resources: s.controller, metrics: { enabled: true } },
    repoServer: { replicas: 1, resources: s.repoServer, copyutil: { resources: s.copyutil }, metrics: { enabled: true } },
    server: {
      replicas: 1,
      resources: s.server,
      metrics: { enabled: true },
      ingress: {
        enabled: true,
        ingressClassName: INGRESS_CLASS,
        hostname: host,
        annotations: { ...TRAEFIK_HTTPS_INGRESS_ANNOTATIONS },
        // The chart's own `tls` names a fixed Secret (argocd-server-tls); the issuer's is per host.
        tls: false,
        extraTls: plan.tls ? [{ hosts: [host], secretName: tlsSecretName(host) }] : [],
      },
    },
    applicationSet: { replicas: 0, resources: s.applicationSet },
    redis: { enabled: true, image: { ...CHARTS.argoCd.redis }, resources: s.redis, exporter: { enabled: false } },
    "redis-ha": { enabled: false },
    redisSecretInit: { enabled: false },
    dex: { enabled: false },
    notifications: { enabled: false },
    commitServer: { enabled: false },
  };
}

/**
 * What the chart runs with these values. The repo server's copyutil init container runs before its
 * main container and asks less, so the pod's effective request is the main container's.
 */
export function argocdWorkloads(v: ArgoCdValues): Workload[] {
  const w = (name: string, kind: Workload["kind"], replicas: number, resources: Resources): Workload => ({
    release: ARGOCD_RELEASE,
    name,
    kind,
    replicas,
    containers: [{ name, resources }],
  });
  return [
    w("argocd-application-controller", "StatefulSet", v.controller.replicas, v.controller.resources),
    w("argocd-repo-server", "Deployment", v.repoServer.replicas, v.repoServer.resources),
    w("argocd-server", "Deployment", v.server.replicas, v.server.resources),
    w("argocd-redis", "Deployment", 1, v.redis.resources),
    w("argocd-applicationset-controller", "Deployment", v.applicationSet.replicas, v.applicationSet.resources),
  ];
}
