/**
 * The VPA recommender's own metrics (`vpa_recommender_*`: recommendation latency, objects
 * processed, aggregate container states) in Prometheus. The chart exposes the container port
 * `prometheus` (8942) but renders no Service for it, so the platform scrapes the pods with a
 * PodMonitor, which kube-prometheus-stack picks up (`podMonitorSelectorNilUsesHelmValues: false`).
 */
import { podMonitor, PodMonitorDoc } from "./monitors";
import { NAMESPACES } from "./namespaces";
import { VPA_RECOMMENDER, VPA_RECOMMENDER_LABELS } from "./values/vpa";

export function vpaPodMonitor(): PodMonitorDoc {
  return podMonitor({
    name: VPA_RECOMMENDER,
    namespace: NAMESPACES.vpa.name,
    matchLabels: { ...VPA_RECOMMENDER_LABELS },
    port: "prometheus",
    interval: "60s",
    jobLabel: "app.kubernetes.io/component",
  });
}
