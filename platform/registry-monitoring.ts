/**
 * The registry's metrics in Prometheus and its Grafana dashboard. zot serves Prometheus metrics at
 * /metrics (its metrics extension) to the users of `accessControl.metrics` only: the ServiceMonitor
 * logs in as the `pull` user from a Secret in the registry's namespace (a ServiceMonitor's basic auth
 * reads Secrets of its own namespace). Metric names as zot's pkg/extensions/monitoring registers them
 * (namespace `zot`); the storage gauge's name carries the prefix twice in some releases, hence the regex.
 */
import { grafanaDashboard, GRAFANA_PROMETHEUS_UID } from "./dashboards";
import { chartSelector, serviceMonitor, ServiceMonitorDoc } from "./monitors";
import { NAMESPACES } from "./namespaces";
import { REGISTRY_METRICS_SECRET, ZOT_RELEASE } from "./values/zot";

export const REGISTRY_DASHBOARD = { name: "registry-dashboard", key: "registry.json" } as const;

/** The chart's Service (`zot`, port `zot`), selected by the chart's selector labels. */
export function registryServiceMonitor(): ServiceMonitorDoc {
  return serviceMonitor({
    name: "zot",
    namespace: NAMESPACES.registry.name,
    matchLabels: chartSelector("zot", ZOT_RELEASE),
    port: "zot",
    endpoint: { basicAuth: { username: { name: REGISTRY_METRICS_SECRET, key: "username" }, password: { name: REGISTRY_METRICS_SECRET, key: "password" } } },
  });
}

/** The dashboard: requests by method and status, latency, storage used per repository, up. */
export function registryDashboard(): Record<string, unknown> {
  const panel = (id: number, title: string, expr: string, unit: string, y: number, x: number) => ({
    id,
    title,
    type: "timeseries",
    gridPos: { h: 8, w: 12, x, y },
    datasource: { type: "prometheus", uid: GRAFANA_PROMETHEUS_UID },
    fieldConfig: { defaults: { unit } },
    targets: [{ expr, refId: "A" }],
  });
  return grafanaDashboard({
    uid: "fmc-registry",
    title: "Registry (zot)",
    tags: ["registry"],
    refresh: "1m",
    from: "now-24h",
    panels: [
      panel(1, "Up", `up{namespace="${NAMESPACES.registry.name}",job="zot"}`, "none", 0, 0),
      panel(2, "Requests per second by method and status", "sum by (method, code) (rate(zot_http_requests_total[5m]))", "reqps", 0, 12),
      panel(3, "Request latency (p95)", "histogram_quantile(0.95, sum by (le, method) (rate(zot_http_method_latency_seconds_bucket[5m])))", "s", 8, 0),
      panel(4, "Storage per repository", `sum by (repo) ({__name__=~"zot_(zot_)?repo_storage_bytes"})`, "bytes", 8, 12),
    ],
  });
}
