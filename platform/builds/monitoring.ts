/**
 * Tekton Pipelines' metrics in Prometheus (opt-in `builds`): the controller's `http-metrics` port
 * (9090) on the Service `tekton-pipelines-controller` that the operator creates from Pipelines'
 * config/controller.yaml (labels app.kubernetes.io/name=controller, part-of=tekton-pipelines):
 * PipelineRun and TaskRun counts and durations (tekton_pipelines_controller_*). The operator's own
 * NetworkPolicy `pipeline-controller` admits Prometheus on that port.
 */
import { grafanaDashboard, GRAFANA_PROMETHEUS_UID } from "../dashboards";
import { serviceMonitor, ServiceMonitorDoc } from "../monitors";
import { NAMESPACES } from "../namespaces";

export function tektonServiceMonitor(): ServiceMonitorDoc {
  return serviceMonitor({
    name: "tekton-pipelines-controller",
    namespace: NAMESPACES.tektonPipelines.name,
    matchLabels: { "app.kubernetes.io/name": "controller", "app.kubernetes.io/part-of": "tekton-pipelines" },
    port: "http-metrics",
    jobLabel: "app.kubernetes.io/name",
  });
}

export const BUILDS_DASHBOARD = { name: "fmc-builds-dashboard", key: "fmc-builds.json", uid: "fmc-builds" } as const;

/**
 * A Grafana dashboard of the builds (ConfigMap in monitoring, read by Grafana's sidecar like the
 * backups' one): PipelineRuns per status and their durations, from Tekton Pipelines v1.15.0's
 * controller metrics (its docs/metrics.md: tekton_pipelines_controller_pipelinerun_total{status},
 * ..._pipelinerun_duration_seconds, ..._running_pipelineruns).
 */
export function buildsDashboard(): Record<string, unknown> {
  const datasource = { type: "prometheus", uid: GRAFANA_PROMETHEUS_UID };
  const m = "tekton_pipelines_controller";
  return grafanaDashboard({
    uid: BUILDS_DASHBOARD.uid,
    title: "FlatcarMicroCloud builds",
    tags: ["builds"],
    refresh: "1m",
    from: "now-7d",
    panels: [
      {
        id: 1,
        type: "stat",
        title: "PipelineRuns running",
        datasource,
        gridPos: { x: 0, y: 0, w: 6, h: 6 },
        targets: [{ refId: "A", datasource, expr: `sum(${m}_running_pipelineruns)`, instant: true }],
      },
      {
        id: 2,
        type: "stat",
        title: "PipelineRuns finished per status (7 days)",
        datasource,
        gridPos: { x: 6, y: 0, w: 18, h: 6 },
        targets: [{ refId: "A", datasource, expr: `sum by (status) (increase(${m}_pipelinerun_total[7d]))`, instant: true, legendFormat: "{{status}}" }],
      },
      {
        id: 3,
        type: "timeseries",
        title: "PipelineRun duration (seconds, mean over 1 h)",
        datasource,
        gridPos: { x: 0, y: 6, w: 24, h: 9 },
        targets: [
          {
            refId: "A",
            datasource,
            expr: `sum by (status) (rate(${m}_pipelinerun_duration_seconds_sum{namespace="${NAMESPACES.builds.name}"}[1h])) / sum by (status) (rate(${m}_pipelinerun_duration_seconds_count{namespace="${NAMESPACES.builds.name}"}[1h]))`,
            legendFormat: "{{status}}",
          },
        ],
        fieldConfig: { defaults: { unit: "s", min: 0 }, overrides: [] },
      },
    ],
  });
}
