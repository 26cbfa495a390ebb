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
