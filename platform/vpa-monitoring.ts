/**
 * The VPA recommender's own metrics (`vpa_recommender_*`: recommendation latency, objects
 * processed, aggregate container states) in Prometheus. The chart exposes the container port
 * `prometheus` (8942) but renders no Service for it, so the platform scrapes the pods with a
 * PodMonitor, which kube-prometheus-stack picks up (`podMonitorSelectorNilUsesHelmValues: false`).
 */
import { NAMESPACES } from "./namespaces";
import { VPA_RECOMMENDER, VPA_RECOMMENDER_LABELS } from "./values/vpa";

export interface PodMonitorDoc {
  name: string;
  namespace: string;
  spec: {
    jobLabel?: string;
    namespaceSelector: { matchNames: string[] };
    selector: { matchLabels: Record<string, string> };
    podMetricsEndpoints: { port: string; path: string; interval: string }[];
  };
}

export function vpaPodMonitor(): PodMonitorDoc {
  const ns = NAMESPACES.vpa.name;
  return {
    name: VPA_RECOMMENDER,
    namespace: ns,
    spec: {
      jobLabel: "app.kubernetes.io/component",
      namespaceSelector: { matchNames: [ns] },
      selector: { matchLabels: { ...VPA_RECOMMENDER_LABELS } },
      podMetricsEndpoints: [{ port: "prometheus", path: "/metrics", interval: "60s" }],
    },
  };
}
