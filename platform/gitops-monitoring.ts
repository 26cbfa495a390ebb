/**
 * Argo CD in Prometheus and Grafana (the `gitops` opt-in): ServiceMonitors for the chart's three
 * metrics Services, made by the platform (the chart's own would need the monitoring CRDs at install
 * time), and a small dashboard of the synced apps' sync and health status and the git fetches.
 * Metrics: the application controller's `argocd_app_info{name,sync_status,health_status,...}` and
 * `argocd_app_sync_total{name,phase}`, the repo server's `argocd_git_request_total{request_type}`
 * (Argo CD docs, operator-manual/metrics.md).
 */
import { grafanaDashboard, GRAFANA_PROMETHEUS_UID } from "./dashboards";
import { chartSelector, serviceMonitor, ServiceMonitorDoc } from "./monitors";
import { NAMESPACES } from "./namespaces";
import { ARGOCD_RELEASE } from "./values/argocd";

export const GITOPS_DASHBOARD = { name: "fmc-gitops-dashboard", key: "fmc-gitops.json", uid: "fmc-gitops" } as const;

/**
 * One ServiceMonitor per metrics Service: selector labels of the chart's templates
 * (argocd-*-/metrics.yaml: `app.kubernetes.io/name` argocd-metrics, argocd-server-metrics,
 * argocd-repo-server-metrics, with the release's instance label), port `http-metrics`.
 */
export function argocdServiceMonitors(): ServiceMonitorDoc[] {
  return ["argocd-metrics", "argocd-server-metrics", "argocd-repo-server-metrics"].map((name) =>
    serviceMonitor({
      name,
      namespace: NAMESPACES.argocd.name,
      matchLabels: chartSelector(name, ARGOCD_RELEASE),
      port: "http-metrics",
      jobLabel: "app.kubernetes.io/name",
    }),
  );
}

export function gitopsDashboard(): Record<string, unknown> {
  const datasource = { type: "prometheus", uid: GRAFANA_PROMETHEUS_UID };
  const panel = (id: number, type: string, title: string, y: number, expr: string, legendFormat: string) => ({
    id,
    type,
    title,
    datasource,
    gridPos: { x: 0, y, w: 24, h: 7 },
    targets: [{ refId: "A", datasource, expr, legendFormat, ...(type === "table" ? { instant: true, format: "table" } : {}) }],
  });
  return grafanaDashboard({
    uid: GITOPS_DASHBOARD.uid,
    title: "FlatcarMicroCloud GitOps (Argo CD)",
    tags: ["gitops"],
    refresh: "1m",
    from: "now-24h",
    panels: [
      panel(1, "table", "Applications: sync and health status", 0, "argocd_app_info", "{{name}}"),
      panel(2, "timeseries", "Syncs per hour by result", 7, "sum by (name, phase) (increase(argocd_app_sync_total[1h]))", "{{name}} {{phase}}"),
      panel(3, "timeseries", "Git requests per minute by kind", 14, "sum by (request_type) (rate(argocd_git_request_total[5m])) * 60", "{{request_type}}"),
    ],
  });
}
