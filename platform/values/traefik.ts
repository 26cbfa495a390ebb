/**
 * Traefik: the ingress controller behind the load balancer VM. A NodePort Service on the fixed ports
 * the load balancer forwards to, HTTP redirected to HTTPS, the dashboard only on its own host name
 * behind basic auth, metrics for Prometheus.
 */
import { INGRESS, INGRESS_HOSTS } from "../../ports";
import { Workload } from "../capacity";
import { tlsSecretName } from "../certificates";
import { PlatformPlan } from "../plan";
import { Resources } from "../resources";
import { SIZING } from "../sizing";

/** Secret (in Traefik's namespace) holding the dashboard's `users` in htpasswd form. */
export const TRAEFIK_DASHBOARD_SECRET = "traefik-dashboard-auth";
export const TRAEFIK_DASHBOARD_MIDDLEWARE = "dashboard-auth";
export const TRAEFIK_DASHBOARD_USER = "admin";
export const INGRESS_CLASS = "traefik";

export interface TraefikValues {
  deployment: { replicas: number };
  ingressClass: { enabled: boolean; isDefaultClass: boolean; name: string };
  global: { checkNewVersion: boolean; sendAnonymousUsage: boolean };
  api: { dashboard: boolean };
  ingressRoute: {
    dashboard: { enabled: boolean; matchRule: string; entryPoints: string[]; middlewares: { name: string }[]; tls?: { secretName: string } };
  };
  ports: {
    web: { nodePort: number; http: { redirections: { entryPoint: { to: string; scheme: string; permanent: boolean; priority: number } } } };
    websecure: { nodePort: number };
  };
  service: { spec: { type: "NodePort" | "LoadBalancer" } };
  metrics: { prometheus: { service: { enabled: boolean }; serviceMonitor: { enabled: boolean } } };
  resources: Resources;
  extraObjects: Record<string, unknown>[];
}

export function traefikHost(plan: PlatformPlan): string {
  return `${INGRESS_HOSTS.traefikDashboard}.${plan.domain}`;
}

export function traefikValues(plan: PlatformPlan): TraefikValues {
  return {
    deployment: { replicas: plan.traefikReplicas },
    ingressClass: { enabled: true, isDefaultClass: true, name: INGRESS_CLASS },
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    api: { dashboard: true },
    ingressRoute: {
      // The chart's route defaults to the unexposed `traefik` entry point; this one is on HTTPS, on
      // its own host name, and every request passes the basic-auth middleware first.
      dashboard: {
        enabled: true,
        matchRule: `Host(\`${traefikHost(plan)}\`) && (PathPrefix(\`/dashboard\`) || PathPrefix(\`/api\`))`,
        entryPoints: ["websecure"],
        middlewares: [{ name: TRAEFIK_DASHBOARD_MIDDLEWARE }],
        // The FreeIPA-signed certificate of its host, where the stack has FreeIPA (certificates.ts).
        ...(plan.tls ? { tls: { secretName: tlsSecretName(traefikHost(plan)) } } : {}),
      },
    },
    ports: {
      web: {
        nodePort: INGRESS.http.nodePort,
        // The lowest priority: every other request is redirected to HTTPS, but an ACME HTTP-01
        // challenge (cert-manager's solver route on this entry point) is answered on plain HTTP.
        http: { redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true, priority: 1 } } },
      },
      websecure: { nodePort: INGRESS.https.nodePort },
    },
    // NodePort behind the load balancer VM (fixed ports it forwards to); LoadBalancer on an existing
    // cluster with a load balancer implementation (its NodePorts stay the fixed ones).
    service: { spec: { type: plan.ingress.serviceType } },
    // The ServiceMonitor is the platform's own (platform/monitors.ts), created once the monitoring
    // CRDs exist: the chart's would make this release wait for kube-prometheus-stack.
    metrics: { prometheus: { service: { enabled: true }, serviceMonitor: { enabled: false } } },
    resources: SIZING.traefik,
    extraObjects: [
      {
        apiVersion: "traefik.io/v1alpha1",
        kind: "Middleware",
        metadata: { name: TRAEFIK_DASHBOARD_MIDDLEWARE },
        spec: { basicAuth: { secret: TRAEFIK_DASHBOARD_SECRET } },
      },
    ],
  };
}

export function traefikWorkloads(v: TraefikValues): Workload[] {
  return [
    { release: "traefik", name: "traefik", kind: "Deployment", replicas: v.deployment.replicas, containers: [{ name: "traefik", resources: v.resources }] },
  ];
}
