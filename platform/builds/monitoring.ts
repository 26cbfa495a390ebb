/**
 * Tekton Pipelines' metrics in Prometheus (opt-in `builds`): the controller's `http-metrics` port
 * (9090) on the Service `tekton-pipelines-controller` that the operator creates from Pipelines'
 * config/controller.yaml (labels app.kubernetes.io/name=controller, part-of=tekton-pipelines):
 * PipelineRun and TaskRun counts and durations (tekton_pipelines_controller_*). The operator's own
 * NetworkPolicy `pipeline-controller` admits Prometheus on that port.
 */
import { ServiceMonitorDoc } from "../monitors";
import { NAMESPACES } from "../namespaces";

export function tektonServiceMonitor(): ServiceMonitorDoc {
  const ns = NAMESPACES.tektonPipelines.name;
  return {
    name: "tekton-pipelines-controller",
    namespace: ns,
    spec: {
      jobLabel: "app.kubernetes.io/name",
      namespaceSelector: { matchNames: [ns] },
      selector: { matchLabels: { "app.kubernetes.io/name": "controller", "app.kubernetes.io/part-of": "tekton-pipelines" } },
      endpoints: [{ port: "http-metrics", path: "/metrics", interval: "30s" }],
    },
  };
}
