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

/**
 * Traefik's metrics, monitored by the platform instead of by the chart: the chart's own
 * ServiceMonitor needs the monitoring CRDs at install time, which would hold the whole ingress
 * release until kube-prometheus-stack (and before it Ceph, for Prometheus's volume) is up. Selector
 * and port are those of the chart's metrics Service (traefik-helm-chart templates/_service-metrics.tpl:
 * the release's name/instance labels plus `app.kubernetes.io/component: metrics`, port `metrics`).
 */
export function traefikServiceMonitor(): ServiceMonitorDoc {
  const ns = NAMESPACES.traefik.name;
  return {
    name: "traefik",
    namespace: ns,
    spec: {
      jobLabel: "traefik",
      namespaceSelector: { matchNames: [ns] },
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "traefik",
          "app.kubernetes.io/instance": `traefik-${ns}`,
          "app.kubernetes.io/component": "metrics",
        },
      },
      endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
    },
  };
}

/**
 * Redis's exporter sidecars, monitored by the platform: selector and port of the chart's headless
 * Service (redis-ha templates/redis-ha-service.yaml: `app`, `release`, `exporter: enabled`; port
 * `http-exporter-port`).
 */
export function redisServiceMonitor(): ServiceMonitorDoc {
  const ns = NAMESPACES.redis.name;
  return {
    name: "redis-ha",
    namespace: ns,
    spec: {
      jobLabel: "redis-ha",
      namespaceSelector: { matchNames: [ns] },
      selector: { matchLabels: { app: "redis-ha", release: "redis-ha", exporter: "enabled" } },
      endpoints: [{ port: "http-exporter-port", path: "/metrics", interval: "30s" }],
    },
  };
}

export function cephServiceMonitors(): ServiceMonitorDoc[] {
  const ns = NAMESPACES.rookCeph.name;
  const monitor = (name: string, labels: Record<string, string>, port: string): ServiceMonitorDoc => ({
    name,
    namespace: ns,
    spec: {
      namespaceSelector: { matchNames: [ns] },
      selector: { matchLabels: { rook_cluster: ns, ...labels } },
      endpoints: [{ port, path: "/metrics", interval: "30s", honorLabels: true }],
    },
  });
  return [
    monitor("rook-ceph-mgr", { app: "rook-ceph-mgr" }, "http-metrics"),
    monitor("rook-ceph-exporter", { app: "rook-ceph-exporter" }, "ceph-exporter-http-metrics"),
  ];
}
