/**
 * ServiceMonitors the platform creates itself, for metrics Services no chart monitors: the Ceph mgr
 * (prometheus module) and the Ceph exporter, which Rook's operator creates at run time. Rook's own
 * monitor creation is off (rook-ceph-cluster `monitoring.enabled: false`) because the operator would
 * try before the monitoring CRDs exist; these wait for kube-prometheus-stack instead. Selectors and
 * ports are those of Rook's published examples (deploy/examples/monitoring).
 */
import { NAMESPACES } from "./namespaces";

export interface ServiceMonitorDoc {
  name: string;
  namespace: string;
  spec: Record<string, unknown>;
}

/** A PodMonitor's name, namespace and spec, for pods whose chart gives their metrics port no Service. */
export type PodMonitorDoc = ServiceMonitorDoc;

/**
 * What Prometheus scrapes: the Services (or pods) labelled `matchLabels` in `namespace`, on their
 * named `port` at `path` (default /metrics) every `interval` (default 30 s). `jobLabel` names the job
 * after a label of theirs; `endpoint` adds to the endpoint (Ceph's exporters' `honorLabels`, the
 * registry's basic auth).
 */
export interface ScrapeTarget {
  name: string;
  namespace: string;
  matchLabels: Record<string, string>;
  port: string;
  jobLabel?: string;
  path?: string;
  interval?: string;
  endpoint?: Record<string, unknown>;
}

/** The spec a ServiceMonitor and a PodMonitor share, their endpoints under `endpointsKey`. */
function scrapeDoc(t: ScrapeTarget, endpointsKey: "endpoints" | "podMetricsEndpoints"): ServiceMonitorDoc {
  return {
    name: t.name,
    namespace: t.namespace,
    spec: {
      ...(t.jobLabel ? { jobLabel: t.jobLabel } : {}),
      namespaceSelector: { matchNames: [t.namespace] },
      selector: { matchLabels: t.matchLabels },
      [endpointsKey]: [{ port: t.port, path: t.path ?? "/metrics", interval: t.interval ?? "30s", ...t.endpoint }],
    },
  };
}

/** The selector labels a chart's _helpers.tpl gives every object of release `instance` (`app.kubernetes.io/name`, `/instance`). */
export function chartSelector(name: string, instance: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance };
}

/** A ServiceMonitor: the one shape of every metrics Service the platform monitors itself. */
export function serviceMonitor(t: ScrapeTarget): ServiceMonitorDoc {
  return scrapeDoc(t, "endpoints");
}

/** A PodMonitor (kube-prometheus-stack selects every one: `podMonitorSelectorNilUsesHelmValues: false`). */
export function podMonitor(t: ScrapeTarget): PodMonitorDoc {
  return scrapeDoc(t, "podMetricsEndpoints");
}

/**
 * Traefik's metrics, monitored by the platform instead of by the chart: the chart's own
 * ServiceMonitor needs the monitoring CRDs at install time, which would hold the whole ingress
 * release until kube-prometheus-stack (and before it Ceph, for Prometheus's volume) is up. Selector
 * and port are those of the chart's metrics Service (traefik-helm-chart templates/_service-metrics.tpl:
 * the release's name/instance labels plus `app.kubernetes.io/component: metrics`, port `metrics`).
 */
export function traefikServiceMonitor(): ServiceMonitorDoc {
  const ns = NAMESPACES.traefik.name;
  const labels = { ...chartSelector("traefik", `traefik-${ns}`), "app.kubernetes.io/component": "metrics" };
  return serviceMonitor({ name: "traefik", namespace: ns, matchLabels: labels, port: "metrics", jobLabel: "traefik" });
}

/**
 * Redis's exporter sidecars, monitored by the platform: selector and port of the chart's headless
 * Service (redis-ha templates/redis-ha-service.yaml: `app`, `release`, `exporter: enabled`; port
 * `http-exporter-port`).
 */
export function redisServiceMonitor(): ServiceMonitorDoc {
  const labels = { app: "redis-ha", release: "redis-ha", exporter: "enabled" };
  return serviceMonitor({ name: "redis-ha", namespace: NAMESPACES.redis.name, matchLabels: labels, port: "http-exporter-port", jobLabel: "redis-ha" });
}

export function cephServiceMonitors(): ServiceMonitorDoc[] {
  const ns = NAMESPACES.rookCeph.name;
  const monitor = (name: string, app: string, port: string) => serviceMonitor({ name, namespace: ns, matchLabels: { rook_cluster: ns, app }, port, endpoint: { honorLabels: true } });
  return [monitor("rook-ceph-mgr", "rook-ceph-mgr", "http-metrics"), monitor("rook-ceph-exporter", "rook-ceph-exporter", "ceph-exporter-http-metrics")];
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A series Prometheus computes and stores (e.g. the backup freshness contract's, ./backup-metrics.ts). */
export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface PrometheusRuleDoc<R extends AlertRule | RecordingRule = AlertRule | RecordingRule> {
  name: string;
  namespace: string;
  spec: { groups: { name: string; rules: R[] }[] };
}

/**
 * Ceph's health as alerts, for people and for kured's reboot gate (values/kured.ts): kured holds
 * reboots while any of these is pending or firing, so a node reboots only into a HEALTH_OK cluster
 * whose health Prometheus actually sees. The first two are Rook's own rules of the same name
 * (rook-ceph-cluster prometheus/localrules.yaml, `ceph_health_status` from the mgr's prometheus
 * module); the chart's `createPrometheusRules` is not used because it would create them before the
 * monitoring CRDs exist, like its ServiceMonitors. The third covers a mgr whose metrics are gone
 * (its pod was on the node that just rebooted): without it the gate would read "no alert".
 */
export function cephHealthRule(): PrometheusRuleDoc<AlertRule> {
  return {
    name: "ceph-health",
    namespace: NAMESPACES.rookCeph.name,
    spec: {
      groups: [
        {
          name: "ceph-health",
          rules: [
            {
              alert: "CephHealthError",
              expr: "ceph_health_status == 2",
              for: "5m",
              labels: { severity: "critical" },
              annotations: { summary: "Ceph is in the ERROR state", description: "HEALTH_ERR for 5 minutes: see `ceph health detail` (Rook toolbox or the dashboard)." },
            },
            {
              alert: "CephHealthWarning",
              expr: "ceph_health_status == 1",
              for: "15m",
              labels: { severity: "warning" },
              annotations: { summary: "Ceph is in the WARNING state", description: "HEALTH_WARN for 15 minutes: see `ceph health detail` (Rook toolbox or the dashboard)." },
            },
            {
              alert: "CephHealthUnknown",
              expr: "absent(ceph_health_status)",
              for: "10m",
              labels: { severity: "warning" },
              annotations: { summary: "Ceph's health is not scraped", description: "No ceph_health_status sample: the Ceph mgr or its ServiceMonitor is down." },
            },
          ],
        },
      ],
    },
  };
}
